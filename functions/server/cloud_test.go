package main

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

var cloudModes = []string{"cloud-redis", "cloud-upstash"}

// twoEngines starts two engine instances on one tursodb and one Redis, as
// two Lambda instances or two edge nodes of one site would be.
func twoEngines(t *testing.T, mode, ttl string) (a, b *enginetest.Engine) {
	servers := enginetest.StartServers(t, mode)
	env := map[string]string{"FRONTBASE_L1_TTL": ttl}
	a = enginetest.Start(t, enginetest.Options{Mode: mode, Servers: servers, Env: env})
	b = enginetest.Start(t, enginetest.Options{Mode: mode, Servers: servers, Env: env})
	return a, b
}

func TestRoundTripsPerTier(t *testing.T) {
	for _, mode := range cloudModes {
		t.Run(mode, func(t *testing.T) {
			a, b := twoEngines(t, mode, "1h")
			a.PublishDemo(t)
			servers := a.Servers
			// Warm both instances' generation check so it is not counted.
			a.Do(t, "GET", "/robots.txt", nil, "Host", "www.acme.test")
			b.Do(t, "GET", "/robots.txt", nil, "Host", "www.acme.test")

			measure := func(e *enginetest.Engine, path, wantTier string) (redisCalls map[string]int64, tursoRequests int64) {
				t.Helper()
				servers.Redis.ResetStats(t)
				before := servers.Turso.Requests()
				// Both instances serve one site: the same Host, as behind a
				// load balancer or CDN.
				resp, _ := e.Do(t, "GET", path, nil, "Host", "www.acme.test")
				if resp.StatusCode != 200 || resp.Header.Get("X-Frontbase-Cache") != wantTier {
					t.Fatalf("GET %s: %d from %q, want 200 from %s", path, resp.StatusCode, resp.Header.Get("X-Frontbase-Cache"), wantTier)
				}
				calls := servers.Redis.Calls(t)
				// A page larger than the server's write buffer reaches the
				// client before the handler counts it: wait for the count.
				for deadline := time.Now().Add(30 * time.Second); calls["hincrby"] == 0 && time.Now().Before(deadline); {
					time.Sleep(5 * time.Millisecond)
					calls = servers.Redis.Calls(t)
				}
				delete(calls, "config|resetstat")
				delete(calls, "info")
				delete(calls, "ping") // the REST front checks its backend before a pipeline
				// A connection the pool opens (the page-view sender may hold
				// one at that moment) says hello first: set-up, not a call.
				delete(calls, "hello")
				delete(calls, "client|setinfo")
				// The page view is counted in one pipeline (core/analytics):
				// one field per counter and, for a browser, the visitor's HLL
				// and its expiry (this client is counted as a bot).
				if calls["hincrby"] < 1 || calls["pfadd"] > 1 || calls["pexpire"] != calls["pfadd"] {
					t.Errorf("GET %s counted as %v, want hincrbys and at most one pfadd and pexpire", path, calls)
				}
				delete(calls, "hincrby")
				delete(calls, "pfadd")
				delete(calls, "pexpire")
				return calls, servers.Turso.Requests() - before
			}

			// The landing page is the same for every visitor, so it is the
			// one that L2 shares (pages whose Liquid reads the request or the
			// clock are rendered per instance).
			// L3 fill on A: one database request; L2 read (one MGET) and
			// one pipelined write of two keys.
			calls, turso := measure(a, "/", "l3")
			if turso != 1 || calls["mget"] != 1 || calls["set"] != 2 || len(calls) != 2 {
				t.Errorf("L3 fill: %d Turso requests, Redis %v; want 1, mget 1 and set 2 (one pipeline)", turso, calls)
			}
			// L2 hit on B (its L1 is empty): one Redis command, no database.
			calls, turso = measure(b, "/", "l2-hit")
			if turso != 0 || calls["mget"] != 1 || len(calls) != 1 {
				t.Errorf("L2 hit: %d Turso requests, Redis %v; want 0 and one mget", turso, calls)
			}
			// L1 hit: nothing leaves the process.
			calls, turso = measure(b, "/", "l1-hit")
			if turso != 0 || len(calls) != 0 {
				t.Errorf("L1 hit: %d Turso requests, Redis %v; want none", turso, calls)
			}
		})
	}
}

