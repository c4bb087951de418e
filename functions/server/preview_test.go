package main

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// previewBody is the demo's about page with a marker in its title and,
// unless sameSlug, another slug.
func previewBody(t *testing.T, marker string, ttlSeconds int, slug string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(enginetest.DemoDir(), "pages", "about.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Page map[string]any `json:"page"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	page := doc.Page
	page["title"] = marker
	page["slug"] = slug
	body := map[string]any{"page": page}
	if ttlSeconds > 0 {
		body["ttlSeconds"] = ttlSeconds
	}
	out, _ := json.Marshal(body)
	return string(out)
}

type previewLink struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func makePreview(t *testing.T, e *enginetest.Engine, body string) (path string, link previewLink) {
	t.Helper()
	resp, out := e.Manage(t, "POST", "/api/preview", body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/preview: %d %s", resp.StatusCode, out)
	}
	if err := json.Unmarshal([]byte(out), &link); err != nil {
		t.Fatal(err)
	}
	i := strings.Index(link.URL, "/_preview/")
	if i < 0 {
		t.Fatalf("url %q is not a preview link", link.URL)
	}
	return link.URL[i:], link
}

func generation(t *testing.T, e *enginetest.Engine) float64 {
	t.Helper()
	_, out := e.Manage(t, "GET", "/api/health", "")
	var h struct {
		Generation float64 `json:"generation"`
	}
	json.Unmarshal([]byte(out), &h)
	return h.Generation
}

// redisState is every key of the shared cache with its value (string
// keys) or type, so a test can tell exactly what a request wrote.
func redisState(t *testing.T, e *enginetest.Engine) map[string]string {
	t.Helper()
	if e.Servers == nil {
		return nil
	}
	ctx := context.Background()
	c := e.Servers.Redis.Client()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]string{}
	for _, k := range keys {
		typ, _ := c.Type(ctx, k).Result()
		if typ == "string" {
			v, _ := c.Get(ctx, k).Result()
			state[k] = v
		} else {
			state[k] = typ
		}
	}
	return state
}

// TestPreviewIsolation: a preview of the published about page's slug shows
// the draft to its link's holder and changes nothing visitors see: not the
// published bytes, not the generation, no cache entry but its own.
func TestPreviewIsolation(t *testing.T) {
	for _, mode := range enginetest.Modes {
		t.Run(mode, func(t *testing.T) {
			e := enginetest.Start(t, enginetest.Options{Mode: mode})
			e.PublishDemo(t)
			host := []string{"Host", "www.acme.test", "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}
			_, published := e.Do(t, "GET", "/about", nil, host...)
			e.Do(t, "GET", "/about", nil, host...) // and counted twice, so every analytics key exists
			gen := generation(t, e)
			before := redisState(t, e)

			const marker = "PREVIEW-ONLY-MARKER"
			path, link := makePreview(t, e, previewBody(t, marker, 120, "about"))
			if d := time.Until(link.ExpiresAt); d <= 0 || d > 121*time.Second {
				t.Errorf("expiresAt %v is not 120 s away", link.ExpiresAt)
			}
			resp, body := e.Do(t, "GET", path, nil, host...)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, marker) ||
				!strings.Contains(body, `<meta name="robots" content="noindex">`) ||
				resp.Header.Get("X-Robots-Tag") != "noindex" || resp.Header.Get("Cache-Control") != "private, no-store" {
				t.Fatalf("GET preview: %d %v (marker shown: %v)", resp.StatusCode, resp.Header, strings.Contains(body, marker))
			}
			if !strings.Contains(body, "Acme Edge") && !strings.Contains(body, "Acme") {
				t.Error("the preview does not use the published settings")
			}

			// Visitors see the published page, byte for byte.
			resp, now := e.Do(t, "GET", "/about", nil, host...)
			if resp.StatusCode != http.StatusOK || now != published || strings.Contains(now, marker) {
				t.Errorf("GET /about changed after a preview of its slug (%d)", resp.StatusCode)
			}
			if g := generation(t, e); g != gen {
				t.Errorf("generation %v -> %v: a preview published something", gen, g)
			}
			if mode == "local" {
				return
			}
			after := redisState(t, e)
			token := strings.TrimPrefix(path, "/_preview/")
			added := []string{}
			for k, v := range after {
				old, had := before[k]
				switch {
				case !had:
					added = append(added, k)
				case old != v && !strings.HasPrefix(k, "fb:an:"): // analytics counters move with page views
					t.Errorf("cache key %q changed", k)
				}
			}
			if !slices.Equal(added, []string{"fb:v1:preview:" + token}) {
				t.Errorf("keys written: %v, want only the preview's", added)
			}
			ttl, err := e.Servers.Redis.Client().TTL(context.Background(), "fb:v1:preview:"+token).Result()
			if err != nil || ttl <= 0 || ttl > 120*time.Second {
				t.Errorf("the preview key's TTL is %v (%v), want (0, 120s]", ttl, err)
			}
			for k := range maps.Keys(before) {
				if _, ok := after[k]; !ok {
					t.Errorf("cache key %q disappeared", k)
				}
			}

			// A flushed cache loses the draft: the link is gone (410), not
			// unknown.
			e.Servers.Redis.FlushAll(t)
			if resp, _ := e.Do(t, "GET", path, nil); resp.StatusCode != http.StatusGone {
				t.Errorf("after FLUSHALL: %d, want 410", resp.StatusCode)
			}
		})
	}
}

// TestPreviewExpires waits out a one-second preview: 410 after, in every
// mode, and the draft is gone from the cache.
func TestPreviewExpires(t *testing.T) {
	for _, mode := range []string{"local", "cloud-redis"} {
		t.Run(mode, func(t *testing.T) {
			e := enginetest.Start(t, enginetest.Options{Mode: mode})
			path, link := makePreview(t, e, previewBody(t, "short-lived", 1, "short"))
			// On a loaded machine making the link can take most of its one
			// second: the fresh view is judged only if it was answered in time.
			resp, _ := e.Do(t, "GET", path, nil)
			if answered := time.Now(); answered.Before(link.ExpiresAt) && resp.StatusCode != http.StatusOK {
				t.Fatalf("fresh preview: %d", resp.StatusCode)
			}
			time.Sleep(time.Until(link.ExpiresAt) + 50*time.Millisecond)
			resp, body := e.Do(t, "GET", path, nil)
			if resp.StatusCode != http.StatusGone || strings.Contains(body, "short-lived") {
				t.Errorf("expired preview: %d", resp.StatusCode)
			}
			if resp, _ := e.Do(t, "GET", "/_preview/"+strings.Repeat("x", len(path)-len("/_preview/")), nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("unknown preview: %d, want 404", resp.StatusCode)
			}
			if mode != "local" {
				n, _ := e.Servers.Redis.Client().Exists(context.Background(), "fb:v1:preview:"+strings.TrimPrefix(path, "/_preview/")).Result()
				if n != 0 {
					t.Error("the expired draft is still in Redis")
				}
			}
		})
	}
}
