package site

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/cache"
	"github.com/frontbase/edge/core/render"
	"github.com/frontbase/edge/core/render/runtime"
)

// Request-dependent pages.
//
// Most pages render the same for everyone and are cached once per path. A
// page whose Liquid reads url.*, cookies.*, visitor.* or the clock is
// rendered for the request at hand; its response records what it depends
// on (render.Deps) and for which values it was made (the variant key).
// Serve checks every response against the request: a response made for
// other values is never served; the right variant is found under
// key + "|" + variant in L1, or rendered from the page the first response
// kept, without another store read. Pages that read the clock are rendered
// for every request. Request-dependent responses are not written to the
// shared L2 cache, and ones that depend on the visitor (cookies, visitor,
// clock) are marked private so that a CDN keeps no copy for others.

type requestKey struct{}

// utcDay is today's date, "2026-11-22". It is cached per second: Serve
// calls it on every request.
func utcDay() string {
	now := time.Now().Unix()
	if d := day.Load(); d != nil && d.at == now {
		return d.s
	}
	s := time.Unix(now, 0).UTC().Format(time.DateOnly)
	day.Store(&dayCache{at: now, s: s})
	return s
}

type dayCache struct {
	at int64
	s  string
}

var day atomic.Pointer[dayCache]

// WithHTTPRequest makes r's query, cookies and visitor headers available
// to the Liquid scopes of pages rendered under ctx. Nothing is parsed
// unless a page needs it.
func WithHTTPRequest(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// scopeFrom builds the render scope of the request held by ctx (empty
// scopes when there is none).
func scopeFrom(ctx context.Context) *render.Request {
	r, _ := ctx.Value(requestKey{}).(*http.Request)
	if r == nil {
		return &render.Request{}
	}
	return RequestScope(r)
}

// Bounds on what a request contributes to the scopes.
const (
	maxScopeEntries = 64
	maxScopeValue   = 1024
)

// RequestScope extracts the Liquid request scopes from r.
func RequestScope(r *http.Request) *render.Request {
	rq := &render.Request{Query: map[string]string{}, Cookies: map[string]string{}}
	if q, err := url.ParseQuery(r.URL.RawQuery); err == nil || len(q) > 0 {
		for k, v := range q {
			if len(rq.Query) < maxScopeEntries && len(v) > 0 && len(k) <= 128 {
				rq.Query[k] = clip(v[0])
			}
		}
	}
	for _, c := range r.Cookies() {
		if len(rq.Cookies) >= maxScopeEntries {
			break
		}
		if _, dup := rq.Cookies[c.Name]; !dup {
			rq.Cookies[c.Name] = clip(c.Value)
		}
	}
	rq.Visitor = render.Visitor{
		Device:   deviceClass(r.Header.Get("User-Agent"), r.Header.Get("Sec-CH-UA-Mobile")),
		Language: primaryLanguage(r.Header.Get("Accept-Language")),
		Referrer: clip(r.Header.Get("Referer")),
		Country:  country(r.Header),
	}
	return rq
}

func clip(s string) string {
	if len(s) > maxScopeValue {
		return s[:maxScopeValue]
	}
	return s
}

// deviceClass sorts a user agent into mobile, tablet or desktop.
func deviceClass(ua, chMobile string) string {
	if chMobile == "?1" {
		return "mobile"
	}
	l := strings.ToLower(ua)
	switch {
	case strings.Contains(l, "ipad") || strings.Contains(l, "tablet") ||
		(strings.Contains(l, "android") && !strings.Contains(l, "mobile")):
		return "tablet"
	case strings.Contains(l, "mobi") || strings.Contains(l, "iphone") || strings.Contains(l, "ipod"):
		return "mobile"
	}
	return "desktop"
}

// primaryLanguage returns the first language tag of Accept-Language,
// lower-cased ("fr-ca"), or "" when there is none usable.
func primaryLanguage(h string) string {
	tag, _, _ := strings.Cut(h, ",")
	tag, _, _ = strings.Cut(tag, ";")
	tag = strings.ToLower(strings.TrimSpace(tag))
	if tag == "*" || len(tag) > 35 {
		return ""
	}
	for i := 0; i < len(tag); i++ {
		if c := tag[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return ""
		}
	}
	return tag
}

// countryHeaders are the geo headers platforms set, most specific first.
var countryHeaders = []string{"CloudFront-Viewer-Country", "X-Vercel-IP-Country", "CF-IPCountry", "X-Country-Code", "X-AppEngine-Country"}

func country(h http.Header) string {
	for _, name := range countryHeaders {
		if v := strings.ToUpper(strings.TrimSpace(h.Get(name))); len(v) == 2 && v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z' {
			return v
		}
	}
	return ""
}

