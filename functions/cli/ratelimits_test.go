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

// TestPublishRateLimits publishes a ratelimits.json beside the pages: it
// replaces the engine's rules, and a bad file is reported with its paths.
func TestPublishRateLimits(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	demo := enginetest.DemoDir()
	dir := t.TempDir()
	good := filepath.Join(dir, "ratelimits.json")
	os.WriteFile(good, []byte(`{"rules":[{"id":"home","pathPattern":"/","limit":100,"windowSeconds":60,"key":"ip"}]}`), 0o644)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"rules":[{"id":"x","pathPattern":"/","limit":0,"windowSeconds":60,"key":"ip"}]}`), 0o644)
	publish := func(file string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"publish", "--url", e.URL, "--ratelimits", file, filepath.Join(demo, "pages")},
			env(map[string]string{"FRONTBASE_SYSTEM_KEY": e.Key}), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := publish(good); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if resp, _ := e.Do(t, "GET", "/", nil); resp.Header.Get("RateLimit-Limit") != "100" {
		t.Fatalf("the published rule is not applied: %v", resp.Header)
	}
	code, out := publish(bad)
	if code != 1 || !strings.Contains(out, "rules[0].limit") {
		t.Fatalf("bad file: exit %d\n%s", code, out)
	}
	if _, body := e.Manage(t, "GET", "/api/ratelimits", ""); !strings.Contains(body, `"id":"home"`) {
		t.Fatalf("a refused file changed the rules: %s", body)
	}
}
