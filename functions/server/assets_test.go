package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/frontbase/edge/core/render/runtime"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// TestRuntimeAsset: the browser runtime is served under its hashed URL
// with immutable caching, gzip and validators, and pages that need it
// reference exactly that URL.
func TestRuntimeAsset(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	e.PublishDemo(t)
	_, about := e.Do(t, "GET", "/about", nil)
	if !strings.Contains(about, `<script src="`+runtime.JS.Path+`" defer></script>`) {
		t.Errorf("/about (tabs) does not load the runtime")
	}
	_, docs := e.Do(t, "GET", "/docs/getting-started", nil)
	if strings.Contains(docs, "<script") {
		t.Errorf("a page without interactive parts loads a script")
	}

	resp, body := e.Do(t, "GET", runtime.JS.Path, nil)
	if resp.StatusCode != 200 || body != string(runtime.JS.Body) {
		t.Fatalf("runtime: %d, %d bytes", resp.StatusCode, len(body))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control %q", cc)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type %q", ct)
	}
	etag := resp.Header.Get("Etag")
	if resp, _ := e.Do(t, "GET", runtime.JS.Path, nil, "If-None-Match", etag); resp.StatusCode != 304 {
		t.Errorf("If-None-Match: %d, want 304", resp.StatusCode)
	}
	resp, gz := e.Do(t, "GET", runtime.JS.Path, nil, "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip")
	}
	zr, err := gzip.NewReader(strings.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, runtime.JS.Body) {
		t.Error("gzip body differs")
	}
	t.Logf("runtime: %d bytes, %d gzipped", len(runtime.JS.Body), len(gz))
	if len(gz) > 8<<10 {
		t.Errorf("runtime is %d bytes gzipped, over the 8 KiB target", len(gz))
	}
	for _, p := range []string{runtime.Prefix + "runtime.js", runtime.Prefix + "nope", runtime.Prefix + "css/about.0123.css"} {
		if resp, _ := e.Do(t, "GET", p, nil); resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
}

// TestRequestDependentPage: through the whole engine, a page reading the
// query and a cookie answers each request with its own values, and one
// visitor's copy is marked private.
func TestRequestDependentPage(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	page := `{"force":true,"page":{"id":"v1","slug":"hello","title":"Hello","isPublic":true,"layoutData":{"content":[
		{"type":"Heading","props":{"text":"Plan {{ url.plan | default: 'none' }}","level":1}},
		{"type":"Text","props":{"text":"Theme {{ cookies.theme | default: 'light' }}"},"visibilityCondition":"cookies.theme != 'hidden'"}]}}}`
	if resp, out := e.Manage(t, "POST", "/api/import", page); resp.StatusCode != 200 {
		t.Fatalf("publish: %d %s", resp.StatusCode, out)
	}
	tests := []struct {
		path, cookie, want, notWant string
	}{
		{"/hello?plan=pro", "", "Plan pro", "Plan free"},
		{"/hello?plan=free", "", "Plan free", "Plan pro"},
		{"/hello?plan=pro", "theme=dark", "Theme dark", "Theme light"},
		{"/hello?plan=pro", "", "Theme light", "Theme dark"},
		{"/hello", "theme=hidden", "Plan none", "Theme"},
	}
	for _, tc := range tests {
		var headers []string
		if tc.cookie != "" {
			headers = []string{"Cookie", tc.cookie}
		}
		for range 2 { // the second time from L1
			resp, body := e.Do(t, "GET", tc.path, nil, headers...)
			if !strings.Contains(body, tc.want) || strings.Contains(body, tc.notWant) {
				t.Errorf("%s (cookie %q): want %q and not %q in\n%s", tc.path, tc.cookie, tc.want, tc.notWant, body)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "private, no-cache" {
				t.Errorf("%s: Cache-Control %q for a page that reads cookies", tc.path, cc)
			}
		}
	}
}
