package api

import (
	"net/http"
	"strings"

	"github.com/frontbase/edge/core/cache"
	"github.com/frontbase/edge/core/site"
)

func (h *handler) publicPage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	resp, tier, err := h.site.Serve(r.Context(), baseURL(r), r.URL.Path)
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
	// Header values are shared, read-only slices built once per cached
	// response: a cache hit allocates no header values of its own.
	hdr := w.Header()
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
	hdr["Content-Type"] = resp.Headers.ContentType
	hdr["X-Content-Type-Options"] = nosniff
	hdr["Vary"] = varyEncoding
	body, etag, length := resp.Body, resp.Headers.ETag, resp.Headers.ContentLength
	useGzip := resp.Gzip != nil && acceptsGzip(r.Header.Get("Accept-Encoding"))
	if useGzip {
		body, etag, length = resp.Gzip, resp.Headers.GzipETag, resp.Headers.GzipLength
		hdr["Content-Encoding"] = gzipEncoding
	}
	hdr["Etag"] = etag
	// Both encodings carry the same content, so either validator matches.
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
	tierHeader   = map[cache.Tier][]string{
		cache.TierL1Hit: {string(cache.TierL1Hit)}, cache.TierL1Stale: {string(cache.TierL1Stale)}, cache.TierMiss: {string(cache.TierMiss)},
	}
)

// acceptsGzip reads Accept-Encoding, honouring an explicit q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if c := strings.TrimSpace(coding); !strings.EqualFold(c, "gzip") && c != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return !(strings.HasPrefix(q, "q=0") && strings.Trim(strings.TrimPrefix(q, "q=0"), ".0") == "")
	}
	return false
}

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
