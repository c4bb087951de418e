package site

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/cache"
	"github.com/frontbase/edge/core/render"
	"github.com/frontbase/edge/core/render/runtime"
	"github.com/frontbase/edge/internal/poll"
)

// memStore is the smallest Store the site rules need: pages by slug,
// a generation, and switches to make reads fail. The real adapters have
// their own tests; these exercise the service's tiering on its own.
type memStore struct {
	Store    // unused methods panic
	mu       sync.Mutex
	pages    map[string]*core.StoredPage
	settings core.Settings
	gen      int64
	down     atomic.Bool
	loads    atomic.Int64
	genReads atomic.Int64
}

func newMemStore() *memStore { return &memStore{pages: map[string]*core.StoredPage{}} }

var errDown = &core.Error{Code: core.EUNAVAILABLE, Message: "store down"}

func (m *memStore) put(slug, heading string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	m.pages[slug] = &core.StoredPage{Page: &core.Page{ID: slug, Slug: slug, Title: slug,
		LayoutData: core.LayoutData{Content: []core.Component{{Type: "Heading", Props: map[string]any{"text": heading}}}}}}
}

func (m *memStore) LoadPage(_ context.Context, q core.PageQuery) (*core.PageBundle, error) {
	m.loads.Add(1)
	if m.down.Load() {
		return nil, errDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return &core.PageBundle{Page: m.pages[q.Slug], Settings: m.settings, Generation: m.gen}, nil
}

func (m *memStore) Generation(context.Context) (int64, error) {
	m.genReads.Add(1)
	if m.down.Load() {
		return 0, errDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gen, nil
}

func newService(store Store, ttl time.Duration) *Service {
	return New(store, Options{L1TTL: ttl, L1MaxBytes: 1 << 20})
}

func TestAnotherWritersPublishIsSeenWithinTheTTL(t *testing.T) {
	synctest.Test(t, testAnotherWritersPublishIsSeenWithinTheTTL)
}

// In a bubble: the TTL passes on the bubble's clock, in no real time, and
// a loaded machine cannot stretch "100 requests" past one TTL window.
func testAnotherWritersPublishIsSeenWithinTheTTL(t *testing.T) {
	store := newMemStore()
	store.put("about", "First")
	const ttl = 50 * time.Millisecond
	svc := newService(store, ttl)
	defer svc.Close()
	ctx := context.Background()
	serve := func() string {
		resp, _, err := svc.Serve(ctx, "http://x", "/about")
		if err != nil {
			t.Fatal(err)
		}
		return string(resp.Body)
	}
	if !strings.Contains(serve(), "First") {
		t.Fatal("first page not served")
	}
	// Another process publishes (not through this service).
	store.put("about", "Second")
	reads := store.genReads.Load()
	for range 100 {
		serve()
	}
	if n := store.genReads.Load() - reads; n > 1 {
		t.Errorf("%d generation reads for 100 requests inside one TTL window, want at most 1", n)
	}
	poll.Until(t, "the other writer's publish served", func() bool { return strings.Contains(serve(), "Second") })
}

func TestServesTheLastGoodCopyWhenTheStoreIsDown(t *testing.T) {
	synctest.Test(t, testServesTheLastGoodCopyWhenTheStoreIsDown)
}

// In a bubble: the sleeps pass on the bubble's clock.
func testServesTheLastGoodCopyWhenTheStoreIsDown(t *testing.T) {
	store := newMemStore()
	store.put("about", "Cached")
	svc := newService(store, 10*time.Millisecond)
	defer svc.Close()
	ctx := context.Background()
	if _, _, err := svc.Serve(ctx, "http://x", "/about"); err != nil {
		t.Fatal(err)
	}
	store.down.Store(true)
	time.Sleep(30 * time.Millisecond) // past freshness and the generation check
	for range 5 {
		resp, _, err := svc.Serve(ctx, "http://x", "/about")
		if err != nil || resp.Status != 200 || !strings.Contains(string(resp.Body), "Cached") {
			t.Fatalf("store down: %v %v, want the cached page", resp, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// A page no tier holds is an error the caller turns into a 503.
	if _, _, err := svc.Serve(ctx, "http://x", "/never-seen"); core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Errorf("uncached page with the store down: %v, want unavailable", err)
	}
}

func TestInvalidSlugsNeverReachTheStore(t *testing.T) {
	store := newMemStore()
	svc := newService(store, time.Minute)
	for _, path := range []string{"/a..b/../c", "/x\x00y", "/tab\there", "/" + strings.Repeat("a", 300)} {
		resp, _, err := svc.Serve(context.Background(), "http://x", path)
		if err != nil || resp.Status != 404 {
			t.Errorf("%q: %v %v, want 404", path, resp, err)
		}
	}
	if store.loads.Load() != 0 {
		t.Errorf("%d store loads for impossible slugs", store.loads.Load())
	}
}

func TestContentHashIgnoresVolatileFields(t *testing.T) {
	a, _ := contentHash([]byte(`{"id":"p","slug":"a","version":1,"publishedAt":"2026-01-01","x":1}`))
	b, _ := contentHash([]byte(`{"x":1,"slug":"a","id":"p","version":7,"publishedAt":"2026-11-01"}`))
	c, _ := contentHash([]byte(`{"id":"p","slug":"a","x":2}`))
	if a != b || a == c {
		t.Errorf("hashes: same content %v, different content differs %v", a == b, a != c)
	}
}

func readFixtures(tb testing.TB) [][]byte {
	tb.Helper()
	files, _ := filepath.Glob("../../scripts/demo/pages/*.json")
	if len(files) == 0 {
		tb.Fatal("no fixtures")
	}
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// FuzzImportAndRender drives the publish path's decoding and validation
// and then the renderer with whatever survives validation: no input may
// panic, and accepted input must render.
func FuzzImportAndRender(f *testing.F) {
	for _, fx := range readFixtures(f) {
		f.Add(fx)
	}
	f.Add([]byte(`{"page":{"id":"x","slug":"a","layoutData":{"content":[{"type":"Box","children":[{"type":"Text","props":{"text":"</p><script>"}}]}]}}}`))
	svc := newService(newMemStore(), time.Minute)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := core.DecodeImport(body)
		if err != nil {
			if core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("decode error with code %q: %v", core.ErrorCode(err), err)
			}
			return
		}
		if !json.Valid(req.Document) {
			t.Fatal("accepted a page whose document is not valid JSON")
		}
		res, err := svc.render(render.Input{Page: req.Page, Path: "/" + req.Page.Slug})
		html := res.HTML
		if err != nil {
			t.Fatalf("accepted page failed to render: %v", err)
		}
		// The one script allowed is the engine's own runtime.
		runtimeTag := `<script src="` + runtime.JS.Path + `" defer></script>`
		if strings.Contains(strings.ToLower(strings.Replace(string(html), runtimeTag, "", 1)), "<script") {
			t.Fatal("rendered output contains a script element")
		}
	})
}

func BenchmarkServeL1Hit(b *testing.B) {
	store := newMemStore()
	var fx struct{ Page core.Page }
	if err := json.Unmarshal(readFixtures(b)[3], &fx); err != nil || fx.Page.Slug != "landing" {
		b.Fatalf("fixture 3 is not the landing page: %v", err)
	}
	fx.Page.IsHomepage = false
	store.pages["landing"] = &core.StoredPage{Page: &fx.Page}
	svc := newService(store, time.Hour)
	ctx := context.Background()
	if _, _, err := svc.Serve(ctx, "http://x", "/landing"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, tier, err := svc.Serve(ctx, "http://x", "/landing"); err != nil || tier != "l1-hit" {
			b.Fatal(tier, err)
		}
	}
}

func TestStoredResponseRoundTrip(t *testing.T) {
	html := []byte("<!doctype html><p>héllo ✓\nline</p>" + strings.Repeat("x", 600))
	for _, r := range []*Response{
		newBodyResponse(200, htmlType, cachePolicy(time.Minute), html),
		newBodyResponse(404, htmlType, cachePolicy(time.Second), []byte("small")),
		redirect(301, "/", time.Hour),
	} {
		got, ok := decodeResponse(encodeResponse(r), cache.TierL2Hit)
		if !ok || got.Status != r.Status || string(got.Body) != string(r.Body) || string(got.Gzip) != string(r.Gzip) ||
			got.ETag != r.ETag || got.GzipETag != r.GzipETag || got.Location != r.Location || got.CacheControl != r.CacheControl ||
			got.Source != cache.TierL2Hit || got.Headers.ContentLength[0] != r.Headers.ContentLength[0] {
			t.Errorf("round trip of %d changed it: %+v", r.Status, got)
		}
	}
	good := encodeResponse(newBodyResponse(200, htmlType, "c", html))
	for _, bad := range [][]byte{nil, []byte("fbr1\n200\n"), good[:len(good)-1], append([]byte("xxxx"), good[4:]...), []byte(`{"s":200}`)} {
		if _, ok := decodeResponse(bad, cache.TierL2Hit); ok {
			t.Errorf("decoded a damaged entry %q", truncate(bad))
		}
	}
}

func truncate(b []byte) []byte { return b[:min(len(b), 40)] }