func TestPublishThroughOneInstanceReachesTheOther(t *testing.T) {
	for _, mode := range cloudModes {
		t.Run(mode, func(t *testing.T) {
			a, b := twoEngines(t, mode, "300ms")
			a.PublishDemo(t)
			if _, body := b.Do(t, "GET", "/about", nil); !strings.Contains(body, "About Acme") {
				t.Fatal("B does not serve the page A published")
			}
			edited := strings.ReplaceAll(readDemo(t, "about.json"), `"About Acme"`, `"About Acme, edited on A"`)
			resp, out := a.Manage(t, "POST", "/api/import", edited)
			if resp.StatusCode != 200 || !strings.Contains(out, "liveEverywhereBy") {
				t.Fatalf("publish on A: %d %s", resp.StatusCode, out)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				if _, body := b.Do(t, "GET", "/about", nil); strings.Contains(body, "edited on A") {
					return
				}
				if time.Now().After(deadline) {
					t.Fatal("B still serves the old page 30s after A published (L1 TTL 300ms)")
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// hammer requests paths until stop is closed and counts the answers that
// were not 200.
func hammer(t *testing.T, e *enginetest.Engine, paths []string, stop <-chan struct{}) (failures *atomic.Int64, wait func()) {
	failures = &atomic.Int64{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(e.URL + paths[i%len(paths)])
				if err != nil {
					failures.Add(1)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failures.Add(1)
				}
			}
		}()
	}
	return failures, wg.Wait
}

var demoPaths = []string{"/", "/about", "/contact", "/pricing", "/docs/getting-started"}

func TestRedisDyingAndComingBackCostsNoRequest(t *testing.T) {
	for _, mode := range cloudModes {
		t.Run(mode, func(t *testing.T) {
			e := enginetest.Start(t, enginetest.Options{Mode: mode, Env: map[string]string{"FRONTBASE_L1_TTL": "100ms"}})
			e.PublishDemo(t)
			stop := make(chan struct{})
			failures, wait := hammer(t, e, demoPaths, stop)
			time.Sleep(200 * time.Millisecond)
			e.Servers.Redis.Stop()
			// The breaker opens (pages come from L1 and the database):
			// polled, as the hammer's requests trip it.
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				_, health := e.Do(t, "GET", "/api/health", nil, "X-System-Key", e.Key)
				if strings.Contains(health, `"breaker":"open"`) || strings.Contains(health, `"breaker":"half-open"`) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("with Redis dead the breaker is not open after 30s: %s", health)
				}
			}
			// A publish still works and still reaches this instance.
			edited := strings.ReplaceAll(readDemo(t, "about.json"), `"About Acme"`, `"About Acme, Redis down"`)
			if resp, out := e.Manage(t, "POST", "/api/import", edited); resp.StatusCode != 200 {
				t.Fatalf("publish with Redis down: %d %s", resp.StatusCode, out)
			}
			if _, body := e.Do(t, "GET", "/about", nil); !strings.Contains(body, "Redis down") {
				t.Error("the page published while Redis was down is not served")
			}
			e.Servers.Redis.Start()
			e.Servers.Redis.ResetStats(t)
			deadline := time.Now().Add(60 * time.Second)
			for len(e.Servers.Redis.Calls(t)) <= 2 { // more than our own INFO/CONFIG calls
				if time.Now().After(deadline) {
					t.Fatal("Redis was not used again within 60s of coming back")
				}
				time.Sleep(100 * time.Millisecond)
			}
			close(stop)
			wait()
			if n := failures.Load(); n != 0 {
				t.Errorf("%d page requests failed while Redis died and came back", n)
			}
		})
	}
}

func TestFlushAllLosesNothing(t *testing.T) {
	for _, mode := range cloudModes {
		t.Run(mode, func(t *testing.T) {
			e := enginetest.Start(t, enginetest.Options{Mode: mode, Env: map[string]string{"FRONTBASE_L1_TTL": "50ms"}})
			e.PublishDemo(t)
			stop := make(chan struct{})
			failures, wait := hammer(t, e, demoPaths, stop)
			for range 5 {
				time.Sleep(100 * time.Millisecond)
				e.Servers.Redis.FlushAll(t)
			}
			close(stop)
			wait()
			if n := failures.Load(); n != 0 {
				t.Errorf("%d page requests failed across FLUSHALLs", n)
			}
			_, pages := e.Manage(t, "GET", "/api/manage/pages", "")
			_, settings := e.Manage(t, "GET", "/api/import/settings", "")
			if strings.Count(pages, `"slug"`) != 6 || !strings.Contains(settings, "Acme Edge") {
				t.Errorf("after FLUSHALL: pages %s settings %s", pages, settings)
			}
		})
	}
}

func TestStateDatabaseDown(t *testing.T) {
	for _, mode := range cloudModes {
		t.Run(mode, func(t *testing.T) {
			e := enginetest.Start(t, enginetest.Options{Mode: mode, Env: map[string]string{"FRONTBASE_L1_TTL": "100ms"}})
			e.PublishDemo(t)
			for _, p := range demoPaths {
				e.Do(t, "GET", p, nil)
			}
			e.Servers.Turso.Stop()

			// Once the copies are past freshness (100ms), the first request
			// starts a refresh in the background; once it has failed, the
			// instance knows the database is down and says so on the copies
			// it serves past freshness. Polled: no assumption on how long
			// that takes on a loaded machine.
			for _, p := range demoPaths {
				deadline := time.Now().Add(60 * time.Second)
				for {
					resp, body := e.Do(t, "GET", p, nil)
					if resp.StatusCode != 200 || !strings.Contains(body, "</html>") {
						t.Fatalf("GET %s with the database down: %d, want the cached page", p, resp.StatusCode)
					}
					if resp.Header.Get("X-Frontbase-Cache") == "stale" {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("GET %s with the database down is still marked %q after 60s, want stale", p, resp.Header.Get("X-Frontbase-Cache"))
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			// Another instance of the site, with an empty L1, serves the
			// copies other instances left in L2.
			other := enginetest.Start(t, enginetest.Options{Mode: mode, Servers: e.Servers})
			host := strings.TrimPrefix(e.URL, "http://")
			if resp, _ := other.Do(t, "GET", "/", nil, "Host", host); resp.StatusCode != 200 {
				t.Errorf("a fresh instance with the database down: %d, want the L2 copy", resp.StatusCode)
			}
			// Nothing holds this page: a 503, not a 500.
			if resp, _ := e.Do(t, "GET", "/never-published", nil); resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("uncached page with the database down: %d, want 503", resp.StatusCode)
			}
			// Publishing fails clearly and changes nothing.
			resp, out := e.Manage(t, "POST", "/api/import", readDemo(t, "about.json"))
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(out, "state database") {
				t.Errorf("publish with the database down: %d %s, want 503 naming the state database", resp.StatusCode, out)
			}
		})
	}
}

// TestFreshDatabaseMigratesOnFirstUse: a new deploy on a database nobody
// migrated works without a step the user can forget. With
// FRONTBASE_AUTO_MIGRATE=off the health check and every error say to run
// `frontbase migrate`; by default two instances starting together (one
// flushing page views first, as the scheduled function would, one
// answering a health check) migrate it once and both work.
func TestFreshDatabaseMigratesOnFirstUse(t *testing.T) {
	servers := enginetest.StartFreshServers(t, "cloud-redis")
	off := enginetest.Start(t, enginetest.Options{Servers: servers, Env: map[string]string{"FRONTBASE_AUTO_MIGRATE": "off"}})
	resp, body := off.Manage(t, "GET", "/api/health", "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"status":"degraded"`) || !strings.Contains(body, "run `frontbase migrate`") {
		t.Errorf("health with auto-migration off on a fresh database: %d %s, want degraded saying to run frontbase migrate", resp.StatusCode, body)
	}
	resp, body = off.Manage(t, "POST", "/api/import", readDemo(t, "about.json"))
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "run `frontbase migrate`") {
		t.Errorf("publish with auto-migration off on a fresh database: %d %s, want 503 saying to run frontbase migrate", resp.StatusCode, body)
	}

	a := enginetest.Start(t, enginetest.Options{Servers: servers})
	b := enginetest.Start(t, enginetest.Options{Servers: servers})
	var wg sync.WaitGroup
	var flushErr error
	wg.Go(func() { _, flushErr = a.Flusher.Flush(t.Context()) })
	var health string
	wg.Go(func() { _, health = b.Manage(t, "GET", "/api/health", "") })
	wg.Wait()
	if flushErr != nil {
		t.Errorf("the first flush on a fresh database: %v", flushErr)
	}
	if !strings.Contains(health, `"status":"ok"`) {
		t.Errorf("the first health check on a fresh database: %s", health)
	}
	a.PublishDemo(t)
	if resp, _ := b.Do(t, "GET", "/pricing", nil); resp.StatusCode != 200 {
		t.Errorf("GET /pricing on the other instance = %d", resp.StatusCode)
	}
	// The instance started with auto-migration off works once the schema
	// is there.
	if _, body := off.Manage(t, "GET", "/api/health", ""); !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("health with auto-migration off once migrated: %s", body)
	}
}
