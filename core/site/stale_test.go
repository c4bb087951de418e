package site

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/cache"
	"github.com/frontbase/edge/core/render"
)

// deadCache is a shared cache that cannot be reached.
type deadCache struct{ core.Cache }

var errCacheDown = &core.Error{Code: core.EUNAVAILABLE, Message: "cache down"}

func (deadCache) Get(context.Context, ...string) ([][]byte, error) { return nil, errCacheDown }
func (deadCache) Set(context.Context, ...core.CacheEntry) error    { return errCacheDown }
func (deadCache) SetMax(context.Context, string, int64) error      { return errCacheDown }
func (deadCache) Exec(context.Context, ...[]any) ([]any, error)    { return nil, errCacheDown }
func (deadCache) Ping(context.Context) error                       { return errCacheDown }
func (deadCache) Incr(context.Context, string, int64, time.Duration) (int64, error) {
	return 0, errCacheDown
}

// TestServesTheNewestCopyAcrossAPublishWhenEverythingIsDown: an instance
// that served a page, then learned of a publish, still holds the older
// copy; with the store and the shared cache down it serves that copy,
// marked stale, rather than a 503.
func TestServesTheNewestCopyAcrossAPublishWhenEverythingIsDown(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cache core.Cache
	}{{"no shared cache", nil}, {"shared cache down", deadCache{}}} {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore()
			store.put("about", "Before the publish")
			svc := New(store, Options{L1TTL: time.Minute, L1MaxBytes: 1 << 20, Cache: tc.cache, Logger: slog.New(slog.DiscardHandler)})
			ctx := context.Background()
			if resp, _, err := svc.Serve(ctx, "http://x", "/about"); err != nil || resp.Status != 200 {
				t.Fatalf("first serve: %v %v", resp, err)
			}
			store.put("other", "Another page") // a publish: generation 2
			svc.published(ctx, 2, nil)
			store.down.Store(true)
			for range 2 {
				resp, tier, err := svc.Serve(ctx, "http://x", "/about")
				if err != nil {
					t.Fatalf("store and cache down after a publish: %v, want the copy held", err)
				}
				if !strings.Contains(string(resp.Body), "Before the publish") || tier != cache.TierStale {
					t.Fatalf("served tier %s: %s", tier, resp.Body)
				}
			}
			if _, _, err := svc.Serve(ctx, "http://x", "/other"); core.ErrorCode(err) != core.EUNAVAILABLE {
				t.Errorf("a page never served: %v, want unavailable", err)
			}
		})
	}
}

// TestARenderPanicIsNeverA500NorCached: a renderer that panics yields the
// newest copy held, else EUNAVAILABLE (a 503); the failure is not cached,
// and the store is not reported down for it.
func TestARenderPanicIsNeverA500NorCached(t *testing.T) {
	store := newMemStore()
	store.put("about", "Good copy")
	store.put("new", "New page")
	svc := New(store, Options{L1TTL: time.Minute, L1MaxBytes: 1 << 20, Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	if _, _, err := svc.Serve(ctx, "http://x", "/about"); err != nil {
		t.Fatal(err)
	}
	good := svc.render
	svc.render = func(render.Input) (render.Result, error) { panic("boom") }
	svc.published(ctx, 3, nil)

	resp, tier, err := svc.Serve(ctx, "http://x", "/about")
	if err != nil || !strings.Contains(string(resp.Body), "Good copy") || tier != cache.TierStale {
		t.Fatalf("render panicked: %v %v %s, want the copy held, stale", resp, err, tier)
	}
	if _, _, err := svc.Serve(ctx, "http://x", "/new"); core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Fatalf("render panicked on a page never served: %v, want unavailable", err)
	}
	if svc.health.down.Load() {
		t.Error("a render panic reported the store down")
	}
	svc.render = good
	resp, _, err = svc.Serve(ctx, "http://x", "/new")
	if err != nil || !strings.Contains(string(resp.Body), "New page") {
		t.Errorf("after the panic: %v %v, want the page rendered (nothing cached)", resp, err)
	}
}

// TestAnOverflowingLiteralRendersAsWritten: the Liquid scanner panics on
// an integer literal too large for an int; the template shows as written.
func TestAnOverflowingLiteralRendersAsWritten(t *testing.T) {
	store := newMemStore()
	store.put("about", "x")
	store.pages["about"].Page.LayoutData.Content[0].Props["text"] = "{{ 9999999999999999999999 }}"
	svc := New(store, Options{L1TTL: time.Minute, L1MaxBytes: 1 << 20, Logger: slog.New(slog.DiscardHandler)})
	for range 2 {
		resp, _, err := svc.Serve(context.Background(), "http://x", "/about")
		if err != nil || resp.Status != 200 || !strings.Contains(string(resp.Body), "{{ 9999999999999999999999 }}") {
			t.Fatalf("%v %v, want the template as written", resp, err)
		}
	}
}

// hungCache is a shared cache that accepts connections and never answers
// (a paused or blackholed Redis): every call blocks until release closes,
// whatever its context says.
type hungCache struct {
	core.Cache
	release chan struct{}
	calls   atomic.Int64
}

func (h *hungCache) block() error {
	h.calls.Add(1)
	<-h.release
	return errCacheDown
}
func (h *hungCache) Get(context.Context, ...string) ([][]byte, error) { return nil, h.block() }
func (h *hungCache) Set(context.Context, ...core.CacheEntry) error    { return h.block() }
func (h *hungCache) SetMax(context.Context, string, int64) error      { return h.block() }
func (h *hungCache) Exec(context.Context, ...[]any) ([]any, error)    { return nil, h.block() }

// TestAHungCacheDoesNotHoldRequests: a request waits for the shared cache
// only a short while (l2.wait), then goes on without it; the calls finish
// in the background. Here the calls never finish while the requests run.
func TestAHungCacheDoesNotHoldRequests(t *testing.T) {
	store := newMemStore()
	store.put("about", "From the store")
	hung := &hungCache{release: make(chan struct{})}
	defer close(hung.release)
	svc := New(store, Options{L1TTL: time.Minute, L1MaxBytes: 1 << 20, Cache: hung, Logger: slog.New(slog.DiscardHandler)})
	done := make(chan error, 1)
	go func() {
		for _, path := range []string{"/about", "/missing"} {
			resp, _, err := svc.Serve(context.Background(), "http://x", path)
			if err != nil {
				done <- err
				return
			}
			if path == "/about" && !strings.Contains(string(resp.Body), "From the store") {
				done <- fmt.Errorf("served %s", resp.Body)
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("requests are waiting for a cache that does not answer")
	}
	if hung.calls.Load() == 0 {
		t.Error("the cache was never asked")
	}
}
