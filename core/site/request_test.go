package site

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/cache"
	"github.com/frontbase/edge/core/render"
	"github.com/frontbase/edge/core/render/runtime"
)

// putText publishes a page holding one Text prop.
func (m *memStore) putText(slug, text string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	m.pages[slug] = &core.StoredPage{Page: &core.Page{ID: slug, Slug: slug, Title: slug,
		LayoutData: core.LayoutData{Content: []core.Component{{Type: "Text", Props: map[string]any{"text": text}}}}}}
}

// get serves path for a request built from target and headers.
func get(t *testing.T, svc *Service, target string, headers ...string) (*Response, cache.Tier) {
	t.Helper()
	r := httptest.NewRequest("GET", target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	resp, tier, err := svc.Serve(WithHTTPRequest(context.Background(), r), "http://x", r.URL.Path)
	if err != nil {
		t.Fatal(err)
	}
	return resp, tier
}

// TestRequestDependentPagesAreNotShared: a page whose output depends on
// the request is never served from an L1 entry made for another request,
// while requests with the same values share one entry and static pages
// keep one entry for everyone.
func TestRequestDependentPagesAreNotShared(t *testing.T) {
	store := newMemStore()
	store.putText("plan", "plan={{ url.plan }}")
	store.putText("theme", "theme={{ cookies.theme }}")
	store.putText("lang", "lang={{ visitor.language }}")
	store.putText("static", "hello {{ page.title }}")
	svc := newService(store, time.Hour)

	tests := []struct {
		name    string
		target  string
		headers []string
		want    string
		private bool
	}{
		{"query 1", "/plan?plan=pro", nil, "plan=pro", false},
		{"query 2", "/plan?plan=free", nil, "plan=free", false},
		{"query absent", "/plan", nil, "plan=<", false},
		{"query 1 again, other params ignored", "/plan?plan=pro&utm=x", nil, "plan=pro", false},
		{"cookie 1", "/theme", []string{"Cookie", "theme=dark"}, "theme=dark", true},
		{"cookie 2", "/theme", []string{"Cookie", "theme=light; other=1"}, "theme=light", true},
		{"no cookie", "/theme", nil, "theme=<", true},
		{"visitor 1", "/lang", []string{"Accept-Language", "fr-CA,fr;q=0.9"}, "lang=fr-ca", true},
		{"visitor 2", "/lang", []string{"Accept-Language", "de"}, "lang=de", true},
		{"static 1", "/static?plan=pro", []string{"Cookie", "theme=dark"}, "hello static", false},
		{"static 2", "/static?plan=free", nil, "hello static", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := get(t, svc, tc.target, tc.headers...)
			if !strings.Contains(string(resp.Body), ">"+tc.want) {
				t.Errorf("body lacks %q:\n%s", tc.want, resp.Body)
			}
			if got := strings.HasPrefix(resp.CacheControl, "private"); got != tc.private {
				t.Errorf("Cache-Control %q, private = %v, want %v", resp.CacheControl, got, tc.private)
			}
		})
	}
	loads := store.loads.Load()
	// Every variant was rendered from the page the first response kept:
	// one store read per page.
	if loads != 4 {
		t.Errorf("%d store reads for 4 pages, want 4", loads)
	}
	// Same values: an L1 hit of the same entry.
	if _, tier := get(t, svc, "/plan?plan=free"); tier != cache.TierL1Hit {
		t.Errorf("repeat variant came from %s, want l1-hit", tier)
	}
	if _, tier := get(t, svc, "/static?x=1"); tier != cache.TierL1Hit {
		t.Errorf("static page came from %s, want l1-hit", tier)
	}
}

// TestConcurrentVariants: concurrent first requests with different values
// are coalesced into one load, and still each gets its own output.
func TestConcurrentVariants(t *testing.T) {
	store := newMemStore()
	store.putText("plan", "plan={{ url.plan }}")
	svc := newService(store, time.Hour)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			v := []string{"a", "b", "c", "d"}[i%4]
			r := httptest.NewRequest("GET", "/plan?plan="+v, nil)
			resp, _, err := svc.Serve(WithHTTPRequest(context.Background(), r), "http://x", "/plan")
			if err != nil {
				t.Error(err)
				return
			}
			if !strings.Contains(string(resp.Body), ">plan="+v+"<") {
				t.Errorf("plan=%s got another request's page: %s", v, resp.Body)
			}
		})
	}
	wg.Wait()
}

