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

func TestPublishDemoDirectory(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	var out, errOut bytes.Buffer
	demo := enginetest.DemoDir()
	code := run(context.Background(), []string{"publish", "--url", e.URL, "--settings", filepath.Join(demo, "settings.json"), filepath.Join(demo, "pages")},
		env(map[string]string{"FRONTBASE_SYSTEM_KEY": e.Key}), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "7 published, 0 failed") || !strings.Contains(out.String(), "landing.json") {
		t.Errorf("output:\n%s", out.String())
	}
	if resp, _ := e.Do(t, "GET", "/pricing", nil); resp.StatusCode != 200 {
		t.Errorf("/pricing after publish = %d", resp.StatusCode)
	}
}

func TestPublishReportsEachFailureAndStillTriesTheRest(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join(enginetest.DemoDir(), "pages", "about.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "a-broken.json"), []byte(`{"page": {"id": "x", "layoutData": {"content": [{}]}}}`), 0o644)
	// A forced page goes in a request of its own, so the bad page's
	// refusal (which refuses its whole request) cannot take it along.
	good = bytes.Replace(good, []byte(`"force": false`), []byte(`"force": true`), 1)
	os.WriteFile(filepath.Join(dir, "b-about.json"), good, 0o644)
	var out bytes.Buffer
	code := run(context.Background(), []string{"publish", "--url", e.URL, "--key", e.Key, dir}, env(nil), &out, &out)
	if code != 1 {
		t.Errorf("exit %d, want 1 when a page fails", code)
	}
	for _, want := range []string{"FAIL a-broken.json", "slug: required", "layoutData.content[0].type: required", "ok   b-about.json", "1 published, 1 failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if resp, _ := e.Do(t, "GET", "/about", nil); resp.StatusCode != 200 {
		t.Errorf("/about = %d: the good page was not published after the bad one", resp.StatusCode)
	}
}

func TestPublishFailsClearly(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, 2, "usage"},
		{"no key", []string{"publish", "--url", e.URL, enginetest.DemoDir()}, 2, "no system key: set FRONTBASE_SYSTEM_KEY or --key"},
		{"wrong key", []string{"publish", "--url", e.URL, "--key", "wrong-key-0123456789", filepath.Join(enginetest.DemoDir(), "pages")}, 1, "HTTP 401"},
		{"empty dir", []string{"publish", "--url", e.URL, "--key", e.Key, t.TempDir()}, 1, "no *.json page files"},
		{"engine down", []string{"publish", "--url", "http://127.0.0.1:1", "--key", e.Key, filepath.Join(enginetest.DemoDir(), "pages")}, 1, "connection refused"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		code := run(context.Background(), tt.args, env(nil), &out, &out)
		if code != tt.code || !strings.Contains(out.String(), tt.want) {
			t.Errorf("%s: exit %d, want %d with %q:\n%s", tt.name, code, tt.code, tt.want, out.String())
		}
	}
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPublishToSeveralEngines(t *testing.T) {
	a := enginetest.Start(t, enginetest.Options{})
	b := enginetest.Start(t, enginetest.Options{Env: map[string]string{"FRONTBASE_SYSTEM_KEY": a.Key}})
	pages := filepath.Join(enginetest.DemoDir(), "pages")
	targets := filepath.Join(t.TempDir(), "targets.txt")
	os.WriteFile(targets, []byte("# the fleet\n"+b.URL+"\n\n"), 0o644)
	badTargets := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(badTargets, []byte("not-a-url\n"), 0o644)

	tests := []struct {
		name   string
		args   []string
		code   int
		want   []string
		served []*enginetest.Engine // engines that must serve /pricing afterwards
	}{
		{"repeated --url", []string{"publish", "--url", a.URL, "--url", b.URL, pages}, 0,
			[]string{"== " + a.URL, "== " + b.URL, "   6 published, 0 failed", "targets: 2 ok, 0 failed"}, []*enginetest.Engine{a, b}},
		{"--url and a targets file", []string{"publish", "--url", a.URL, "--targets", targets, pages}, 0,
			[]string{"== " + b.URL, "targets: 2 ok, 0 failed"}, []*enginetest.Engine{a, b}},
		{"one engine down", []string{"publish", "--url", a.URL, "--url", "http://127.0.0.1:1", pages}, 1,
			[]string{"== http://127.0.0.1:1", "connection refused", "   0 published, 6 failed", "targets: 1 ok, 1 failed"}, []*enginetest.Engine{a}},
		{"bad targets file", []string{"publish", "--targets", badTargets, pages}, 2, []string{"line 1", "not an engine URL"}, nil},
		{"bad --url", []string{"publish", "--url", "ftp://x", pages}, 2, []string{"not an engine URL"}, nil},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		code := run(context.Background(), tt.args, env(map[string]string{"FRONTBASE_SYSTEM_KEY": a.Key}), &out, &out)
		if code != tt.code {
			t.Errorf("%s: exit %d, want %d\n%s", tt.name, code, tt.code, out.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: output lacks %q:\n%s", tt.name, w, out.String())
			}
		}
		for _, e := range tt.served {
			if resp, _ := e.Do(t, "GET", "/pricing", nil); resp.StatusCode != 200 {
				t.Errorf("%s: %s/pricing = %d", tt.name, e.URL, resp.StatusCode)
			}
		}
	}
}
