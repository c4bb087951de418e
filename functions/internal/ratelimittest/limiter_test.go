// Package ratelimittest checks rate limiting through real servers: the GCRA
// script in redis-server and through the Upstash REST front, and whole
// engines (local, cloud-redis, cloud-upstash) enforcing published rules.
package ratelimittest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/frontbase/edge/adapters/redis"
	"github.com/frontbase/edge/adapters/testservers"
	"github.com/frontbase/edge/adapters/upstash"
	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/ratelimit"
	"github.com/frontbase/edge/core/ratelimit/limitertest"
)

// caches opens the shared cache both ways over one real redis-server.
func caches(t *testing.T) (*testservers.Redis, map[string]core.Cache) {
	srv := testservers.StartRedis(t)
	r, err := redis.Open(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	up := testservers.StartUpstash(t, srv)
	// 200 counts at once over loopback HTTP/1.1 on shared cores: these
	// tests check counting, not latency, so the client may wait.
	u, err := upstash.New(up.URL, up.Token, upstash.Options{Timeout: 10 * time.Second,
		HTTP: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); u.Close() })
	return srv, map[string]core.Cache{"redis": r, "upstash": u}
}

func TestRedisLimiterContract(t *testing.T) {
	srv, all := caches(t)
	for name, c := range all {
		t.Run(name, func(t *testing.T) {
			l := &ratelimit.RedisLimiter{Cache: c}
			limitertest.Contract(t, l)

			// A restarted or flushed Redis has forgotten the script: the
			// limiter loads it again (EVALSHA, then EVAL) and goes on.
			if err := srv.Client().ScriptFlush(context.Background()).Err(); err != nil {
				t.Fatal(err)
			}
			d, err := l.Take(context.Background(), "fb:rl:after-flush:"+name, 2, time.Second, time.Now())
			if err != nil || !d.Allowed || d.Remaining != 1 {
				t.Fatalf("after SCRIPT FLUSH: %+v %v", d, err)
			}
		})
	}
}

// TestRedisLimiterKeysExpire checks that a key's TTL covers its state and
// no more: Redis stays disposable and small.
func TestRedisLimiterKeysExpire(t *testing.T) {
	srv, all := caches(t)
	l := &ratelimit.RedisLimiter{Cache: all["redis"]}
	ctx := context.Background()
	if _, err := l.Take(ctx, "fb:rl:ttl", 10, time.Minute, time.Now()); err != nil {
		t.Fatal(err)
	}
	ttl, err := srv.Client().PTTL(ctx, "fb:rl:ttl").Result()
	if err != nil {
		t.Fatal(err)
	}
	// One request spends a tenth of a minute: its state must live those
	// 6 s (a shorter TTL would hand out budget early), plus 1 s of slack.
	if ttl <= 6*time.Second || ttl > 7*time.Second {
		t.Fatalf("TTL %v, want within (6s, 7s]", ttl)
	}
}

func TestRedisLimiterDown(t *testing.T) {
	srv, all := caches(t)
	srv.Stop()
	for name, c := range all {
		l := &ratelimit.RedisLimiter{Cache: c}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		_, err := l.Take(ctx, "fb:rl:down", 1, time.Second, time.Now())
		cancel()
		if core.ErrorCode(err) != core.EUNAVAILABLE {
			t.Errorf("%s with Redis stopped: %v, want unavailable", name, err)
		}
	}
}
