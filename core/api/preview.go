package api

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/core/site"
)

// Preview links: POST /api/preview stores a draft page and answers its
// link; GET /_preview/{token} renders it (core/site/preview.go).
//
// A token is base64url(random 16 bytes | expiry, 8 bytes | MAC, 8 bytes):
// 128 random bits make it unguessable; the expiry travels in the token so
// that an expired link answers 410 Gone even after the shared cache dropped
// the draft (its TTL, an eviction or a FLUSHALL), with no tombstone to
// write or keep; the MAC (HMAC-SHA256 keyed from the system key) means
// only tokens this engine issued get that far, so any other string is a
// plain 404. A valid, unexpired token whose draft is gone (the cache was
// flushed) is also 410: the link existed and is no longer available.
// Rotating the system key makes outstanding links 404.

const (
	tokenRandom = 16
	tokenBytes  = tokenRandom + 8 + 8
)

func (h *handler) previewRoutes(mux *http.ServeMux) {
	mux.Handle("POST /api/preview", h.managed(h.createPreview))
	mux.HandleFunc("GET /_preview/{token}", h.servePreview)
}

// previewMAC signs the token's random part and expiry.
func (h *handler) previewMAC(msg []byte) []byte {
	key := sha256.Sum256(append([]byte("frontbase preview links\x00"), h.keyHash[:]...))
	m := hmac.New(sha256.New, key[:])
	m.Write(msg)
	return m.Sum(nil)[:8]
}

func (h *handler) newPreviewToken(expires time.Time) string {
	var b [tokenBytes]byte
	rand.Read(b[:tokenRandom]) // crypto/rand never fails on supported platforms
	binary.BigEndian.PutUint64(b[tokenRandom:], uint64(expires.Unix()))
	copy(b[tokenRandom+8:], h.previewMAC(b[:tokenRandom+8]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// parsePreviewToken returns the expiry of a token this engine issued.
func (h *handler) parsePreviewToken(token string) (time.Time, bool) {
	if h.opts.SystemKey == "" || len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return time.Time{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != tokenBytes || !hmac.Equal(b[tokenRandom+8:], h.previewMAC(b[:tokenRandom+8])) {
		return time.Time{}, false
	}
	return time.Unix(int64(binary.BigEndian.Uint64(b[tokenRandom:])), 0), true
}

// createPreview answers POST /api/preview: body {"page": Page, "ttlSeconds": n},
// validated like POST /api/import.
func (h *handler) createPreview(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ttl, ttlErr := previewTTL(body)
	req, err := core.DecodeImport(body)
	if err != nil {
		if ttlErr != nil {
			if e, ok := err.(*core.Error); ok && len(e.Details) > 0 {
				e.Details = append(e.Details, *ttlErr)
			}
		}
		writeError(w, r, err)
		return
	}
	if ttlErr != nil {
		writeError(w, r, &core.Error{Code: core.EINVALID, Message: "validation failed: " + ttlErr.String(), Details: []core.FieldError{*ttlErr}})
		return
	}
	expires := h.now().Add(ttl).Truncate(time.Second)
	token := h.newPreviewToken(expires)
	if err := h.site.SavePreview(r.Context(), token, req, expires, baseURL(r)); err != nil {
		writeError(w, r, onePage(err))
		return
	}
	writeJSON(w, http.StatusOK, wire.PreviewResponse{
		Success: true, URL: baseURL(r) + "/_preview/" + token, ExpiresAt: expires.UTC(), Slug: req.Page.Slug,
	})
}

// previewTTL reads the optional ttlSeconds of a preview request.
func previewTTL(body []byte) (time.Duration, *core.FieldError) {
	var b wire.PreviewRequest
	if json.Unmarshal(body, &b) != nil || len(b.TTLSeconds) == 0 || bytes.Equal(b.TTLSeconds, []byte("null")) {
		return site.DefaultPreviewTTL, nil // a broken body is DecodeImport's to report
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(b.TTLSeconds))
	dec.UseNumber()
	max := int64(site.MaxPreviewTTL / time.Second)
	bad := &core.FieldError{Path: "ttlSeconds", Message: "must be a whole number of seconds from 1 to " + strconv.FormatInt(max, 10) + " (7 days)"}
	if c := b.TTLSeconds[0]; (c < '0' || c > '9') && c != '-' || dec.Decode(&n) != nil {
		return 0, bad
	}
	secs, err := n.Int64()
	if err != nil || secs < 1 {
		return 0, bad
	}
	if secs > max {
		bad.Message = "must be at most " + strconv.FormatInt(max, 10) + " seconds (7 days); got " + n.String()
		return 0, bad
	}
	return time.Duration(secs) * time.Second, nil
}

// servePreview answers GET /_preview/{token}: the draft rendered with
// noindex and no caching anywhere; 410 once expired, 404 for tokens this
// engine never issued.
func (h *handler) servePreview(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("X-Robots-Tag", "noindex")
	hdr.Set("Cache-Control", site.PreviewCacheControl)
	hdr.Set("Referrer-Policy", "no-referrer") // the link is the credential
	setSecurityHeaders(hdr, h.site.Policy(r.Context()), false)
	token := r.PathValue("token")
	expires, ok := h.parsePreviewToken(token)
	if !ok {
		previewMessage(w, r, http.StatusNotFound, "Preview not found", "There is no preview at this address.")
		return
	}
	if !h.now().Before(expires) {
		previewMessage(w, r, http.StatusGone, "Preview expired", "This preview link has expired. Ask for a new one.")
		return
	}
	resp, err := h.site.ServePreview(site.WithHTTPRequest(r.Context(), r), token, baseURL(r))
	switch core.ErrorCode(err) {
	case "":
	case core.ENOTFOUND:
		previewMessage(w, r, http.StatusGone, "Preview no longer available", "This preview is no longer available. Ask for a new one.")
		return
	default:
		logger(r).ErrorContext(r.Context(), "preview unavailable", "err", err)
		hdr.Set("Retry-After", "5")
		previewMessage(w, r, http.StatusServiceUnavailable, "Temporarily unavailable", "Please try again in a moment.")
		return
	}
	hdr["Content-Type"] = resp.Headers.ContentType
	hdr["X-Content-Type-Options"] = nosniff
	hdr["Content-Length"] = resp.Headers.ContentLength
	w.WriteHeader(resp.Status)
	if r.Method != http.MethodHead {
		w.Write(resp.Body)
	}
}

func previewMessage(w http.ResponseWriter, r *http.Request, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	// title and text are constants: nothing from the request is echoed.
	w.Write([]byte(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>` + title +
		`</title></head><body><h1>` + title + `</h1><p>` + text + `</p></body></html>`))
}