// TestClockPagesRenderPerRequest: system.time changes every second, so
// such pages are rendered for each request (from the cached page, not
// the store).
func TestClockPagesRenderPerRequest(t *testing.T) {
	synctest.Test(t, testClockPagesRenderPerRequest)
}

func testClockPagesRenderPerRequest(t *testing.T) {
	store := newMemStore()
	store.putText("now", "t={{ system.timestamp }}")
	svc := newService(store, time.Hour)
	defer svc.Close()
	first, _ := get(t, svc, "/now")
	time.Sleep(1100 * time.Millisecond) // the bubble's clock: no real time
	second, tier := get(t, svc, "/now")
	if string(first.Body) == string(second.Body) {
		t.Error("a clock page was served from the cache a second later")
	}
	if tier == cache.TierL1Hit || tier == cache.TierL1Stale || !strings.HasPrefix(second.CacheControl, "private") {
		t.Errorf("tier %s, Cache-Control %q", tier, second.CacheControl)
	}
	if n := store.loads.Load(); n != 1 {
		t.Errorf("%d store reads, want 1", n)
	}
}

func TestRequestScope(t *testing.T) {
	r := httptest.NewRequest("GET", "/p?plan=pro&plan=free&x=%3Cb%3E", nil)
	r.Header.Set("Cookie", "theme=dark; theme=light; id=1")
	r.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148")
	r.Header.Set("Accept-Language", "en-GB,en;q=0.8")
	r.Header.Set("Referer", "https://search.test/?q=acme")
	r.Header.Set("CloudFront-Viewer-Country", "gb")
	rq := RequestScope(r)
	want := render.Request{
		Query:   map[string]string{"plan": "pro", "x": "<b>"},
		Cookies: map[string]string{"theme": "dark", "id": "1"},
		Visitor: render.Visitor{Device: "mobile", Language: "en-gb", Referrer: "https://search.test/?q=acme", Country: "GB"},
	}
	if rq.Visitor != want.Visitor || len(rq.Query) != 2 || rq.Query["plan"] != "pro" || rq.Query["x"] != "<b>" ||
		len(rq.Cookies) != 2 || rq.Cookies["theme"] != "dark" {
		t.Errorf("scope %+v, want %+v", rq, want)
	}
	for ua, class := range map[string]string{
		"Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)":              "tablet",
		"Mozilla/5.0 (Linux; Android 14; SM-X710)":                   "tablet",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537": "mobile",
		"Mozilla/5.0 (X11; Linux x86_64) Chrome/130":                 "desktop",
	} {
		if got := deviceClass(ua, ""); got != class {
			t.Errorf("%s: %s, want %s", ua, got, class)
		}
	}
}

func TestServeAsset(t *testing.T) {
	store := newMemStore()
	big := strings.Repeat(".a{color:red}", render.InlineBundleMax/10)
	store.putText("big", "x")
	store.pages["big"].Page.CSSBundle = big
	store.putText("small", "x")
	store.pages["small"].Page.CSSBundle = ".a{color:red}"
	svc := newService(store, time.Hour)

	resp, _, _ := svc.Serve(context.Background(), "http://x", "/big")
	href := render.BundleURL(store.pages["big"].Page)
	if href == "" || !strings.Contains(string(resp.Body), `<link rel="stylesheet" href="`+href+`">`) || strings.Contains(string(resp.Body), big) {
		t.Fatalf("large bundle not linked (%q):\n%.400s", href, resp.Body)
	}
	small, _, _ := svc.Serve(context.Background(), "http://x", "/small")
	if !strings.Contains(string(small.Body), "<style>.a{color:red}</style>") {
		t.Errorf("small bundle not inlined")
	}
	tests := []struct {
		path   string
		status int
		body   string
	}{
		{runtime.JS.Path, 200, string(runtime.JS.Body)},
		{href, 200, big},
		{render.BundleCSSPrefix + "big.0000000000000000.css", 404, ""},
		{render.BundleCSSPrefix + "small." + render.BundleHash(".a{color:red}") + ".css", 404, ""},
		{render.BundleCSSPrefix + "../x.css", 404, ""},
		{runtime.Prefix + "runtime.js", 404, ""},
	}
	for _, tc := range tests {
		resp, _, err := svc.ServeAsset(context.Background(), tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != tc.status || (tc.body != "" && string(resp.Body) != tc.body) {
			t.Errorf("%s: %d %.80s, want %d", tc.path, resp.Status, resp.Body, tc.status)
		}
		if tc.status == 200 && resp.CacheControl != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", tc.path, resp.CacheControl)
		}
	}
}
