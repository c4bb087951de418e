package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// TestNamedTargets publishes one site to an engine's API, to the SQLite
// file another engine serves, to an engine that is down and to a target
// whose key variable is unset: the two good ones are published, the
// output names the two that failed, and the exit status is 1.
func TestNamedTargets(t *testing.T) {
	api := enginetest.Start(t, enginetest.Options{})
	db := filepath.Join(t.TempDir(), "pages.db")
	local := enginetest.Start(t, enginetest.Options{Env: map[string]string{"FRONTBASE_LOCAL_DB_PATH": db, "FRONTBASE_L1_TTL": "100ms"}})
	dir := copyDemo(t)
	// The control plane forces every page; unforced, the API skips
	// unchanged ones as the direct strategies do.
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		os.WriteFile(f, bytes.Replace(data, []byte(`"force": true`), []byte(`"force": false`), 1), 0o644)
	}
	targets := filepath.Join(t.TempDir(), "targets.json")
	os.WriteFile(targets, []byte(`{"targets": [
		{"name": "eu", "strategy": "api", "url": "`+api.URL+`", "keyEnv": "EU_KEY"},
		{"name": "down", "strategy": "api", "url": "http://127.0.0.1:1", "keyEnv": "EU_KEY"},
		{"name": "box", "strategy": "local", "db": "`+db+`"},
		{"name": "nokey", "strategy": "api", "url": "`+api.URL+`", "keyEnv": "UNSET_KEY"}]}`), 0o644)
	environ := env(map[string]string{"EU_KEY": api.Key})

	tests := []struct {
		name   string
		change string
		want   []string
	}{
		{"first publish", "", []string{
			"[1/4] eu (api " + api.URL + "): publishing 6 page(s)",
			"   api: 6 published, 0 unchanged, 0 failed", "[1/4] eu: ok",
			"[2/4] down: FAILED", "connection refused",
			"   published about.json", "   local: 6 published, 0 unchanged", "[3/4] box: ok",
			"   FAIL UNSET_KEY is not set", "[4/4] nokey: FAILED",
			"targets: 2 ok, 2 failed (down, nokey)"}},
		{"same site again", "", []string{
			"   api: 0 published, 6 unchanged, 0 failed", "   local: 0 published, 6 unchanged", "targets: 2 ok, 2 failed (down, nokey)"}},
		{"one page changed", "About Acme, named", []string{
			"   published about.json", "   unchanged pricing.json", "   api: 1 published, 5 unchanged, 0 failed",
			"   local: 1 published, 5 unchanged", "targets: 2 ok, 2 failed (down, nokey)"}},
	}
	for _, tt := range tests {
		if tt.change != "" {
			retitleAbout(t, dir, tt.change)
		}
		var out bytes.Buffer
		code := run(context.Background(), []string{"publish", "--targets", targets, dir}, environ, &out, &out)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1 (two targets failed)", tt.name, code)
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: output lacks %q:\n%s", tt.name, w, out.String())
			}
		}
		if strings.Contains(out.String(), api.Key) {
			t.Errorf("%s: the output shows the system key", tt.name)
		}
	}
	for _, e := range []*enginetest.Engine{api, local} {
		waitFor(t, e, "/about", "<title>About Acme, named</title>", 5e9)
	}

	// Refused files change nothing anywhere.
	inline := filepath.Join(t.TempDir(), "inline.json")
	os.WriteFile(inline, []byte(`{"targets": [{"name": "eu", "strategy": "api", "url": "`+api.URL+`", "key": "`+api.Key+`"}]}`), 0o644)
	var out bytes.Buffer
	code := run(context.Background(), []string{"publish", "--targets", inline, dir}, environ, &out, &out)
	if code != 2 || !strings.Contains(out.String(), "targets[0].key: inline secrets are refused") || strings.Contains(out.String(), api.Key) {
		t.Errorf("inline key: exit %d:\n%s", code, out.String())
	}
}

// TestVersionsAndRollbackCommands lists and restores versions with the
// local strategy (the file an engine serves) and through an engine's API.
func TestVersionsAndRollbackCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pages.db")
	e := enginetest.Start(t, enginetest.Options{Env: map[string]string{"FRONTBASE_LOCAL_DB_PATH": db, "FRONTBASE_L1_TTL": "100ms"}})
	dir := copyDemo(t)
	environ := env(map[string]string{"FRONTBASE_SYSTEM_KEY": e.Key})
	cli := func(want int, args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if code := run(context.Background(), args, environ, &out, &out); code != want {
			t.Fatalf("%v: exit %d, want %d:\n%s", args, code, want, out.String())
		}
		return out.String()
	}
	cli(0, "publish", "--strategy", "local", "--db", db, dir)
	waitFor(t, e, "/about", "<title>About Acme</title>", 5e9)
	_, original := e.Do(t, "GET", "/about", nil)
	retitleAbout(t, dir, "About Acme, v2")
	cli(0, "publish", "--strategy", "local", "--db", db, dir)
	waitFor(t, e, "/about", "<title>About Acme, v2</title>", 5e9)

	list := cli(0, "versions", "--strategy", "local", "--db", db)
	for _, w := range []string{"VERSION", "2 ", "publish", "cli:local", "6: about, contact"} {
		if !strings.Contains(list, w) {
			t.Errorf("versions output lacks %q:\n%s", w, list)
		}
	}
	out := cli(0, "rollback", "--strategy", "local", "--db", db, "--to", "1")
	if !strings.Contains(out, "restored  about") || !strings.Contains(out, "rolled back to version 1 as version 3 (1 restored, 0 removed, 5 unchanged)") {
		t.Errorf("rollback output:\n%s", out)
	}
	waitFor(t, e, "/about", "<title>About Acme</title>", 5e9)
	if _, body := e.Do(t, "GET", "/about", nil); body != original {
		t.Errorf("/about after the rollback is not the original bytes")
	}

	// The same through the engine's API.
	list = cli(0, "versions", "--url", e.URL)
	if !strings.Contains(list, "rollback of 1") {
		t.Errorf("versions over the API lack the rollback:\n%s", list)
	}
	out = cli(0, "rollback", "--url", e.URL, "--to", "2")
	if !strings.Contains(out, "rolled back to version 2 as version 4") {
		t.Errorf("rollback over the API:\n%s", out)
	}
	if _, body := e.Do(t, "GET", "/about", nil); !strings.Contains(body, "<title>About Acme, v2</title>") {
		t.Errorf("/about after the API rollback is not v2")
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"rollback", "--strategy", "local", "--db", db}, 2, "--to N is required"},
		{[]string{"rollback", "--strategy", "local", "--db", db, "--to", "99"}, 1, "site version 99 is not kept"},
		{[]string{"rollback", "--url", e.URL, "--to", "99"}, 1, "HTTP 404: site version 99 is not kept"},
		{[]string{"versions", "--strategy", "api"}, 2, "needs --url"},
	} {
		if out := cli(tt.code, tt.args...); !strings.Contains(out, tt.want) {
			t.Errorf("%v: output lacks %q:\n%s", tt.args, tt.want, out)
		}
	}
}
