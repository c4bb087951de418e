package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// TestMisuseGetsAClearAnswer: each wrong command line is refused with the
// reason (not the bare usage), flags are read wherever they are, and the
// output of a good publish names the engine it talked to.
func TestMisuseGetsAClearAnswer(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	demo := enginetest.DemoDir()
	pages, settings := filepath.Join(demo, "pages"), filepath.Join(demo, "settings.json")
	withKey := env(map[string]string{"FRONTBASE_SYSTEM_KEY": e.Key})
	noKey := env(nil)
	tests := []struct {
		name    string
		args    []string
		getenv  func(string) string
		code    int
		want    []string // in stdout or stderr
		notWant []string
	}{
		{"publish without a key", []string{"publish", "--url", e.URL, pages}, noKey, 2,
			[]string{"no system key: set FRONTBASE_SYSTEM_KEY or --key"}, []string{"usage:"}},
		{"publish without an engine", []string{"publish", pages}, withKey, 2,
			[]string{"no engine URL: set --url"}, nil},
		{"publish without a directory", []string{"publish", "--url", e.URL}, withKey, 2,
			[]string{"no directory: name the directory of page files"}, nil},
		{"publish with two directories", []string{"publish", "--url", e.URL, pages, demo}, withKey, 2,
			[]string{"expected one directory of page files, got 2 arguments"}, nil},
		{"publish with flags after the directory", []string{"publish", pages, "--url", e.URL, "--settings", settings}, withKey, 0,
			// The engine's address, not the settings' appUrl.
			[]string{"7 published, 0 failed", e.URL + "/pricing", "settings published"}, []string{"acme.example"}},
		{"republish of the demo writes nothing", []string{"publish", "--url", e.URL, "--settings", settings, pages}, withKey, 0,
			[]string{"Page unchanged", "settings unchanged"}, []string{"Page published"}},
		{"versions with an argument", []string{"versions", "--url", e.URL, "extra"}, withKey, 2,
			[]string{`unexpected argument "extra": versions takes only flags`}, nil},
		{"versions with flags", []string{"versions", "--url", e.URL}, withKey, 0, []string{"6: about, contact"}, nil},
		{"rollback N with flags after it", []string{"rollback", "1", "--url", e.URL}, withKey, 0,
			[]string{"rolled back to version 1 as version 2"}, nil},
		{"rollback of two versions", []string{"rollback", "1", "--to", "2", "--url", e.URL}, withKey, 2,
			[]string{"two versions to restore: 1 and --to 2"}, nil},
		{"rollback of a word", []string{"rollback", "latest", "--url", e.URL}, withKey, 2,
			[]string{`unexpected argument "latest": the version to restore is a number`}, nil},
		{"rollback without a version", []string{"rollback", "--url", e.URL}, withKey, 2,
			[]string{"--to N is required"}, nil},
		{"flags after --", []string{"versions", "--url", e.URL, "--", "--json"}, withKey, 2,
			[]string{`unexpected argument "--json"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			code := run(context.Background(), tt.args, tt.getenv, &out, &out)
			if code != tt.code {
				t.Errorf("exit %d, want %d:\n%s", code, tt.code, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out.String(), w) {
					t.Errorf("output has %q:\n%s", w, out.String())
				}
			}
		})
	}
	if v := versionCount(t, e); v != 2 {
		t.Errorf("%d site versions after a publish, an unchanged republish and a rollback, want 2", v)
	}
}

// TestPublishFailuresReadWell: field problems are listed under a count
// that matches them, and a whole request refused for one reason (the
// database down) is not 500 identical lines.
func TestPublishFailuresReadWell(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"page": {"id": "x", "layoutData": {"content": [{}]}}}`), 0o644)
	var out bytes.Buffer
	if code := run(context.Background(), []string{"publish", "--url", e.URL, "--key", e.Key, dir}, env(nil), &out, &out); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if got := out.String(); !strings.Contains(got, "validation failed, 2 problems:\n") || strings.Contains(got, "more problems") ||
		strings.Count(got, "slug: required") != 1 {
		t.Errorf("a page with 2 problems:\n%s", got)
	}

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"success":false,"error":"state database: publish pages failed: timed out after 30s"}`))
	}))
	t.Cleanup(down.Close)
	out.Reset()
	if code := run(context.Background(), []string{"publish", "--url", down.URL, "--key", e.Key, benchSite(t, 20)}, env(nil), &out, &out); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	got := out.String()
	if n := strings.Count(got, "timed out after 30s"); n != 3 || !strings.Contains(got, "FAIL ... and 17 more files with the same error") ||
		!strings.Contains(got, "0 published, 20 failed") {
		t.Errorf("20 pages refused alike (%d lines name the error):\n%s", n, got)
	}
}
