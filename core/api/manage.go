package api

import (
	"net/http"
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
		writeError(w, r, err)
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
	if err := h.site.DeletePage(r.Context(), slug); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "slug": slug, "message": "Page unpublished"})
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
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "settings": s})
}

func (h *handler) saveSettings(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s, err := core.DecodeSettings(body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := h.site.SaveSettings(r.Context(), s); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "settings": s, "message": "Settings saved"})
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
