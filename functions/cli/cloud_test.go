package main

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// TestTursoStrategyAndTheSharedCache publishes with the turso strategy
// while an engine in cloud mode serves from the same tursodb and the same
// shared cache (Redis over TCP, or the Upstash REST front), and checks the
// real Redis keys: the publisher deletes nothing; the changed page has no
// entry of the new generation until it is served (then with the new HTML);
// the unchanged pages' entries are copied to the new generation before any
// request, byte for byte, so that an engine serves them without asking the
// state store; a settings change copies nothing.
func TestTursoStrategyAndTheSharedCache(t *testing.T) {
	for _, mode := range []string{"cloud-redis", "cloud-upstash"} {
		t.Run(mode, func(t *testing.T) { testTursoStrategyAndTheSharedCache(t, mode) })
	}
}

func testTursoStrategyAndTheSharedCache(t *testing.T, mode string) {
	servers := enginetest.StartServers(t, mode)
	e := enginetest.Start(t, enginetest.Options{Servers: servers, Env: map[string]string{"FRONTBASE_L1_TTL": "100ms"}})
	rdb := servers.Redis.Client()
	ctx := context.Background()
	dir := copyDemo(t)
	cacheArgs := []string{"--redis-url", servers.Redis.URL}
	if servers.Upstash != nil {
		cacheArgs = []string{"--redis-url", servers.Upstash.URL, "--redis-token", servers.Upstash.Token}
	}
	publishNow := func(extra ...string) {
		t.Helper()
		args := append(append([]string{"publish", "--strategy", "turso", "--db-url", servers.Turso.URL}, cacheArgs...), extra...)
		var out bytes.Buffer
		if code := run(ctx, append(args, dir), env(nil), &out, &out); code != 0 {
			t.Fatalf("publish: exit %d\n%s", code, out.String())
		}
	}
	publishNow()
	waitFor(t, e, "/about", "<title>About Acme</title>", 5e9)
	// What visitors get before the next publish; /pricing varies per
	// request and is never shared in L2, /landing is the homepage's own
	// slug (a redirect to "/").
	served := map[string]string{}
	for _, path := range []string{"/", "/contact", "/landing", "/sitemap.xml", "/pricing"} {
		resp, body := e.Do(t, "GET", path, nil)
		if resp.StatusCode >= 400 {
			t.Fatalf("%s = %d", path, resp.StatusCode)
		}
		served[path] = body
	}

	generation := func() string {
		g, err := rdb.Get(ctx, "fb:v1:generation").Result()
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	entries := func(pattern string) map[string]string {
		keys, err := rdb.Keys(ctx, pattern).Result()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, k := range keys {
			if strings.HasPrefix(k, "fb:v1:bases:") {
				continue // a set
			}
			v, err := rdb.Get(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			out[k] = v
		}
		return out
	}
	pathOf := func(entries map[string]string, path string) (string, string) {
		for k, v := range entries {
			if strings.HasSuffix(k, "|"+path) {
				return k, v
			}
		}
		return "", ""
	}
	// The engine recorded the base URL it serves.
	if bases, err := rdb.SMembers(ctx, "fb:v1:bases:_default").Result(); err != nil || len(bases) != 1 || bases[0] != e.URL {
		t.Fatalf("recorded base URLs = %v (%v), want [%s]", bases, err, e.URL)
	}
	before := generation()
	old := entries("fb:v1:*")
	oldGen := entries("fb:v1:r:" + before + "|*")
	for _, path := range []string{"/", "/about", "/contact", "/landing", "/sitemap.xml"} {
		if k, _ := pathOf(oldGen, path); k == "" {
			t.Fatalf("the engine cached no L2 entry of %s in generation %s: %v", path, before, slices.Collect(maps.Keys(old)))
		}
	}

	retitleAbout(t, dir, "About Acme, from Turso")
	servers.Redis.ResetStats(t)
	publishNow()
	calls := servers.Redis.Calls(t)
	// The unchanged public pages: contact, docs/getting-started, landing
	// (and "/"), pricing, for one base URL.
	if calls["smembers"] != 1 || calls["copy"] != 5 || calls["eval"]+calls["evalsha"] != 1 || calls["del"] != 0 || calls["unlink"] != 0 {
		t.Errorf("the publish made %v Redis calls, want one SMEMBERS, five COPY, one announcement and no deletion", calls)
	}
	after := generation()
	if want, _ := strconv.Atoi(before); after != strconv.Itoa(want+1) {
		t.Fatalf("generation %s -> %s, want one step", before, after)
	}
	fresh := entries("fb:v1:r:" + after + "|*")
	for _, path := range []string{"/about", "/sitemap.xml", "/pricing"} {
		if k, _ := pathOf(fresh, path); k != "" {
			t.Errorf("%s has an entry of the new generation before any request", path)
		}
	}
	for _, path := range []string{"/", "/contact", "/landing"} {
		k, v := pathOf(fresh, path)
		_, was := pathOf(oldGen, path)
		if k == "" || v != was {
			t.Errorf("the unchanged %s was not copied to the new generation byte for byte (key %q)", path, k)
		}
		if ttl := rdb.PTTL(ctx, k).Val(); k != "" && (ttl <= 0 || ttl > 24*time.Hour) {
			t.Errorf("the copy of %s expires in %v, want the original's remaining TTL", path, ttl)
		}
	}
	now := entries("fb:v1:*")
	for k, v := range old {
		if k != "fb:v1:generation" && now[k] != v {
			t.Errorf("the publish changed or removed %s", k)
		}
	}

	// An engine that starts now (a cold instance) serves the unchanged
	// pages from the copies without asking the state store, and the
	// changed page from the store with the new HTML. It is asked for the
	// same host as the first engine, as behind one domain.
	// Its first request pays what a new process pays once (the schema
	// check) and once per generation (the rate-limit rules): one that is
	// not kept in L2 does that here.
	e2 := enginetest.Start(t, enginetest.Options{Servers: servers, Env: map[string]string{"FRONTBASE_L1_TTL": "1h"}})
	host := strings.TrimPrefix(e.URL, "http://")
	if resp, _ := e2.Do(t, "GET", "/robots.txt", nil, "Host", host); resp.StatusCode != 200 {
		t.Fatalf("/robots.txt = %d", resp.StatusCode)
	}
	for _, c := range []struct {
		path, want   string
		storeQueries bool
	}{
		{"/contact", served["/contact"], false},
		{"/", served["/"], false},
		{"/about", "<title>About Acme, from Turso</title>", true},
	} {
		n := servers.Turso.Requests()
		resp, body := e2.Do(t, "GET", c.path, nil, "Host", host)
		cost := servers.Turso.Requests() - n
		switch {
		case resp.StatusCode != 200:
			t.Errorf("%s from a new engine = %d", c.path, resp.StatusCode)
		case c.storeQueries && (cost == 0 || !strings.Contains(body, c.want)):
			t.Errorf("%s from a new engine: %d state-store requests, body %.200s", c.path, cost, body)
		case !c.storeQueries && (cost != 0 || body != c.want):
			t.Errorf("%s from a new engine: %d state-store requests (want 0), same bytes as before the publish: %v", c.path, cost, body == c.want)
		}
	}
	waitFor(t, e, "/about", "<title>About Acme, from Turso</title>", 5e9)
	if _, body := e.Do(t, "GET", "/contact", nil); body != served["/contact"] {
		t.Fatalf("/contact after the publish differs: %.200s", body)
	}

	// The api strategy imports page by page, so the one import that
	// changes something names only /about: the pages it did not name are
	// kept all the same (listed from the store after the write).
	// (The demo files ask for force, which the engine API honours.)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.ReplaceAll(data, []byte(`"force": true`), []byte(`"force": false`))
		data = bytes.ReplaceAll(data, []byte("About Acme, from Turso"), []byte("About Acme, through the API"))
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	viaAPI := generation()
	kept := entries("fb:v1:r:" + viaAPI + "|*")
	servers.Redis.ResetStats(t)
	var out bytes.Buffer
	if code := run(ctx, []string{"publish", "--strategy", "api", "--url", e.URL, "--key", e.Key, dir}, env(nil), &out, &out); code != 0 {
		t.Fatalf("api publish: exit %d\n%s", code, out.String())
	}
	if calls := servers.Redis.Calls(t); calls["smembers"] != 1 || calls["copy"] != 5 {
		t.Errorf("the api publish made %v Redis calls, want one SMEMBERS and five COPY\n%s", calls, out.String())
	}
	fresh = entries("fb:v1:r:" + generation() + "|*")
	for _, path := range []string{"/", "/contact", "/landing", "/about"} {
		_, was := pathOf(kept, path)
		k, v := pathOf(fresh, path)
		switch {
		case path == "/about" && k != "":
			t.Errorf("the imported /about has an entry of the new generation before any request")
		case path != "/about" && (k == "" || v != was):
			t.Errorf("%s, not named by the import, was not copied byte for byte (key %q)", path, k)
		}
	}
	waitFor(t, e, "/about", "<title>About Acme, through the API</title>", 5e9)

	// An unpublish and a change of the rate-limit rules leave the other
	// pages as they were: their entries are kept too.
	for _, c := range []struct{ method, path, body string }{
		{"DELETE", "/api/import/pricing", ""},
		{"PUT", "/api/ratelimits", `{"rules": []}`},
	} {
		from := generation()
		kept := entries("fb:v1:r:" + from + "|*")
		servers.Redis.ResetStats(t)
		if resp, body := e.Manage(t, c.method, c.path, c.body); resp.StatusCode != 200 {
			t.Fatalf("%s %s = %d %s", c.method, c.path, resp.StatusCode, body)
		}
		// about, contact, docs/getting-started, landing and "/"
		if calls := servers.Redis.Calls(t); calls["smembers"] != 1 || calls["copy"] != 5 {
			t.Errorf("%s %s made %v Redis calls, want one SMEMBERS and five COPY", c.method, c.path, calls)
		}
		fresh := entries("fb:v1:r:" + generation() + "|*")
		for _, path := range []string{"/", "/contact"} {
			_, was := pathOf(kept, path)
			if k, v := pathOf(fresh, path); generation() == from || k == "" || v != was {
				t.Errorf("after %s %s, %s was not copied byte for byte (key %q)", c.method, c.path, path, k)
			}
		}
		if _, body := e.Do(t, "GET", "/contact", nil); body != served["/contact"] {
			t.Errorf("/contact after %s %s differs", c.method, c.path)
		}
	}

	// A rollback names every page it changes (restored or removed): under
	// the same settings the others are kept. Version 2 is the turso
	// publish: /about and /pricing come back, the rest is as it was.
	from := generation()
	kept = entries("fb:v1:r:" + from + "|*")
	servers.Redis.ResetStats(t)
	out.Reset()
	if code := run(ctx, append(append([]string{"rollback", "--strategy", "turso", "--db-url", servers.Turso.URL}, cacheArgs...), "--to", "2"), env(nil), &out, &out); code != 0 {
		t.Fatalf("rollback: exit %d\n%s", code, out.String())
	}
	// contact, docs/getting-started, landing and "/"
	if calls := servers.Redis.Calls(t); calls["smembers"] != 1 || calls["copy"] != 4 {
		t.Errorf("the rollback made %v Redis calls, want one SMEMBERS and four COPY", calls)
	}
	fresh = entries("fb:v1:r:" + generation() + "|*")
	for _, path := range []string{"/", "/contact"} {
		_, was := pathOf(kept, path)
		if k, v := pathOf(fresh, path); k == "" || v != was {
			t.Errorf("after the rollback, %s was not copied byte for byte (key %q)", path, k)
		}
	}
	if k, _ := pathOf(fresh, "/about"); k != "" {
		t.Errorf("the restored /about has an entry of the new generation before any request")
	}
	waitFor(t, e, "/about", "<title>About Acme, from Turso</title>", 5e9)

	// A settings change touches every page: nothing is copied.
	settings := filepath.Join(t.TempDir(), "settings.json")
	if err := os.WriteFile(settings, []byte(`{"siteName": "Acme Edge, renamed"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	servers.Redis.ResetStats(t)
	publishNow("--settings", settings)
	calls = servers.Redis.Calls(t)
	if calls["copy"] != 0 || calls["smembers"] != 0 || calls["eval"]+calls["evalsha"] != 1 {
		t.Errorf("the settings publish made %v Redis calls, want one announcement and no copy", calls)
	}
	if fresh := entries("fb:v1:r:" + generation() + "|*"); len(fresh) != 0 {
		t.Errorf("entries of the new generation exist after a settings change: %v", slices.Collect(maps.Keys(fresh)))
	}

	// A rollback with the turso strategy is announced like a publish: one
	// script, no deletion, and the engine serves the old page again.
	servers.Redis.ResetStats(t)
	rollbackFrom := generation()
	out.Reset()
	if code := run(ctx, append(append([]string{"rollback", "--strategy", "turso", "--db-url", servers.Turso.URL}, cacheArgs...), "--to", "1"), env(nil), &out, &out); code != 0 {
		t.Fatalf("rollback: exit %d\n%s", code, out.String())
	}
	calls = servers.Redis.Calls(t)
	if n := calls["evalsha"] + calls["eval"]; n != 1 || calls["del"] != 0 {
		t.Errorf("the rollback made %v Redis calls, want one announcement", calls)
	}
	if want, _ := strconv.Atoi(rollbackFrom); generation() != strconv.Itoa(want+1) {
		t.Errorf("generation after the rollback = %s, want %d", generation(), want+1)
	}
	waitFor(t, e, "/about", "<title>About Acme</title>", 5e9)
}
