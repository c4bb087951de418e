package main

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// TestTursoStrategyAndTheSharedCache publishes with the turso strategy
// while an engine in cloud mode serves from the same tursodb and
// redis-server, and checks the real Redis keys: the publisher deletes
// nothing and writes one announcement; the changed page has no entry of
// the new generation until it is served (then with the new HTML); the
// unchanged page keeps its entries, and its entry of the new generation
// holds the very same bytes.
func TestTursoStrategyAndTheSharedCache(t *testing.T) {
	servers := enginetest.StartServers(t, "cloud-redis")
	e := enginetest.Start(t, enginetest.Options{Servers: servers, Env: map[string]string{"FRONTBASE_L1_TTL": "100ms"}})
	rdb := servers.Redis.Client()
	ctx := context.Background()
	dir := copyDemo(t)
	args := []string{"publish", "--strategy", "turso", "--db-url", servers.Turso.URL, "--redis-url", servers.Redis.URL, dir}
	publishNow := func() {
		t.Helper()
		var out bytes.Buffer
		if code := run(ctx, args, env(nil), &out, &out); code != 0 {
			t.Fatalf("publish: exit %d\n%s", code, out.String())
		}
	}
	publishNow()
	waitFor(t, e, "/about", "<title>About Acme</title>", 5e9)
	// /pricing varies per request and is never shared in L2.
	if resp, _ := e.Do(t, "GET", "/contact", nil); resp.StatusCode != 200 {
		t.Fatalf("/contact = %d", resp.StatusCode)
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
	before := generation()
	old := entries("fb:v1:*")
	oldContactKey, oldContact := pathOf(entries("fb:v1:r:"+before+"|*"), "/contact")
	oldAboutKey, _ := pathOf(entries("fb:v1:r:"+before+"|*"), "/about")
	if oldContactKey == "" || oldAboutKey == "" {
		t.Fatalf("the engine cached no L2 entries of generation %s: %v", before, slices.Collect(maps.Keys(old)))
	}

	retitleAbout(t, dir, "About Acme, from Turso")
	servers.Redis.ResetStats(t)
	publishNow()
	calls := servers.Redis.Calls(t)
	if n := calls["evalsha"] + calls["eval"]; n != 1 || calls["del"] != 0 || calls["unlink"] != 0 {
		t.Errorf("the publish made %v Redis calls, want one announcement and no deletion", calls)
	}
	after := generation()
	if want, _ := strconv.Atoi(before); after != strconv.Itoa(want+1) {
		t.Fatalf("generation %s -> %s, want one step", before, after)
	}
	if fresh := entries("fb:v1:r:" + after + "|*"); len(fresh) != 0 {
		t.Errorf("entries of the new generation exist before any request: %v", fresh)
	}
	now := entries("fb:v1:*")
	for k, v := range old {
		if k == "fb:v1:generation" {
			continue
		}
		if now[k] != v {
			t.Errorf("the publish changed or removed %s", k)
		}
	}

	waitFor(t, e, "/about", "<title>About Acme, from Turso</title>", 5e9)
	if _, body := e.Do(t, "GET", "/contact", nil); !strings.Contains(body, "<title>Contact us") {
		t.Fatalf("/contact after the publish: %.200s", body)
	}
	current := entries("fb:v1:r:" + after + "|*")
	if _, about := pathOf(current, "/about"); !strings.Contains(about, "About Acme, from Turso") {
		t.Errorf("the new generation's /about entry lacks the new title")
	}
	if _, contact := pathOf(current, "/contact"); contact != oldContact {
		t.Errorf("the unchanged /contact is cached with different bytes in the new generation")
	}

	// A rollback with the turso strategy is announced like a publish: one
	// script, no deletion, and the engine serves the old page again.
	servers.Redis.ResetStats(t)
	var out bytes.Buffer
	if code := run(ctx, []string{"rollback", "--strategy", "turso", "--db-url", servers.Turso.URL, "--redis-url", servers.Redis.URL, "--to", "1"}, env(nil), &out, &out); code != 0 {
		t.Fatalf("rollback: exit %d\n%s", code, out.String())
	}
	calls = servers.Redis.Calls(t)
	if n := calls["evalsha"] + calls["eval"]; n != 1 || calls["del"] != 0 {
		t.Errorf("the rollback made %v Redis calls, want one announcement", calls)
	}
	if want, _ := strconv.Atoi(after); generation() != strconv.Itoa(want+1) {
		t.Errorf("generation after the rollback = %s, want %d", generation(), want+1)
	}
	waitFor(t, e, "/about", "<title>About Acme</title>", 5e9)
}
