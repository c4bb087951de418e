package api

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/acceptenc"
	"github.com/frontbase/edge/core/api/wire"
)

func (h *handler) importPage(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	req, err := core.DecodeImport(body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	res, err := h.site.Import(r.Context(), req, baseURL(r))
	if err != nil {
		writeError(w, r, onePage(err))
		return
	}
	msg := "Page published"
	switch {
	case res.Unchanged:
		msg = "Page unchanged (same content); send force: true to republish"
	case res.ReplacedID != "":
		msg = "Page published, replacing page " + res.ReplacedID + " at this slug"
	}
	writeJSON(w, http.StatusOK, wire.ImportResponse{
		Success: true, Slug: res.Slug, Version: res.Version, Generation: res.Generation,
		PreviewURL: res.PreviewURL, Message: msg, Unchanged: res.Unchanged,
		LiveEverywhereBy: res.LiveEverywhereBy,
	})
}

func (h *handler) deletePage(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	found, err := h.site.DeletePage(r.Context(), slug)
	if err != nil {
		writeError(w, r, err)
		return
	}
	msg := "Page unpublished"
	if !found {
		msg = "Page was not published"
	}
	writeJSON(w, http.StatusOK, wire.DeletePageResponse{Success: true, Slug: slug, Found: found, Message: msg})
}

// onePage names the field errors of a one-page publish relative to the
// page ("version"), as DecodeImport names them, where the site publish
// names them by index ("pages[0].version").
func onePage(err error) error {
	var e *core.Error
	if !errors.As(err, &e) || len(e.Details) == 0 {
		return err
	}
	out := *e
	out.Message = strings.Replace(out.Message, "pages[0]: ", "page: ", 1)
	out.Details = make([]core.FieldError, len(e.Details))
	for i, d := range e.Details {
		d.Path = strings.TrimPrefix(d.Path, "pages[0].")
		if d.Path == "pages[0]" {
			d.Path = "page"
		}
		out.Details[i] = d
	}
	return &out
}

// Page listing bounds: GET /api/manage/pages answers at most limit pages
// (default defaultPageLimit, at most maxPageLimit) and a nextCursor to ask
// for the next ones, so a large site's listing stays under the platforms'
// response limits.
const (
	defaultPageLimit = 100
	maxPageLimit     = 500
)

// listPages answers GET /api/manage/pages?limit=n&cursor=c: the tenant's
// pages in slug order, from just after the cursor (an opaque token from a
// previous answer's nextCursor), and nextCursor, null at the end.
func (h *handler) listPages(w http.ResponseWriter, r *http.Request) {
	limit, after, err := pageListQuery(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	pages, err := h.site.Pages(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	slices.SortFunc(pages, func(a, b core.PageSummary) int { return strings.Compare(a.Slug, b.Slug) })
	start, _ := slices.BinarySearchFunc(pages, after, func(p core.PageSummary, slug string) int { return strings.Compare(p.Slug, slug) })
	for after != "" && start < len(pages) && pages[start].Slug <= after {
		start++
	}
	pages = pages[start:]
	var next *string // null at the end
	if len(pages) > limit {
		pages = pages[:limit]
		cursor := base64.RawURLEncoding.EncodeToString([]byte(pages[limit-1].Slug))
		next = &cursor
	}
	if pages == nil {
		pages = []core.PageSummary{}
	}
	writeJSONGzip(w, r, http.StatusOK, wire.PageListResponse{Success: true, Pages: pages, NextCursor: next})
}

// pageListQuery reads limit and cursor; the cursor is the base64url of
// the last slug already listed.
func pageListQuery(r *http.Request) (limit int, after string, err error) {
	q := r.URL.Query()
	var errs []core.FieldError
	limit = defaultPageLimit
	if v := q.Get("limit"); v != "" {
		n, convErr := strconv.Atoi(v)
		if convErr != nil || n < 1 || n > maxPageLimit {
			errs = append(errs, core.FieldError{Path: "limit", Message: fmt.Sprintf("must be a whole number from 1 to %d", maxPageLimit)})
		} else {
			limit = n
		}
	}
	if v := q.Get("cursor"); v != "" {
		slug, decErr := base64.RawURLEncoding.DecodeString(v)
		if decErr != nil || len(slug) == 0 {
			errs = append(errs, core.FieldError{Path: "cursor", Message: "must be the nextCursor of a previous answer"})
		} else {
			after = string(slug)
		}
	}
	if len(errs) > 0 {
		return 0, "", core.Invalid(errs)
	}
	return limit, after, nil
}

// getPage answers GET /api/manage/pages/{slug}: the stored document,
// gzipped when the client accepts it (a page document can be several MB).
func (h *handler) getPage(w http.ResponseWriter, r *http.Request) {
	p, err := h.site.Page(r.Context(), r.PathValue("slug"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSONGzip(w, r, http.StatusOK, wire.PageResponse{
		Success: true, Page: p.Document, Version: p.Version, ContentHash: p.ContentHash, PublishedAt: p.PublishedAt,
	})
}

// writeJSONGzip is writeJSON, compressed with gzip when the request's
// Accept-Encoding allows it.
func writeJSONGzip(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Add("Vary", "Accept-Encoding")
	if !acceptenc.Gzip(r.Header.Get("Accept-Encoding")) {
		writeJSON(w, status, v)
		return
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		writeError(w, r, &core.Error{Code: core.EINTERNAL, Message: "encode response", Err: err})
		return
	}
	zw.Close()
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Encoding", "gzip")
	hdr.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (h *handler) getSettings(w http.ResponseWriter, r *http.Request) {
	s, err := h.site.Settings(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.SettingsResponse{Success: true, Settings: s.Redacted()})
}

func (h *handler) saveSettings(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	patch, err := core.DecodeSettingsPatch(body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if len(patch.Set)+len(patch.Remove) == 0 {
		writeError(w, r, core.Errorf(core.EINVALID, "validation failed: $: the settings push names no members"))
		return
	}
	s, err := h.site.SaveSettings(r.Context(), patch)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.SettingsResponse{Success: true, Settings: s.Redacted(), Message: "Settings saved"})
}

// health is public and minimal; with the system key it also reports the
// state of the store and the cache.
func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	body := wire.Health{Status: "ok"}
	if h.opts.SystemKey != "" && h.authorize(r) == nil {
		uptime, l1 := int64(time.Since(h.started).Seconds()), h.site.CacheStats()
		body.Env, body.Version, body.UptimeSeconds, body.L1 = &h.opts.Env, &h.opts.Version, &uptime, &l1
		store, sharedCache, gen := h.site.Dependencies(r.Context())
		storeState, cacheState := dependency(store), dependency(sharedCache)
		body.Store, body.Cache = &storeState, &cacheState
		if store.Status == "ok" {
			body.Generation = &gen
		}
		if store.Status != "ok" || sharedCache.Status == "down" {
			body.Status = "degraded"
		}
		h.healthContractFields(&body, store, sharedCache) // contract.go
	}
	writeJSON(w, http.StatusOK, body)
}
