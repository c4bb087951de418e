package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
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
	writeJSON(w, http.StatusOK, map[string]any{
		"success": true, "slug": res.Slug, "version": res.Version, "generation": res.Generation,
		"previewUrl": res.PreviewURL, "message": msg, "unchanged": res.Unchanged,
		"liveEverywhereBy": res.LiveEverywhereBy,
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
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "slug": slug, "found": found, "message": msg})
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
	out.Details = make([]core.FieldError, len(e.Details))
	for i, d := range e.Details {
		d.Path = strings.TrimPrefix(d.Path, "pages[0].")
		out.Details[i] = d
	}
	return &out
}

func (h *handler) listPages(w http.ResponseWriter, r *http.Request) {
	pages, err := h.site.Pages(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	if pages == nil {
		pages = []core.PageSummary{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "pages": pages})
}

func (h *handler) getPage(w http.ResponseWriter, r *http.Request) {
	p, err := h.site.Page(r.Context(), r.PathValue("slug"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"success": true, "page": p.Document, "version": p.Version, "contentHash": p.ContentHash, "publishedAt": p.PublishedAt,
	})
}

func (h *handler) getSettings(w http.ResponseWriter, r *http.Request) {
	s, err := h.site.Settings(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "settings": s.Redacted()})
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
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "settings": s.Redacted(), "message": "Settings saved"})
}

// health is public and minimal; with the system key it also reports the
// state of the store and the cache.
func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	body := map[string]any{"status": "ok"}
	if h.opts.SystemKey != "" && h.authorize(r) == nil {
		body["env"] = h.opts.Env
		body["version"] = h.opts.Version
		body["uptimeSeconds"] = int64(time.Since(h.started).Seconds())
		body["l1"] = h.site.CacheStats()
		store, sharedCache, gen := h.site.Dependencies(r.Context())
		body["store"], body["cache"] = store, sharedCache
		if store.Status == "ok" {
			body["generation"] = gen
		}
		if store.Status != "ok" || sharedCache.Status == "down" {
			body["status"] = "degraded"
		}
		h.healthContractFields(body, store, sharedCache) // contract.go
	}
	writeJSON(w, http.StatusOK, body)
}
