package testservers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

// CacheContract checks what every core.Cache must do, against a live
// server. Values are UTF-8 text (the engine stores JSON), which is what the
// REST API can carry.
func CacheContract(t *testing.T, c core.Cache) {
	ctx := context.Background()
	t.Run("missing keys are nil", func(t *testing.T) {
		got, err := c.Get(ctx, "contract:none-1", "contract:none-2")
		if err != nil || len(got) != 2 || got[0] != nil || got[1] != nil {
			t.Fatalf("got %q %v", got, err)
		}
	})
	t.Run("set then get many in order", func(t *testing.T) {
		text := `{"html":"<p>héllo ✓</p>","nul":"\u0000"}` + strings.Repeat("x", 64<<10)
		err := c.Set(ctx, core.CacheEntry{Key: "contract:a", Value: []byte("1")},
			core.CacheEntry{Key: "contract:b", Value: []byte(text), TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Get(ctx, "contract:b", "contract:missing", "contract:a")
		if err != nil || string(got[0]) != text || got[1] != nil || string(got[2]) != "1" {
			t.Fatalf("got %d values, err %v", len(got), err)
		}
	})
	t.Run("ttl expires", func(t *testing.T) {
		if err := c.Set(ctx, core.CacheEntry{Key: "contract:short", Value: []byte("x"), TTL: 50 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, err := c.Get(ctx, "contract:short")
			if err != nil {
				t.Fatal(err)
			}
			if got[0] == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("a 50ms entry was still there after 5s")
			}
			time.Sleep(25 * time.Millisecond)
		}
	})
	t.Run("set max never goes backwards", func(t *testing.T) {
		for _, tt := range []struct {
			n    int64
			want string
		}{{5, "5"}, {3, "5"}, {7, "7"}, {7, "7"}} {
			if err := c.SetMax(ctx, "contract:gen", tt.n); err != nil {
				t.Fatal(err)
			}
			got, err := c.Get(ctx, "contract:gen")
			if err != nil || string(got[0]) != tt.want {
				t.Fatalf("after SetMax(%d): %q %v, want %s", tt.n, got[0], err, tt.want)
			}
		}
	})
	t.Run("incr counts atomically and expires", func(t *testing.T) {
		const parallel = 50
		done := make(chan int64, parallel)
		for range parallel {
			go func() {
				n, err := c.Incr(ctx, "contract:count", 1, time.Minute)
				if err != nil {
					t.Error(err)
				}
				done <- n
			}()
		}
		seen := map[int64]bool{}
		for range parallel {
			seen[<-done] = true
		}
		if len(seen) != parallel || !seen[1] || !seen[parallel] {
			t.Fatalf("%d distinct counts, want 1..%d", len(seen), parallel)
		}
		if n, err := c.Incr(ctx, "contract:count", -parallel, time.Minute); err != nil || n != 0 {
			t.Fatalf("decrement = %d %v", n, err)
		}
		// The key expires after the TTL of the increment that created it;
		// later increments do not extend it. (Its own key: on a loaded
		// machine the parallel burst above may outlast a short TTL.)
		if n, err := c.Incr(ctx, "contract:incr-ttl", 1, 600*time.Millisecond); err != nil || n != 1 {
			t.Fatalf("first = %d %v", n, err)
		}
		if n, err := c.Incr(ctx, "contract:incr-ttl", 1, time.Hour); err != nil || n != 2 {
			t.Fatalf("second = %d %v", n, err)
		}
		time.Sleep(800 * time.Millisecond)
		if n, err := c.Incr(ctx, "contract:incr-ttl", 1, 0); err != nil || n != 1 {
			t.Fatalf("after expiry = %d %v", n, err)
		}
	})
	t.Run("exec pipelines commands and normalizes replies", func(t *testing.T) {
		got, err := c.Exec(ctx,
			[]any{"DEL", "contract:h", "contract:hll"},
			[]any{"HINCRBY", "contract:h", "a\tb", 2},
			[]any{"HINCRBY", "contract:h", "a\tb", 3},
			[]any{"PFADD", "contract:hll", "x", "y", "x"},
			[]any{"PFCOUNT", "contract:hll"},
			[]any{"HGETALL", "contract:h"},
			[]any{"GET", "contract:none"},
			[]any{"EVAL", "return redis.call('HGET', KEYS[1], ARGV[1])", 1, "contract:h", "a\tb"},
		)
		if err != nil {
			t.Fatal(err)
		}
		want := []any{int64(0), int64(2), int64(5), int64(1), int64(2), []any{"a\tb", "5"}, nil, "5"}
		if len(got) != len(want) {
			t.Fatalf("got %d replies, want %d", len(got), len(want))
		}
		for i := range want {
			if fmt.Sprintf("%#v", got[i]) != fmt.Sprintf("%#v", want[i]) {
				t.Errorf("reply %d = %#v, want %#v", i, got[i], want[i])
			}
		}
		if _, err := c.Exec(ctx, []any{"HINCRBY", "contract:h", "a\tb", "not-a-number"}); core.ErrorCode(err) != core.EINVALID {
			t.Fatalf("a command error = %v, want EINVALID", err)
		}
	})
	t.Run("ping", func(t *testing.T) {
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// CacheUnavailable checks that a cache whose server is gone fails fast
// with EUNAVAILABLE rather than hanging.
func CacheUnavailable(t *testing.T, c core.Cache) {
	start := time.Now()
	_, err := c.Get(context.Background(), "k")
	if core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Fatalf("got %v, want an unavailable error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("a dead server took %v to report", d)
	}
}
