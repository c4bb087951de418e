package ratelimittest

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// start starts an engine whose counts may take up to 5 s: these tests
// check the counting on two cores shared with other jobs (and the race
// detector), where a count now and then outlasts the default 50 ms and
// would fail open. The default and its failure policy are tested with
// Redis stopped.
func start(t *testing.T, opts enginetest.Options) *enginetest.Engine {
	t.Helper()
	env := map[string]string{"FRONTBASE_RATELIMIT_TIMEOUT": "5s"}
	maps.Copy(env, opts.Env)
	opts.Env = env
	return enginetest.Start(t, opts)
}

func saveRule(t *testing.T, e *enginetest.Engine, rule string) {
	t.Helper()
	resp, body := e.Manage(t, "POST", "/api/ratelimits", rule)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("saving %s: %d %s", rule, resp.StatusCode, body)
	}
}

func headerInt(t *testing.T, resp *http.Response, name string) int64 {
	t.Helper()
	v := resp.Header.Get(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Errorf("%s: %q is not a number", name, v)
		return -1
	}
	return n
}

// TestExactlyLimitOf200ConcurrentRequestsPass fires 200 requests at once
// at a limited page and a limited webhook, in every mode, and checks that
// exactly `limit` pass, with the headers on both kinds of answer.
func TestExactlyLimitOf200ConcurrentRequestsPass(t *testing.T) {
	for _, mode := range enginetest.Modes {
		t.Run(mode, func(t *testing.T) {
			e := start(t, enginetest.Options{Mode: mode})
			e.PublishDemo(t)
			// An hour's window: no budget comes back while the test runs.
			saveRule(t, e, `{"id":"home","pathPattern":"/","limit":10,"windowSeconds":3600,"key":"ip"}`)
			saveRule(t, e, `{"id":"hooks","pathPattern":"/api/webhook/*","methods":["POST"],"limit":7,"windowSeconds":3600,"key":"workflow"}`)

			for _, tc := range []struct {
				method, path string
				limit        int64
				passStatus   int
			}{
				{"GET", "/", 10, http.StatusOK},
				// No such workflow: it still spends the budget before the 404.
				{"POST", "/api/webhook/orders", 7, http.StatusNotFound},
			} {
				var (
					mu        sync.Mutex
					remaining []int64
					limited   int
					wg        sync.WaitGroup
				)
				// The Upstash front is plain HTTP/1.1 on loopback (real
				// Upstash is HTTP/2): 200 requests at once each open their own
				// connections from engine to shim (page cache, analytics, the
				// count) and overrun the engine's fixed 500 ms Upstash client
				// timeout on two shared cores, so there 8 are in flight at a
				// time. Redis and local modes take all 200 at once.
				slots := make(chan struct{}, 200)
				if mode == "cloud-upstash" {
					slots = make(chan struct{}, 8)
				}
				for range 200 {
					wg.Go(func() {
						slots <- struct{}{}
						defer func() { <-slots }()
						resp, body := e.Do(t, tc.method, tc.path, strings.NewReader("{}"))
						if got := headerInt(t, resp, "RateLimit-Limit"); got != tc.limit {
							t.Errorf("RateLimit-Limit %d, want %d", got, tc.limit)
						}
						rem, reset := headerInt(t, resp, "RateLimit-Remaining"), headerInt(t, resp, "RateLimit-Reset")
						mu.Lock()
						defer mu.Unlock()
						switch resp.StatusCode {
						case tc.passStatus:
							remaining = append(remaining, rem)
							if reset < 1 || reset > 3600 {
								t.Errorf("RateLimit-Reset %d on a passed request", reset)
							}
						case http.StatusTooManyRequests:
							limited++
							retry := headerInt(t, resp, "Retry-After")
							if rem != 0 || retry < 1 || retry > 3600/tc.limit+1 || reset < 3600-3600/tc.limit || reset > 3600 {
								t.Errorf("429 with remaining %d, Retry-After %d, reset %d", rem, retry, reset)
							}
							if tc.method == "POST" && !strings.Contains(body, `"success":false`) {
								t.Errorf("429 body on an API route: %s", body)
							}
						default:
							t.Errorf("%s %s: %d %.200s", tc.method, tc.path, resp.StatusCode, body)
						}
					})
				}
				wg.Wait()
				slices.Sort(remaining)
				want := []int64{}
				for i := range tc.limit {
					want = append(want, i)
				}
				if !slices.Equal(remaining, want) || limited != 200-int(tc.limit) {
					for _, line := range strings.Split(e.Logs.String(), "\n") {
						if strings.Contains(line, "rate limit:") {
							t.Log(line)
						}
					}
					t.Fatalf("%s %s: %d passed with remaining %v, %d limited; want exactly %d passing with %v",
						tc.method, tc.path, len(remaining), remaining, limited, tc.limit, want)
				}
			}

			// The workflow key gives another webhook its own budget; pages
			// under no rule and the management API carry no limit at all.
			resp, _ := e.Do(t, "POST", "/api/webhook/other", strings.NewReader("{}"))
			if resp.StatusCode != http.StatusNotFound || resp.Header.Get("RateLimit-Remaining") != "6" {
				t.Errorf("another webhook: %d remaining %q", resp.StatusCode, resp.Header.Get("RateLimit-Remaining"))
			}
			resp, _ = e.Do(t, "GET", "/about", nil)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("RateLimit-Limit") != "" {
				t.Errorf("/about under no rule: %d with RateLimit-Limit %q", resp.StatusCode, resp.Header.Get("RateLimit-Limit"))
			}
		})
	}
}

