package site

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/render"
)

// Preview links.
//
// A preview is a draft page shown to whoever holds its link, before (or
// instead of) publishing it. Drafts live only in the shared cache, under
// their own key and with their TTL; they never touch the state store, the
// published pages, the publish generation or the page entries of L1/L2. A
// draft is rendered by the same renderer as a published page, with the
// tenant's published settings, marked noindex, and never cached.
//
// Without a shared cache (local mode) drafts are kept in a bounded map in
// this process: a preview then works only on the instance that made it.

// Preview TTLs.
const (
	DefaultPreviewTTL = time.Hour
	MaxPreviewTTL     = 7 * 24 * time.Hour
)

// PreviewCacheControl is sent with every preview: no browser or CDN keeps
// a copy.
const PreviewCacheControl = "private, no-store"

const (
	previewPrefix  = "fb:v1:preview:"
	previewTimeout = 2 * time.Second
	// Bounds of the in-process drafts (no shared cache).
	maxLocalDrafts     = 1000
	maxLocalDraftBytes = 64 << 20
)

// SavePreview stores the draft page of req under id until expires,
// unless its rendered HTML (at baseURL, as ServePreview renders it) is
// over the page size limit (size.go).
func (s *Service) SavePreview(ctx context.Context, id string, req *core.ImportRequest, expires time.Time, baseURL string) error {
	ttl := time.Until(expires)
	if ttl <= 0 {
		return core.Errorf(core.EINVALID, "ttlSeconds: the preview would already be expired")
	}
	if err := s.checkSizes(ctx, req.Page.Tenant(), []*core.ImportRequest{req}, nil, baseURL, true); err != nil {
		return err
	}
	if s.l2 == nil {
		s.localDrafts().put(id, req.Document, expires)
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, previewTimeout)
	defer cancel()
	if err := s.l2.cache.Set(ctx, core.CacheEntry{Key: previewPrefix + id, Value: req.Document, TTL: ttl}); err != nil {
		return &core.Error{Code: core.EUNAVAILABLE, Message: "the shared cache could not store the preview; try again", Err: err}
	}
	return nil
}

// ServePreview renders the draft stored under id: ENOTFOUND when there is
// none (never made, expired, or dropped from the cache).
func (s *Service) ServePreview(ctx context.Context, id, baseURL string) (*Response, error) {
	doc, err := s.loadDraft(ctx, id)
	if err != nil {
		return nil, err
	}
	page := &core.Page{}
	if err := json.Unmarshal(doc, page); err != nil {
		return nil, &core.Error{Code: core.EINTERNAL, Message: "a stored preview cannot be read", Err: err}
	}
	settings, err := s.store.Settings(ctx, page.Tenant())
	if err != nil {
		return nil, err
	}
	path := "/" + page.Slug
	if page.IsHomepage {
		path = "/"
	}
	resp, err := s.renderPage(ctx, render.Input{Page: page, Settings: settings, Path: path, BaseURL: siteBase(settings, baseURL), Preview: true},
		http.StatusOK, PreviewCacheControl)
	if err != nil {
		return nil, err
	}
	if resp.CacheControl != PreviewCacheControl { // per-visitor pages get "private, no-cache"
		resp.CacheControl = PreviewCacheControl
		resp.buildHeaders()
	}
	resp.vary = nil // rendered for this request; never cached
	return resp, nil
}

func (s *Service) loadDraft(ctx context.Context, id string) ([]byte, error) {
	if s.l2 == nil {
		if doc, ok := s.localDrafts().get(id); ok {
			return doc, nil
		}
		return nil, core.Errorf(core.ENOTFOUND, "no such preview")
	}
	ctx, cancel := context.WithTimeout(ctx, previewTimeout)
	defer cancel()
	vals, err := s.l2.cache.Get(ctx, previewPrefix+id)
	if err != nil {
		return nil, &core.Error{Code: core.EUNAVAILABLE, Message: "the shared cache holding previews cannot be reached", Err: err}
	}
	if len(vals) == 0 || vals[0] == nil {
		return nil, core.Errorf(core.ENOTFOUND, "no such preview")
	}
	return vals[0], nil
}

func (s *Service) localDrafts() *drafts {
	s.draftsOnce.Do(func() { s.drafts = &drafts{m: map[string]draft{}, maxN: maxLocalDrafts, maxBytes: maxLocalDraftBytes} })
	return s.drafts
}

// drafts is the in-process store of previews, bounded in count and bytes:
// when full, expired drafts go first, then the ones closest to expiry.
type drafts struct {
	mu       sync.Mutex
	m        map[string]draft
	bytes    int
	maxN     int
	maxBytes int
}

type draft struct {
	doc     []byte
	expires time.Time
}

func (d *drafts) put(id string, doc []byte, expires time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.m[id]; ok {
		d.bytes -= len(old.doc)
		delete(d.m, id)
	}
	now := time.Now()
	for k, v := range d.m {
		if !v.expires.After(now) {
			d.bytes -= len(v.doc)
			delete(d.m, k)
		}
	}
	for len(d.m) > 0 && (len(d.m) >= d.maxN || d.bytes+len(doc) > d.maxBytes) {
		var victim string
		var soonest time.Time
		for k, v := range d.m {
			if victim == "" || v.expires.Before(soonest) {
				victim, soonest = k, v.expires
			}
		}
		d.bytes -= len(d.m[victim].doc)
		delete(d.m, victim)
	}
	d.m[id] = draft{doc: doc, expires: expires}
	d.bytes += len(doc)
}

func (d *drafts) get(id string) ([]byte, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[id]
	if !ok {
		return nil, false
	}
	if !v.expires.After(time.Now()) {
		d.bytes -= len(v.doc)
		delete(d.m, id)
		return nil, false
	}
	return v.doc, true
}
