package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// requestLog counts the requests an engine receives, by method and path.
type requestLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *requestLog) add(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, r.Method+" "+r.URL.Path)
}

func (l *requestLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.seen
	l.seen = nil
	return out
}

// countingFront serves e's handler behind a request counter; with noSite
// it answers 404 to POST /api/import/site, as an engine without the route.
func countingFront(t testing.TB, e *enginetest.Engine, noSite bool) (string, *requestLog) {
	log := &requestLog{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.add(r)
		if noSite && r.URL.Path == "/api/import/site" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"success":false,"error":"no API route"}`))
			return
		}
		e.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, log
}

func versionCount(t *testing.T, e *enginetest.Engine) int {
	_, body := e.Manage(t, "GET", "/api/versions", "")
	return strings.Count(body, `"version":`)
}

// TestAPIStrategySendsTheSiteInOneRequest: the demo (6 pages and the
// settings) and a generated site of 500 pages (~2 MB) each reach the
// engine in ONE request, one site version (one generation bump), and in
// cloud mode a few Turso requests, not one per page; a second publish of
// the same directory writes nothing.
func TestAPIStrategySendsTheSiteInOneRequest(t *testing.T) {
	for _, mode := range []string{"local", "cloud-redis"} {
		t.Run(mode, func(t *testing.T) {
			e := enginetest.Start(t, enginetest.Options{Mode: mode})
			url, log := countingFront(t, e, false)
			environ := env(map[string]string{"FRONTBASE_SYSTEM_KEY": e.Key})
			demo := enginetest.DemoDir()
			turso := func() int64 {
				if e.Servers == nil {
					return 0
				}
				return e.Servers.Turso.Requests()
			}
			// The test counts requests, not time: a loaded machine may take
			// longer than the default 30 s per request for 500 pages.
			publish := func(args ...string) string {
				t.Helper()
				var out bytes.Buffer
				if code := run(context.Background(), append([]string{"publish", "--url", url, "--timeout", "5m"}, args...), environ, &out, &out); code != 0 {
					t.Fatalf("exit %d:\n%s", code, out.String())
				}
				return out.String()
			}
			before := turso()
			out := publish("--settings", filepath.Join(demo, "settings.json"), filepath.Join(demo, "pages"))
			if got := log.take(); len(got) != 1 || got[0] != "POST /api/import/site" {
				t.Errorf("the demo took requests %v, want one POST /api/import/site", got)
			}
			if n := turso() - before; n > 3 {
				t.Errorf("the demo cost %d Turso requests, want at most 3", n)
			}
			if v := versionCount(t, e); v != 1 {
				t.Errorf("%d site versions after one publish, want 1", v)
			}
			for _, w := range []string{"7 published, 0 failed", "landing.json", "settings published"} {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if resp, _ := e.Do(t, "GET", "/pricing", nil); resp.StatusCode != 200 {
				t.Errorf("/pricing = %d", resp.StatusCode)
			}
			log.take()

			// One request whatever the size: -short checks it on fewer pages.
			pages := 500
			if testing.Short() {
				pages = 100
			}
			big := benchSite(t, pages)
			before = turso()
			out = publish(big)
			if got := log.take(); len(got) != 1 {
				t.Errorf("%d pages took %d requests, want 1", pages, len(got))
			}
			if n := turso() - before; n > 3 {
				t.Errorf("%d pages cost %d Turso requests, want at most 3", pages, n)
			}
			if v := versionCount(t, e); v != 2 {
				t.Errorf("%d site versions after the second publish, want 2", v)
			}
			if !strings.Contains(out, fmt.Sprintf("%d published, 0 failed", pages)) {
				t.Errorf("output:\n%s", out[max(0, len(out)-300):])
			}
			if resp, _ := e.Do(t, "GET", fmt.Sprintf("/page-%d", pages*2/3), nil); resp.StatusCode != 200 {
				t.Errorf("/page-%d = %d", pages*2/3, resp.StatusCode)
			}

			out = publish(big)
			if strings.Contains(out, "Page published") || !strings.Contains(out, "Page unchanged") {
				t.Errorf("a republish of the same directory wrote pages:\n%s", out[:min(len(out), 400)])
			}
			if v := versionCount(t, e); v != 2 {
				t.Errorf("an unchanged republish added a site version (%d)", v)
			}
		})
	}
}

// TestAPIStrategyFallsBackPageByPage: an engine that answers 404 to the
// site route (older, or the TypeScript peer) gets one request per page,
// said once in the output, and still ends up serving the site.
func TestAPIStrategyFallsBackPageByPage(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	old, log := countingFront(t, e, true)
	current, _ := countingFront(t, e, false)
	demo := enginetest.DemoDir()
	var out bytes.Buffer
	code := run(context.Background(), []string{"publish", "--url", old, "--url", current, "--settings", filepath.Join(demo, "settings.json"), filepath.Join(demo, "pages")},
		env(map[string]string{"FRONTBASE_SYSTEM_KEY": e.Key}), &out, &out)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	if n := strings.Count(out.String(), "page by page"); n != 1 {
		t.Errorf("the fallback is said %d times, want once:\n%s", n, out.String())
	}
	got := log.take()
	want := []string{"POST /api/import/site", "POST /api/import/settings"}
	for range 6 {
		want = append(want, "POST /api/import")
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("requests to the older engine:\n%v\nwant\n%v", got, want)
	}
	if !strings.Contains(out.String(), "targets: 2 ok, 0 failed") || !strings.Contains(out.String(), "   7 published, 0 failed") {
		t.Errorf("output:\n%s", out.String())
	}
}
