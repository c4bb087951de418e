package api

import (
	"net/http"
	"strings"

	"github.com/frontbase/edge/core/acceptenc"
	"github.com/frontbase/edge/core/cache"
	"github.com/frontbase/edge/core/site"
)

func (h *handler) publicPage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// The request rides along for pages whose Liquid reads url, cookies or
	// visitor (core/site/request.go); it is only parsed when one does.
	resp, tier, err := h.site.Serve(site.WithHTTPRequest(r.Context(), r), baseURL(r), r.URL.Path)
	info(r).tier = tier
	if err != nil {
		logger(r).ErrorContext(r.Context(), "page unavailable in every tier", "err", err)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(site.UnavailableHTML))
		return
	}
	// A private page answers not found from the caches; with sign-in
	// configured, it gets the sign-in card or, signed in, the page.
	if resp.Status == http.StatusNotFound && h.opts.PageAuth != nil && h.privatePage(w, r) { // signin.go
		return
	}
	// Header values are shared, read-only slices built once per cached
	// response: a cache hit allocates no header values of its own.
	hdr := w.Header()
	setSecurityHeaders(hdr, h.site.Policy(r.Context()), true) // policy.go
	hdr["X-Frontbase-Cache"] = tierHeader[tier]
	hdr["Cache-Control"] = resp.Headers.CacheControl
	if resp.Location != "" {
		loc := resp.Location
		if r.URL.RawQuery != "" {
			loc += "?" + r.URL.RawQuery
		}
		hdr.Set("Location", loc)
		w.WriteHeader(resp.Status)
		return
	}
	writeBody(w, r, resp)
	if h.opts.Analytics.Recorder != nil && r.Method == http.MethodGet && resp.Status == http.StatusOK {
		h.countView(r) // analytics.go
	}
}

// writeBody answers with a finished response, precompressed when the
// client accepts gzip, or 304 when the client's validator matches. Both
// encodings carry the same content, so either validator matches.
func writeBody(w http.ResponseWriter, r *http.Request, resp *site.Response) {
	hdr := w.Header()
	hdr["Content-Type"] = resp.Headers.ContentType
	hdr["X-Content-Type-Options"] = nosniff
	hdr["Vary"] = varyEncoding
	body, etag, length := resp.Body, resp.Headers.ETag, resp.Headers.ContentLength
	if resp.Gzip != nil && acceptenc.Gzip(r.Header.Get("Accept-Encoding")) {
		body, etag, length = resp.Gzip, resp.Headers.GzipETag, resp.Headers.GzipLength
		hdr["Content-Encoding"] = gzipEncoding
	}
	hdr["Etag"] = etag
	if inm := r.Header.Get("If-None-Match"); inm != "" && resp.Status == http.StatusOK &&
		(etagMatches(inm, resp.ETag) || etagMatches(inm, resp.GzipETag)) {
		hdr.Del("Content-Type")
		hdr.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr["Content-Length"] = length
	w.WriteHeader(resp.Status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

var (
	nosniff      = []string{"nosniff"}
	varyEncoding = []string{"Accept-Encoding"}
	gzipEncoding = []string{"gzip"}
	tierHeader   = func() map[cache.Tier][]string {
		m := map[cache.Tier][]string{}
		for _, t := range cache.Tiers {
			m[t] = []string{string(t)}
		}
		return m
	}()
)

// etagMatches applies If-None-Match's weak comparison (RFC 9110 13.1.2).
func etagMatches(header, etag string) bool {
	if etag == "" {
		return false
	}
	for _, candidate := range strings.Split(header, ",") {
		candidate = strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
		if candidate == "*" || candidate == etag {
			return true
		}
	}
	return false
}
