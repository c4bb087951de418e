package api

import (
	"net/http"
)

// asset serves the engine's static assets: the browser runtime and linked
// cssBundles, content-hashed and immutable (core/site/request.go).
func (h *handler) asset(w http.ResponseWriter, r *http.Request) {
	resp, tier, err := h.site.ServeAsset(r.Context(), r.URL.Path)
	info(r).tier = tier
	if err != nil {
		logger(r).ErrorContext(r.Context(), "asset unavailable", "err", err)
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header()["Cache-Control"] = resp.Headers.CacheControl
	writeBody(w, r, resp)
}
