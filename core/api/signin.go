package api

import (
	"html"
	"maps"
	"net/http"
	"net/url"
	"strconv"

	"github.com/frontbase/edge/core/cache"
	"github.com/frontbase/edge/core/site"
)

// privatePage answers a published private page (isPublic: false) when
// sign-in is configured: the page for a signed-in visitor, the sign-in
// card (never the page's content) for anyone else. Both are
// "private, no-store": neither enters L1, the shared cache nor a CDN.
// It answers false when path is not a private page.
func (h *handler) privatePage(w http.ResponseWriter, r *http.Request) bool {
	private, err := h.site.IsPrivate(r.Context(), r.URL.Path)
	if err != nil {
		logger(r).WarnContext(r.Context(), "page auth: listing private pages failed", "err", err)
		return false
	}
	if !private {
		return false
	}
	hdr := w.Header()
	setSecurityHeaders(hdr, h.site.Policy(r.Context()), true) // policy.go
	hdr.Set("Vary", "Cookie")
	if _, err := h.signedIn(w, r); err == nil {
		resp, ok, err := h.site.PrivatePage(site.WithHTTPRequest(r.Context(), r), baseURL(r), r.URL.Path)
		if err != nil {
			logger(r).ErrorContext(r.Context(), "private page unavailable", "err", err)
			hdr.Set("Cache-Control", "no-store")
			hdr.Set("Retry-After", "5")
			hdr.Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(site.UnavailableHTML))
			return true
		}
		if ok {
			info(r).tier = cache.TierMiss
			hdr.Set("Cache-Control", site.PrivateCacheControl)
			hdr.Set("Content-Type", resp.ContentType)
			hdr.Set("X-Content-Type-Options", "nosniff")
			hdr.Set("Content-Length", strconv.Itoa(len(resp.Body)))
			w.WriteHeader(resp.Status)
			if r.Method != http.MethodHead {
				w.Write(resp.Body)
			}
			return true
		}
	}
	hdr.Set("Cache-Control", site.PrivateCacheControl)
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Robots-Tag", "noindex")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(signInCard(r))
	}
	return true
}

// signInCard is the page a signed-out visitor of a private page gets: a
// form posting to the sign-in routes with this page as redirectTo (the
// second button signs up instead), and the outcome the routes sent back
// in auth_error / auth_message. No script: it works under any CSP.
func signInCard(r *http.Request) []byte {
	q := r.URL.Query()
	back := r.URL.Path
	if rest := stripAuthParams(q); rest != "" {
		back += "?" + rest
	}
	notice := ""
	if e := q.Get("auth_error"); e != "" {
		notice = `<p class="e" role="alert">` + html.EscapeString(e) + `</p>`
	} else if m := q.Get("auth_message"); m != "" {
		notice = `<p class="m" role="status">` + html.EscapeString(m) + `</p>`
	}
	return []byte(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>Sign in</title>` +
		`<style>body{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:100vh;margin:0;background:#f4f4f5;color:#18181b}main{background:#fff;padding:2rem;border-radius:.75rem;box-shadow:0 4px 24px rgba(0,0,0,.08);width:min(22rem,90vw);box-sizing:border-box}h1{font-size:1.25rem;margin:0 0 .25rem}form{display:flex;flex-direction:column;gap:.75rem;margin-top:1rem}label{font-size:.875rem;display:flex;flex-direction:column;gap:.25rem}input{padding:.5rem;border:1px solid #d4d4d8;border-radius:.375rem;font:inherit}button{padding:.6rem;border:0;border-radius:.375rem;background:#4f46e5;color:#fff;font:inherit;cursor:pointer}button.s{background:none;color:#4f46e5}.e{color:#b91c1c}.m{color:#15803d}p{margin:.25rem 0;font-size:.875rem}</style></head>` +
		`<body><main><h1>Sign in</h1><p>Sign in to view this page.</p>` + notice +
		`<form method="POST" action="/api/page-auth/login"><input type="hidden" name="redirectTo" value="` + html.EscapeString(back) + `">` +
		`<label>Email<input name="email" type="email" required autocomplete="email"></label>` +
		`<label>Password<input name="password" type="password" required minlength="6" autocomplete="current-password"></label>` +
		`<button type="submit">Sign in</button><button class="s" type="submit" formaction="/api/page-auth/signup">Create an account</button></form></main></body></html>`)
}

// stripAuthParams is the query without the routes' outcome parameters,
// so that signing in again does not carry an old error along.
func stripAuthParams(q url.Values) string {
	q = maps.Clone(q)
	q.Del("auth_error")
	q.Del("auth_message")
	return q.Encode()
}
