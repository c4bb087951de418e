// Package limitertest holds the behaviour every ratelimit.Limiter must
// show, run against the in-process limiter (core) and against real Redis
// and the Upstash front (functions/internal/ratelimittest).
package limitertest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/frontbase/edge/core/ratelimit"
)

// Contract checks l with a clock the test drives: exactly limit of 200
// concurrent requests pass in a window, with the right remaining counts
// and retry times; a whole window later the budget is whole again; and
// one emission interval later exactly one more request passes.
func Contract(t *testing.T, l ratelimit.Limiter) {
	ctx := context.Background()
	const limit, window = 10, time.Minute
	interval := window / limit
	t0 := time.Now().Truncate(time.Second)
	key := fmt.Sprintf("fb:rl:contract:%d", time.Now().UnixNano())

	take := func(key string, now time.Time) ratelimit.Decision {
		t.Helper()
		d, err := l.Take(ctx, key, limit, window, now)
		if err != nil {
			t.Fatal(err)
		}
		if d.Limit != limit {
			t.Fatalf("limit %d, want %d", d.Limit, limit)
		}
		return d
	}

	// 200 at once, at one instant.
	var (
		mu        sync.Mutex
		decisions []ratelimit.Decision
		wg        sync.WaitGroup
	)
	var firstErr error
	for range 200 {
		wg.Go(func() {
			d, err := l.Take(ctx, key, limit, window, t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				firstErr = err
				return
			}
			decisions = append(decisions, d)
		})
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("%d of 200 counts failed; one: %v", 200-len(decisions), firstErr)
	}
	var remaining []int64
	for _, d := range decisions {
		if !d.Allowed {
			if d.Remaining != 0 || d.RetryAfter <= 0 || d.RetryAfter > interval || d.Reset < window-interval || d.Reset > window {
				t.Fatalf("denied decision %+v: want remaining 0, retry within %v, reset about %v", d, interval, window)
			}
			continue
		}
		remaining = append(remaining, d.Remaining)
		if d.Reset <= 0 || d.Reset > window {
			t.Fatalf("allowed decision %+v: reset out of (0, %v]", d, window)
		}
	}
	slices.Sort(remaining)
	if want := []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(remaining, want) {
		t.Fatalf("%d of 200 passed with remaining %v; want exactly %d with %v", len(remaining), remaining, limit, want)
	}

	// A whole window later the budget is whole again: limit pass, one more does not.
	t1 := t0.Add(window)
	for i := range limit + 1 {
		d := take(key, t1)
		if d.Allowed != (i < limit) {
			t.Fatalf("second window, request %d: allowed=%v", i+1, d.Allowed)
		}
		if d.Allowed && d.Remaining != int64(limit-1-i) {
			t.Fatalf("second window, request %d: remaining %d, want %d", i+1, d.Remaining, limit-1-i)
		}
	}
	// One interval on, exactly one request's budget has come back.
	t2 := t1.Add(interval)
	if d := take(key, t2); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("one interval later: %+v, want allowed with 0 remaining", d)
	}
	if d := take(key, t2); d.Allowed || d.RetryAfter != interval {
		t.Fatalf("one interval later, second request: %+v, want denied, retry after %v", d, interval)
	}

	// Keys are independent, and the first request's headers are exact.
	if d := take(key+":other", t2); !d.Allowed || d.Remaining != limit-1 || d.Reset != interval {
		t.Fatalf("fresh key: %+v, want allowed, %d remaining, reset %v", d, limit-1, interval)
	}
}
