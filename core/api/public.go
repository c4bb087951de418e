package api

import (
	"net/http"
	"strconv"
	"strings"

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
	hdr := w.Header()
	hdr.Set("X-Frontbase-Cache", string(tier))
	hdr.Set("Cache-Control", resp.CacheControl)
	if resp.Location != "" {
		loc := resp.Location
		if r.URL.RawQuery != "" {
			loc += "?" + r.URL.RawQuery
		}
		hdr.Set("Location", loc)
		w.WriteHeader(resp.Status)
		return
	}
	hdr.Set("Content-Type", resp.ContentType)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Vary", "Accept-Encoding")
	body, etag := resp.Body, resp.ETag
	useGzip := resp.Gzip != nil && acceptsGzip(r.Header.Get("Accept-Encoding"))
	if useGzip {
		body, etag = resp.Gzip, resp.GzipETag()
		hdr.Set("Content-Encoding", "gzip")
	}
	hdr.Set("ETag", etag)
	// Both encodings carry the same content, so either validator matches.
	if inm := r.Header.Get("If-None-Match"); inm != "" && resp.Status == http.StatusOK &&
		(etagMatches(inm, resp.ETag) || etagMatches(inm, resp.GzipETag())) {
		hdr.Del("Content-Type")
		hdr.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.Status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

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