// variants is what a request-dependent response knows of its page.
type variants struct {
	deps     render.Deps
	key      string                                   // the variant this response is
	rerender func(*render.Request) (*Response, error) // renders another variant of the same page
}

// renderPage renders a page for the request held by ctx and builds its
// response. cacheControl is used as it is for pages that are the same for
// everyone.
func (s *Service) renderPage(ctx context.Context, in render.Input, status int, cacheControl string) (*Response, error) {
	rq := scopeFrom(ctx)
	in.Request = rq
	res, err := s.renderSafely(ctx, in)
	if err != nil {
		return nil, err
	}
	if res.Deps.Static() {
		return newBodyResponse(status, htmlType, cacheControl, res.HTML), nil
	}
	if res.Deps.PerVisitor() {
		cacheControl = "private, no-cache"
	}
	var rerender func(*render.Request) (*Response, error)
	rerender = func(rq *render.Request) (*Response, error) {
		in := in
		in.Request = rq
		res, err := s.renderSafely(ctx, in)
		if err != nil {
			return nil, err
		}
		resp := newBodyResponse(status, htmlType, cacheControl, res.HTML)
		resp.vary = &variants{deps: res.Deps, key: res.Deps.Key(rq), rerender: rerender}
		return resp, nil
	}
	resp := newBodyResponse(status, htmlType, cacheControl, res.HTML)
	resp.vary = &variants{deps: res.Deps, key: res.Deps.Key(rq), rerender: rerender}
	return resp, nil
}

// forRequest makes sure the response served was made for this request's
// values of what the page depends on (see the top of this file).
func (s *Service) forRequest(ctx context.Context, key string, resp *Response, tier cache.Tier, err error) (*Response, cache.Tier, error) {
	if err != nil || resp == nil || resp.vary == nil {
		return resp, tier, err
	}
	v := resp.vary
	rq := scopeFrom(ctx)
	if v.deps.Clock {
		fresh, err := v.rerender(rq)
		if err != nil {
			return nil, tier, err
		}
		fresh.Source = resp.Source
		return fresh, cache.TierMiss, nil
	}
	want := v.deps.Key(rq)
	if want == v.key {
		return resp, tier, nil
	}
	return s.l1.Get(ctx, key+"|"+want, func(context.Context) (*Response, error) {
		fresh, err := v.rerender(rq)
		if err == nil {
			fresh.Source = resp.Source
		}
		return fresh, err
	})
}

// ServeAsset answers GET under runtime.Prefix: the browser runtime, and
// pages' linked cssBundles (render.BundleURL). Both are content-hashed and
// cached for a year; a hash that is not (or no longer) the content is 404.
func (s *Service) ServeAsset(ctx context.Context, path string) (*Response, cache.Tier, error) {
	if path == runtime.JS.Path {
		return runtimeResponse(), cache.TierL1Hit, nil
	}
	slug, hash, ok := render.ParseBundlePath(path)
	if !ok || core.ValidSlug(slug) != "" {
		return assetNotFound, cache.TierL1Hit, nil
	}
	key := strconv.FormatInt(s.currentGeneration(ctx), 10) + "|" + s.tenant + "|asset|" + path
	return s.l1.Get(ctx, key, func(ctx context.Context) (*Response, error) {
		b, err := s.store.LoadPage(ctx, core.PageQuery{Tenant: s.tenant, Slug: slug})
		if err != nil {
			return nil, err
		}
		if b.Page == nil || !b.Page.Page.Public() || render.BundleURL(b.Page.Page) == "" || render.BundleHash(b.Page.Page.CSSBundle) != hash {
			return assetNotFound, nil
		}
		return newBodyResponse(http.StatusOK, "text/css; charset=utf-8", immutable, render.BundleBody(b.Page.Page.CSSBundle)), nil
	})
}

const immutable = "public, max-age=31536000, immutable"

var (
	// runtimeResponse is made on first use: the runtime's gzip body is
	// compressed then, not at every cold start.
	runtimeResponse = sync.OnceValue(func() *Response {
		r := &Response{Status: http.StatusOK, ContentType: runtime.JS.ContentType, CacheControl: immutable,
			Body: runtime.JS.Body, Gzip: runtime.JS.Gzip(), ETag: runtime.JS.ETag, GzipETag: strings.TrimSuffix(runtime.JS.ETag, `"`) + `-gz"`}
		r.buildHeaders()
		return r
	})
	assetNotFound = newBodyResponse(http.StatusNotFound, textType, cachePolicy(10*time.Second), []byte("not found\n"))
)
