package flushtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/frontbase/edge/core/analytics"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// TestAnalyticsAPI serves pages through the whole engine in every mode,
// flushes, and reads the report.
func TestAnalyticsAPI(t *testing.T) {
	for _, mode := range enginetest.Modes {
		t.Run(mode, func(t *testing.T) {
			e := enginetest.Start(t, enginetest.Options{Mode: mode})
			e.PublishDemo(t)
			serve := func(path, ua, ref, country, ip string) int {
				req := httptest.NewRequest("GET", "http://www.acme.test"+path, nil)
				req.RemoteAddr = ip + ":4000"
				req.Header.Set("User-Agent", ua)
				if ref != "" {
					req.Header.Set("Referer", ref)
				}
				if country != "" {
					req.Header.Set("CloudFront-Viewer-Country", country)
				}
				rec := httptest.NewRecorder()
				e.Handler.ServeHTTP(rec, req) // synchronous: the count is done when it returns
				return rec.Code
			}
			const browser = "Mozilla/5.0 (Windows NT 10.0) Firefox/130.0"
			const phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148"
			for i := range 6 {
				serve("/", browser, "https://search.example/q", "FR", fmt.Sprintf("10.1.0.%d", i%3))
			}
			for i := range 4 {
				serve("/about", phone, "https://www.acme.test/", "", fmt.Sprintf("10.2.0.%d", i))
			}
			serve("/about", "Googlebot/2.1 (+http://www.google.com/bot.html)", "", "", "10.9.9.9")
			if code := serve("/no-such-page", browser, "", "", "10.3.0.1"); code != http.StatusNotFound {
				t.Fatalf("unknown page = %d", code)
			}
			rep, err := e.Flusher.Flush(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if rep.Views != 10 {
				t.Errorf("flush moved %d views, want 10 (%+v)", rep.Views, rep)
			}
			day := time.Now().UTC().Format(time.DateOnly)
			resp, body := e.Manage(t, "GET", "/api/analytics?from="+day+"&to="+day, "")
			if resp.StatusCode != 200 {
				t.Fatalf("GET /api/analytics = %d %s", resp.StatusCode, body)
			}
			var s analytics.Summary
			if err := json.Unmarshal([]byte(body), &s); err != nil {
				t.Fatal(err)
			}
			want := analytics.Summary{From: day, To: day, Views: 10, Uniques: 7, Bots: 1,
				Days:         []analytics.DayStat{{Day: day, Views: 10, Uniques: 7, Bots: 1}},
				TopPages:     []analytics.KeyCount{kc("/", 6), kc("/about", 4)},
				TopReferrers: []analytics.KeyCount{kc("search.example", 6)}, // the site's own host is no referrer
				Devices:      []analytics.KeyCount{kc("desktop", 6), kc("mobile", 4)},
				Countries:    []analytics.KeyCount{kc("FR", 6)},
			}
			if got, w := fmt.Sprintf("%+v", s), fmt.Sprintf("%+v", want); got != w {
				t.Errorf("summary\n got %s\nwant %s", got, w)
			}
			resp, body = e.Manage(t, "GET", "/api/analytics?from="+day+"&to="+day+"&page=/about", "")
			if err := json.Unmarshal([]byte(body), &s); err != nil || resp.StatusCode != 200 || s.Views != 4 || s.Bots != 1 {
				t.Errorf("page=/about: %d %s", resp.StatusCode, body)
			}
			// The page as a user types it: no leading slash, or a trailing one.
			for _, page := range []string{"about", "/about/", "about/"} {
				resp, body = e.Manage(t, "GET", "/api/analytics?from="+day+"&to="+day+"&page="+page, "")
				if err := json.Unmarshal([]byte(body), &s); err != nil || resp.StatusCode != 200 || s.Views != 4 || s.Page != "/about" {
					t.Errorf("page=%s: %d %s, want the 4 views of /about", page, resp.StatusCode, body)
				}
			}
			for _, q := range []string{"page=https://www.acme.test/about", "from=yesterday", "from=2026-02-01&to=2026-01-01", "from=2020-01-01&to=2026-01-01"} {
				if resp, _ := e.Manage(t, "GET", "/api/analytics?"+q, ""); resp.StatusCode != 400 {
					t.Errorf("%s = %d, want 400", q, resp.StatusCode)
				}
			}
			if resp, _ := e.Do(t, "GET", "/api/analytics", nil); resp.StatusCode != 401 {
				t.Errorf("without the key = %d, want 401", resp.StatusCode)
			}
		})
	}
}

func kc(key string, n int64) analytics.KeyCount { return analytics.KeyCount{Key: key, Count: n} }

// TestAnalyticsUniquesBehindAProxy: behind a trusted proxy
// (FRONTBASE_TRUSTED_PROXIES) every visitor reaches the engine from the
// proxy's address; analytics must tell them apart by the X-Forwarded-For
// hop the proxy wrote, as rate limits do, and must not believe the header
// from anyone else.
func TestAnalyticsUniquesBehindAProxy(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Env: map[string]string{"FRONTBASE_TRUSTED_PROXIES": "10.0.0.0/8"}})
	e.PublishDemo(t)
	serve := func(peer, xff string) {
		req := httptest.NewRequest("GET", "http://www.acme.test/", nil)
		req.RemoteAddr = peer + ":4000"
		req.Header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0) Firefox/130.0")
		req.Header.Set("X-Forwarded-For", xff)
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("GET / = %d", rec.Code)
		}
	}
	const visitors = 20
	for i := range visitors {
		serve("10.0.0.7", fmt.Sprintf("198.51.100.%d", i+1)) // the proxy, for 20 visitors
	}
	for i := range visitors {
		serve("203.0.113.5", fmt.Sprintf("192.0.2.%d", i+1)) // one visitor, spoofing the header
	}
	if _, err := e.Flusher.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	day := time.Now().UTC().Format(time.DateOnly)
	resp, body := e.Manage(t, "GET", "/api/analytics?from="+day+"&to="+day, "")
	var s analytics.Summary
	if err := json.Unmarshal([]byte(body), &s); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/analytics = %d %s", resp.StatusCode, body)
	}
	t.Logf("%d views from %d visitors behind a proxy and 1 spoofing visitor: %d uniques", s.Views, visitors, s.Uniques)
	if s.Views != 2*visitors || s.Uniques != visitors+1 {
		t.Errorf("views %d, uniques %d; want %d views and %d uniques", s.Views, s.Uniques, 2*visitors, visitors+1)
	}
}
