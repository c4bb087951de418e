package cache

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

type blob string

func (b blob) Size() int { return len(b) }

func TestL1HitAfterMiss(t *testing.T) {
	l := NewL1[blob](1<<20, time.Minute)
	var loads atomic.Int32
	load := func(context.Context) (blob, error) { loads.Add(1); return "v", nil }
	for i, want := range []Tier{TierMiss, TierL1Hit, TierL1Hit} {
		v, tier, err := l.Get(context.Background(), "k", load)
		if err != nil || v != "v" || tier != want {
			t.Fatalf("get %d = %q %s %v, want v %s", i, v, tier, err, want)
		}
	}
	if loads.Load() != 1 {
		t.Errorf("loads = %d, want 1", loads.Load())
	}
}

func TestL1CoalescesConcurrentMisses(t *testing.T) {
	synctest.Test(t, testL1CoalescesConcurrentMisses)
}

func testL1CoalescesConcurrentMisses(t *testing.T) {
	l := NewL1[blob](1<<20, time.Minute)
	defer l.Close()
	var loads atomic.Int32
	release := make(chan struct{})
	load := func(context.Context) (blob, error) {
		loads.Add(1)
		<-release
		return "v", nil
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, _, err := l.Get(context.Background(), "k", load); err != nil || v != "v" {
				t.Errorf("got %q %v", v, err)
			}
		}()
	}
	synctest.Wait() // every reader is blocked: on the one load, or in it
	close(release)
	wg.Wait()
	if loads.Load() != 1 {
		t.Errorf("loads = %d, want 1 for 20 concurrent misses", loads.Load())
	}
}

func TestL1ServesStaleWhileOneRefreshRuns(t *testing.T) {
	synctest.Test(t, testL1ServesStaleWhileOneRefreshRuns)
}

func testL1ServesStaleWhileOneRefreshRuns(t *testing.T) {
	l := NewL1[blob](1<<20, 20*time.Millisecond)
	defer l.Close()
	ctx := context.Background()
	if _, _, err := l.Get(ctx, "k", func(context.Context) (blob, error) { return "old", nil }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(40 * time.Millisecond) // the bubble's clock: past freshness at once
	var reloads atomic.Int32
	release := make(chan struct{})
	reload := func(context.Context) (blob, error) {
		reloads.Add(1)
		<-release
		return "new", nil
	}
	for range 5 {
		v, tier, err := l.Get(ctx, "k", reload)
		if err != nil || v != "old" || tier != TierL1Stale {
			t.Fatalf("stale get = %q %s %v, want old l1-stale", v, tier, err)
		}
	}
	close(release)
	synctest.Wait() // the refresh has landed
	if v, _, _ := l.Get(ctx, "k", reload); v != "new" {
		t.Errorf("after the refresh got %q, want new", v)
	}
	if reloads.Load() != 1 {
		t.Errorf("reloads = %d, want 1", reloads.Load())
	}
}

func TestL1KeepsOldValueWhenRefreshFails(t *testing.T) {
	synctest.Test(t, testL1KeepsOldValueWhenRefreshFails)
}

func testL1KeepsOldValueWhenRefreshFails(t *testing.T) {
	l := NewL1[blob](1<<20, 10*time.Millisecond)
	defer l.Close()
	ctx := context.Background()
	l.Get(ctx, "k", func(context.Context) (blob, error) { return "good", nil })
	time.Sleep(20 * time.Millisecond) // the bubble's clock: past freshness at once
	var failures atomic.Int32
	failing := func(context.Context) (blob, error) { failures.Add(1); return "", errors.New("store down") }
	for range 3 {
		v, _, err := l.Get(ctx, "k", failing)
		if err != nil || v != "good" {
			t.Fatalf("got %q %v, want the last good value", v, err)
		}
	}
	synctest.Wait() // the failed refresh has returned
	if failures.Load() == 0 {
		t.Fatal("no refresh ran")
	}
	if v, _, err := l.Get(ctx, "k", failing); err != nil || v != "good" {
		t.Fatalf("after failed refresh got %q %v", v, err)
	}
}

func TestL1DoesNotCacheLoadErrors(t *testing.T) {
	l := NewL1[blob](1<<20, time.Minute)
	ctx := context.Background()
	if _, _, err := l.Get(ctx, "k", func(context.Context) (blob, error) { return "", errors.New("down") }); err == nil {
		t.Fatal("want the load error")
	}
	if v, tier, _ := l.Get(ctx, "k", func(context.Context) (blob, error) { return "v", nil }); v != "v" || tier != TierMiss {
		t.Fatalf("got %q %s after an error, want a fresh load", v, tier)
	}
}

func TestL1IsBoundedInBytes(t *testing.T) {
	const max = 64 << 10
	l := NewL1[blob](max, time.Minute)
	big := blob(strings.Repeat("x", 4<<10))
	for i := range 200 {
		l.Get(context.Background(), "k"+string(rune('a'+i%26))+strings.Repeat("z", i), func(context.Context) (blob, error) { return big, nil })
	}
	l.cache.CleanUp()
	if s := l.Stats(); s.Bytes > max {
		t.Errorf("holds %d bytes, bound is %d", s.Bytes, max)
	}
}

func TestL1InvalidateAll(t *testing.T) {
	l := NewL1[blob](1<<20, time.Minute)
	ctx := context.Background()
	l.Get(ctx, "k", func(context.Context) (blob, error) { return "a", nil })
	l.InvalidateAll()
	if v, tier, _ := l.Get(ctx, "k", func(context.Context) (blob, error) { return "b", nil }); v != "b" || tier != TierMiss {
		t.Fatalf("got %q %s after InvalidateAll", v, tier)
	}
}

func TestL1OffLoadsEveryTime(t *testing.T) {
	l := NewL1[blob](0, time.Minute)
	var loads atomic.Int32
	for range 3 {
		v, tier, err := l.Get(context.Background(), "k", func(context.Context) (blob, error) { loads.Add(1); return "v", nil })
		if v != "v" || tier != TierMiss || err != nil {
			t.Fatalf("got %q %s %v", v, tier, err)
		}
	}
	if loads.Load() != 3 {
		t.Errorf("loads = %d, want 3 with the cache off", loads.Load())
	}
	l.InvalidateAll()
	if s := l.Stats(); s.Entries != 0 {
		t.Errorf("stats = %+v", s)
	}
}
