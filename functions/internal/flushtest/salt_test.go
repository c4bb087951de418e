package flushtest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontbase/edge/core/analytics"
)

// TestSaltIsSharedDailyAndShortLived: instances on one Redis agree on a
// day's salt (whoever made it), days differ, and the key expires within
// two days.
func TestSaltIsSharedDailyAndShortLived(t *testing.T) {
	for _, combo := range []string{"redis+sqlite", "upstash+turso"} {
		t.Run(combo, func(t *testing.T) {
			r := start(t, combo)
			ctx := context.Background()
			const instances = 8
			salts := make([]string, instances)
			var wg sync.WaitGroup
			for i := range instances {
				wg.Go(func() {
					s := &analytics.Salts{Cache: r.cache, Timeout: 5 * time.Second}
					var ok bool
					salts[i], ok = s.Salt(ctx, "2026-11-22")
					if !ok {
						t.Errorf("instance %d got no salt", i)
					}
				})
			}
			wg.Wait()
			for i, s := range salts {
				if s != salts[0] || len(s) != 64 {
					t.Fatalf("instance %d has salt %q, instance 0 %q: not shared", i, s, salts[0])
				}
			}
			s := &analytics.Salts{Cache: r.cache, Timeout: 5 * time.Second}
			next, _ := s.Salt(ctx, "2026-11-23")
			if next == salts[0] || next == "" {
				t.Error("the next day has the same salt")
			}
			if strings.Contains(salts[0], "test-key") {
				t.Error("the salt is derived from the key")
			}
			ttl, err := r.redis.Client().PTTL(ctx, "fb:an:salt:2026-11-22").Result()
			if err != nil || ttl <= 0 || ttl > analytics.SaltTTL || analytics.SaltTTL > 48*time.Hour {
				t.Errorf("salt key TTL %v (%v), want (0, 48h]", ttl, err)
			}
			// A flushed Redis gives a new salt: the old one is gone for good.
			r.redis.FlushAll(t)
			fresh, ok := (&analytics.Salts{Cache: r.cache, Timeout: 5 * time.Second}).Salt(ctx, "2026-11-22")
			if !ok || fresh == salts[0] {
				t.Errorf("after FLUSHALL: %q %v, want a new salt", fresh, ok)
			}
		})
	}
}

func TestSaltWithoutRedisStaysInProcess(t *testing.T) {
	ctx := context.Background()
	a, b := &analytics.Salts{}, &analytics.Salts{}
	d1, _ := a.Salt(ctx, "2026-11-22")
	again, _ := a.Salt(ctx, "2026-11-22")
	other, _ := b.Salt(ctx, "2026-11-22")
	d2, _ := a.Salt(ctx, "2026-11-23")
	d3, _ := a.Salt(ctx, "2026-11-24")
	back, _ := a.Salt(ctx, "2026-11-22") // gone: made anew
	switch {
	case d1 == "" || d1 != again:
		t.Errorf("a day's salt changed within the process: %q %q", d1, again)
	case other == d1:
		t.Error("two processes made the same salt")
	case d2 == d1 || d3 == d2:
		t.Error("salts do not rotate daily")
	case back == d1:
		t.Error("a salt older than two days was kept")
	}
}

func TestSaltUnreachableCountsWithoutVisitor(t *testing.T) {
	r := start(t, "redis+sqlite")
	r.cache.Close() // every call fails now
	s := &analytics.Salts{Cache: r.cache, Timeout: time.Second, RetryAfter: time.Hour}
	if v, ok := s.Salt(context.Background(), "2026-11-22"); ok || v != "" {
		t.Errorf("an unreachable cache gave salt %q", v)
	}
}
