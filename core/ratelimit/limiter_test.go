package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/ratelimit"
	"github.com/frontbase/edge/core/ratelimit/limitertest"
)

func TestMemoryLimiter(t *testing.T) {
	limitertest.Contract(t, ratelimit.NewMemoryLimiter())
}

func TestMemoryLimiterStaysBounded(t *testing.T) {
	l := ratelimit.NewMemoryLimiter()
	l.MaxKeys = 3
	ctx, now := context.Background(), time.Now()
	for _, k := range []string{"a", "b", "c"} {
		if _, err := l.Take(ctx, k, 1, time.Second, now); err != nil {
			t.Fatal(err)
		}
	}
	// Full of live keys: a new key cannot be counted.
	if _, err := l.Take(ctx, "d", 1, time.Second, now); core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Fatalf("a fourth key: %v, want unavailable", err)
	}
	// A second later every budget is whole: the keys are swept, d fits.
	if d, err := l.Take(ctx, "d", 1, time.Second, now.Add(time.Second)); err != nil || !d.Allowed {
		t.Fatalf("after expiry: %+v %v", d, err)
	}
	if n := l.Keys(); n != 1 {
		t.Fatalf("%d keys held, want 1", n)
	}
}

func TestSmallWindowsNeverLetMoreThanTheLimitThrough(t *testing.T) {
	// ceil(window/limit) as the interval: 600,000 per second must not let
	// 600,001 through because of rounding.
	for _, tc := range []struct {
		limit  int64
		window time.Duration
	}{{600_000, time.Second}, {7, time.Second}, {3, time.Second}, {1_000_000, 7 * 24 * time.Hour}} {
		l := ratelimit.NewMemoryLimiter()
		now, passed := time.Now(), int64(0)
		for range tc.limit + 5 {
			d, err := l.Take(context.Background(), "k", tc.limit, tc.window, now)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				passed++
			}
		}
		if passed != tc.limit {
			t.Errorf("limit %d per %v: %d passed", tc.limit, tc.window, passed)
		}
	}
}
