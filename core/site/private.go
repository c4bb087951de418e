package site

import (
	"context"
	"strings"
	"sync"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/render"
)

// PrivateCacheControl keeps a signed-in visitor's page out of every shared
// cache and off the disk of the browser.
const PrivateCacheControl = "private, no-store"

// privateSlugs remembers, per publish generation, which paths are
// published private pages (isPublic: false), so that telling a private
// page from a missing one costs no store read per not-found request.
type privateSlugs struct {
	mu    sync.Mutex
	gen   int64
	paths map[string]bool // "/" for a private homepage; nil until first read
}

// IsPrivate says whether path is a published private page. Such paths
// answer not found from Serve, as they always have; with sign-in
// configured, the caller answers them with a sign-in card or PrivatePage.
func (s *Service) IsPrivate(ctx context.Context, path string) (bool, error) {
	gen := s.currentGeneration(ctx)
	p := &s.private
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paths == nil || p.gen != gen {
		pages, err := s.store.ListPages(ctx, s.tenant)
		if err != nil {
			return false, err
		}
		paths := map[string]bool{}
		for _, pg := range pages {
			if pg.IsPublic {
				continue
			}
			paths["/"+pg.Slug] = true
			if pg.IsHomepage {
				paths["/"] = true
			}
		}
		p.gen, p.paths = gen, paths
	}
	return p.paths[path], nil
}

// PrivatePage renders the private page at path for a signed-in visitor,
// from the store and never through L1 or the shared cache: what one
// visitor sees is not served to another. ok is false when path is not a
// private page (anymore).
func (s *Service) PrivatePage(ctx context.Context, baseURL, path string) (resp *Response, ok bool, err error) {
	q := core.PageQuery{Tenant: s.tenant, Homepage: path == "/"}
	if !q.Homepage {
		q.Slug = strings.TrimPrefix(path, "/")
		if core.ValidSlug(q.Slug) != "" {
			return nil, false, nil
		}
	}
	b, err := s.store.LoadPage(ctx, q)
	if err != nil {
		return nil, false, err
	}
	if b.Page == nil || b.Page.Page.Public() {
		return nil, false, nil
	}
	resp, err = s.renderPage(ctx, render.Input{Page: b.Page.Page, Settings: &b.Settings, Path: path, BaseURL: siteBase(&b.Settings, baseURL)}, 200, PrivateCacheControl)
	if err != nil {
		return nil, false, err
	}
	return resp, true, nil
}