// TestManagementIsNeverLimited: a catch-all rule limits pages, never the
// system-key API or the engine's assets.
func TestManagementIsNeverLimited(t *testing.T) {
	e := start(t, enginetest.Options{})
	e.PublishDemo(t)
	saveRule(t, e, `{"id":"all","pathPattern":"*","limit":1,"windowSeconds":3600,"key":"ip"}`)
	for i := range 3 {
		if resp, body := e.Manage(t, "GET", "/api/ratelimits", ""); resp.StatusCode != http.StatusOK || resp.Header.Get("RateLimit-Limit") != "" {
			t.Fatalf("management request %d: %d %s", i, resp.StatusCode, body)
		}
	}
	if resp, _ := e.Do(t, "GET", "/about", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("first page: %d", resp.StatusCode)
	}
	resp, body := e.Do(t, "GET", "/contact", nil)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") ||
		resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(body, `rate limit "all"`) {
		t.Fatalf("second page: %d %q %.200q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

// TestASecondWindowOpens uses a one-second window and waits for it (the
// test asserts what passes, never how long anything took).
func TestASecondWindowOpens(t *testing.T) {
	for _, mode := range []string{"local", "cloud-redis"} {
		t.Run(mode, func(t *testing.T) {
			e := start(t, enginetest.Options{Mode: mode})
			e.PublishDemo(t)
			saveRule(t, e, `{"id":"short","pathPattern":"/about","limit":3,"windowSeconds":1,"key":"header:X-Api-Key"}`)
			get := func(key string) *http.Response {
				resp, _ := e.Do(t, "GET", "/about", nil, "X-Api-Key", key)
				return resp
			}
			var denied *http.Response
			for range 100 {
				if resp := get("alice"); resp.StatusCode == http.StatusTooManyRequests {
					denied = resp
					break
				}
			}
			if denied == nil {
				t.Fatal("100 requests in a row never met the limit of 3 a second")
			}
			if got := denied.Header.Get("Retry-After"); got != "1" {
				t.Fatalf("Retry-After %q, want 1", got)
			}
			// Another key has its own budget.
			if resp := get("bob"); resp.StatusCode != http.StatusOK || resp.Header.Get("RateLimit-Remaining") != "2" {
				t.Fatalf("bob: %d remaining %q", resp.StatusCode, resp.Header.Get("RateLimit-Remaining"))
			}
			time.Sleep(1100 * time.Millisecond) // past a whole window: the budget is whole again
			for i := range 3 {
				if resp := get("alice"); resp.StatusCode != http.StatusOK {
					t.Fatalf("next window, request %d: %d", i+1, resp.StatusCode)
				}
			}
		})
	}
}

// TestRedisDownFailsOpenOrClosed stops Redis under a running engine.
func TestRedisDownFailsOpenOrClosed(t *testing.T) {
	for _, mode := range []string{"cloud-redis", "cloud-upstash"} {
		t.Run(mode, func(t *testing.T) {
			e := start(t, enginetest.Options{Mode: mode})
			e.PublishDemo(t)
			saveRule(t, e, `{"id":"open","pathPattern":"/about","limit":1,"windowSeconds":3600,"key":"ip"}`)
			saveRule(t, e, `{"id":"closed","pathPattern":"/contact","limit":1000,"windowSeconds":3600,"key":"ip","failClosed":true}`)
			for _, p := range []string{"/about", "/contact"} {
				if resp, _ := e.Do(t, "GET", p, nil); resp.StatusCode != http.StatusOK || resp.Header.Get("RateLimit-Limit") == "" {
					t.Fatalf("%s with Redis up: %d", p, resp.StatusCode)
				}
			}
			if resp, _ := e.Do(t, "GET", "/about", nil); resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("/about over its limit with Redis up: %d", resp.StatusCode)
			}

			e.Servers.Redis.Stop()
			for i := range 5 {
				resp, _ := e.Do(t, "GET", "/about", nil)
				if resp.StatusCode != http.StatusOK || resp.Header.Get("RateLimit-Limit") != "" {
					t.Fatalf("fail-open rule, Redis down, request %d: %d (RateLimit-Limit %q)", i, resp.StatusCode, resp.Header.Get("RateLimit-Limit"))
				}
				resp, body := e.Do(t, "GET", "/contact", nil)
				if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" || !strings.Contains(body, `"closed"`) {
					t.Fatalf("fail-closed rule, Redis down, request %d: %d %.200q", i, resp.StatusCode, body)
				}
			}
			// Pages under no rule never notice.
			if resp, _ := e.Do(t, "GET", "/", nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("an unlimited page with Redis down: %d", resp.StatusCode)
			}
		})
	}
}

// TestRulesAreLoadedOncePerGeneration counts the state store's requests:
// limited requests cost none once the rules are loaded, and a rule saved
// through another instance reaches this one with the generation.
func TestRulesAreLoadedOncePerGeneration(t *testing.T) {
	servers := enginetest.StartServers(t, "cloud-redis")
	a := start(t, enginetest.Options{Servers: servers})
	b := start(t, enginetest.Options{Servers: servers, Env: map[string]string{"FRONTBASE_L1_TTL": "1"}})
	a.PublishDemo(t)
	saveRule(t, a, `{"id":"about","pathPattern":"/about","limit":1000,"windowSeconds":60,"key":"ip"}`)

	// A applied its own write at once; its rules load on the first request.
	resp, _ := a.Do(t, "GET", "/about", nil)
	if resp.Header.Get("RateLimit-Limit") != "1000" {
		t.Fatalf("the instance that saved the rule does not apply it: %v", resp.Header)
	}
	before := servers.Turso.Requests()
	for range 50 {
		if resp, _ := a.Do(t, "GET", "/about", nil); resp.StatusCode != http.StatusOK {
			t.Fatal(resp.StatusCode)
		}
	}
	if n := servers.Turso.Requests() - before; n != 0 {
		t.Fatalf("50 limited page views cost %d state store requests, want 0", n)
	}

	// B learns the generation within its L1 TTL (1 s here), then the rule.
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, _ := b.Do(t, "GET", "/about", nil)
		if resp.Header.Get("RateLimit-Limit") == "1000" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other instance never applied the rule")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Deleting it reaches B the same way.
	if resp, body := a.Manage(t, "DELETE", "/api/ratelimits/about", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	for {
		resp, _ := b.Do(t, "GET", "/about", nil)
		if resp.Header.Get("RateLimit-Limit") == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other instance kept a deleted rule")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRuleManagement is the auth matrix of the routes and their
// validation errors.
func TestRuleManagement(t *testing.T) {
	e := start(t, enginetest.Options{})
	closed := start(t, enginetest.Options{Env: map[string]string{"FRONTBASE_SYSTEM_KEY": ""}})
	const rule = `{"id":"r1","pathPattern":"/x","limit":5,"windowSeconds":10,"key":"ip"}`
	routes := []struct{ method, path, body string }{
		{"GET", "/api/ratelimits", ""},
		{"POST", "/api/ratelimits", rule},
		{"PUT", "/api/ratelimits", `{"rules":[` + rule + `]}`},
		{"DELETE", "/api/ratelimits/r1", ""},
	}
	for _, rt := range routes {
		for _, auth := range []struct {
			name    string
			eng     *enginetest.Engine
			headers []string
		}{
			{"no key", e, nil},
			{"wrong key", e, []string{"X-System-Key", "wrong-key-0123456789"}},
			{"wrong bearer", e, []string{"Authorization", "Bearer wrong-key-0123456789"}},
			{"API closed", closed, []string{"X-System-Key", enginetest.Key}},
		} {
			resp, body := auth.eng.Do(t, rt.method, rt.path, strings.NewReader(rt.body), auth.headers...)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s with %s: %d %s", rt.method, rt.path, auth.name, resp.StatusCode, body)
			}
		}
	}

	steps := []struct {
		method, path, body string
		bearer             bool
		status             int
		wantIDs            string // after the step, by GET
		wantPaths          string // validation problems
	}{
		{"GET", "/api/ratelimits", "", false, 200, "", ""},
		{"POST", "/api/ratelimits", rule, false, 200, "r1", ""},
		{"POST", "/api/ratelimits", `{"id":"r0","pathPattern":"/y*","limit":1,"windowSeconds":1,"key":"path"}`, true, 200, "r0,r1", ""},
		{"POST", "/api/ratelimits", strings.Replace(rule, `"limit":5`, `"limit":6`, 1), false, 200, "r0,r1", ""},
		{"POST", "/api/ratelimits", `{"id":"bad one","pathPattern":"x","limit":-1,"windowSeconds":0,"key":"cookie","methods":["GIT"]}`, false, 400, "r0,r1",
			"id,pathPattern,methods[0],limit,windowSeconds,key"},
		{"POST", "/api/ratelimits", `{"id":`, false, 400, "r0,r1", ""},
		{"PUT", "/api/ratelimits", `{"rules":[` + rule + `,` + rule + `]}`, false, 400, "r0,r1", "rules[1].id"},
		{"DELETE", "/api/ratelimits/nope", "", false, 404, "r0,r1", ""},
		{"DELETE", "/api/ratelimits/r0", "", false, 200, "r1", ""},
		{"PUT", "/api/ratelimits", `{"rules":[{"id":"z","pathPattern":"/z","limit":1,"windowSeconds":1,"key":"ip"}]}`, false, 200, "z", ""},
		{"PUT", "/api/ratelimits", `{"rules":[]}`, false, 200, "", ""},
	}
	for i, st := range steps {
		headers := []string{"X-System-Key", e.Key}
		if st.bearer {
			headers = []string{"Authorization", "Bearer " + e.Key}
		}
		resp, body := e.Do(t, st.method, st.path, strings.NewReader(st.body), headers...)
		if resp.StatusCode != st.status {
			t.Fatalf("step %d %s %s: %d %s, want %d", i, st.method, st.path, resp.StatusCode, body, st.status)
		}
		var a wire.Error
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			t.Fatalf("step %d: %v in %s", i, err, body)
		}
		var paths []string
		for _, d := range a.Details {
			paths = append(paths, d.Path)
		}
		if got := strings.Join(paths, ","); got != st.wantPaths {
			t.Fatalf("step %d: problems at %q, want %q (%s)", i, got, st.wantPaths, body)
		}
		_, list := e.Manage(t, "GET", "/api/ratelimits", "")
		var all wire.RateLimitsResponse
		if err := json.Unmarshal([]byte(list), &all); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range all.Rules {
			ids = append(ids, r.ID)
			if r.Methods == nil {
				t.Fatalf("step %d: rule %s has methods null, want []", i, r.ID)
			}
			if r.ID == "r1" && i >= 3 && r.Limit != 6 {
				t.Fatalf("step %d: the upsert did not replace r1: %s", i, list)
			}
		}
		if got := strings.Join(ids, ","); got != st.wantIDs {
			t.Fatalf("step %d: rules %q, want %q (%s)", i, got, st.wantIDs, list)
		}
	}
}

// TestSlowRedisFailsOpenOrClosed pauses Redis (CLIENT PAUSE) instead of
// stopping it: a count that outlasts FRONTBASE_RATELIMIT_TIMEOUT is a
// failure, and each rule's policy applies.
func TestSlowRedisFailsOpenOrClosed(t *testing.T) {
	for _, mode := range []string{"cloud-redis", "cloud-upstash"} {
		t.Run(mode, func(t *testing.T) {
			e := enginetest.Start(t, enginetest.Options{Mode: mode, Env: map[string]string{"FRONTBASE_RATELIMIT_TIMEOUT": "300ms"}})
			e.PublishDemo(t)
			saveRule(t, e, `{"id":"open","pathPattern":"/about","limit":1000,"windowSeconds":3600,"key":"ip"}`)
			saveRule(t, e, `{"id":"closed","pathPattern":"/contact","limit":1000,"windowSeconds":3600,"key":"ip","failClosed":true}`)
			for _, p := range []string{"/about", "/contact"} { // loads the rules and the pages into L1
				if resp, _ := e.Do(t, "GET", p, nil); resp.StatusCode != http.StatusOK {
					t.Fatalf("%s with Redis up: %d", p, resp.StatusCode)
				}
			}
			if err := e.Servers.Redis.Client().Do(t.Context(), "CLIENT", "PAUSE", 2500, "ALL").Err(); err != nil {
				t.Fatal(err)
			}
			resp, body := e.Do(t, "GET", "/contact", nil)
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
				t.Fatalf("fail-closed rule, Redis paused: %d %.200q", resp.StatusCode, body)
			}
			resp, _ = e.Do(t, "GET", "/about", nil)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("RateLimit-Limit") != "" {
				t.Fatalf("fail-open rule, Redis paused: %d (RateLimit-Limit %q)", resp.StatusCode, resp.Header.Get("RateLimit-Limit"))
			}
			if !strings.Contains(e.Logs.String(), "rate limit: cannot count") {
				t.Error("the failed count was not logged")
			}
		})
	}
}
