// Package redis is the L2 cache over Redis's own protocol (redis:// and
// rediss://): self-hosted Redis, Valkey, or Upstash's TCP endpoint.
package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/frontbase/edge/core"
)

// Cache implements core.Cache with go-redis.
type Cache struct {
	client *goredis.Client
}

var _ core.Cache = (*Cache)(nil)

// Timeouts are short on purpose: the cache is an optimisation, and a slow
// Redis must cost a page request milliseconds, not seconds.
const (
	dialTimeout = time.Second
	ioTimeout   = 300 * time.Millisecond
)

func init() {
	// go-redis prints pool dial failures with the standard logger, unstructured
	// and once per attempt; the engine's circuit breaker already reports an
	// unreachable cache once, in the structured log.
	goredis.SetLogger(quiet{})
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// Open parses a redis:// or rediss:// URL. No connection is made until
// the first command, so a cold start does no network I/O.
func Open(rawURL string) (*Cache, error) { return OpenTimeout(rawURL, 0) }

// OpenTimeout is Open with the time one command's read or write may take
// (0: 300ms).
func OpenTimeout(rawURL string, timeout time.Duration) (*Cache, error) {
	if timeout <= 0 {
		timeout = ioTimeout
	}
	opts, err := goredis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("expected redis://[user:password@]host:port[/db] or rediss://…: %w", err)
	}
	opts.DialTimeout = dialTimeout
	opts.ReadTimeout = timeout
	opts.WriteTimeout = timeout
	// No retries of any kind. go-redis retries a command (3 times unless
	// told -1; 0 means the default) when the connection fails after the
	// command was sent, which applies a HINCRBY or the analytics claim
	// twice; and it dials a refused address 5 times, 100ms apart, before
	// giving up. The caller's circuit breaker decides about trying again.
	opts.MaxRetries = -1
	opts.DialerRetries = 1
	opts.ContextTimeoutEnabled = true
	return &Cache{client: goredis.NewClient(opts)}, nil
}

func (c *Cache) Get(ctx context.Context, keys ...string) ([][]byte, error) {
	vals, err := c.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, unavailable("MGET", err)
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i] = []byte(s)
		}
	}
	return out, nil
}

func (c *Cache) Set(ctx context.Context, entries ...core.CacheEntry) error {
	if len(entries) == 0 {
		return nil
	}
	_, err := c.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, e := range entries {
			p.Set(ctx, e.Key, e.Value, e.TTL)
		}
		return nil
	})
	if err != nil {
		return unavailable("SET", err)
	}
	return nil
}

// setMaxScript is one atomic command: no read-then-write race between
// publishers.
var setMaxScript = goredis.NewScript(core.SetMaxScript)

func (c *Cache) SetMax(ctx context.Context, key string, n int64) error {
	if err := setMaxScript.Run(ctx, c.client, []string{key}, n).Err(); err != nil {
		return unavailable("EVALSHA", err)
	}
	return nil
}

// incrScript counts and sets the expiry of a new key in one atomic step.
var incrScript = goredis.NewScript(`
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) > 0 and n == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`)

func (c *Cache) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	n, err := incrScript.Run(ctx, c.client, []string{key}, delta, ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, unavailable("EVALSHA", err)
	}
	return n, nil
}

func (c *Cache) Exec(ctx context.Context, cmds ...[]any) ([]any, error) {
	if len(cmds) == 0 {
		return nil, nil
	}
	results := make([]*goredis.Cmd, len(cmds))
	_, err := c.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, cmd := range cmds {
			results[i] = p.Do(ctx, cmd...)
		}
		return nil
	})
	out := make([]any, len(cmds))
	for i, r := range results {
		v, err := r.Result()
		if err != nil && !errors.Is(err, goredis.Nil) {
			var replyErr goredis.Error
			if errors.As(err, &replyErr) {
				return nil, &core.Error{Code: core.EINVALID, Message: fmt.Sprintf("redis %v: %v", cmds[i][0], err)}
			}
			return nil, unavailable(fmt.Sprint(cmds[i][0]), err)
		}
		out[i] = normalize(v)
	}
	if err != nil && !errors.Is(err, goredis.Nil) {
		var replyErr goredis.Error
		if !errors.As(err, &replyErr) {
			return nil, unavailable("pipeline", err)
		}
	}
	return out, nil
}

// normalize turns RESP3 replies into the shapes Exec promises.
func normalize(v any) any {
	switch t := v.(type) {
	case []any:
		for i := range t {
			t[i] = normalize(t[i])
		}
		return t
	case map[any]any:
		flat := make([]any, 0, 2*len(t))
		for k, val := range t {
			flat = append(flat, normalize(k), normalize(val))
		}
		return flat
	case []byte:
		return string(t)
	}
	return v
}

func (c *Cache) Ping(ctx context.Context) error {
	if err := c.client.Ping(ctx).Err(); err != nil {
		return unavailable("PING", err)
	}
	return nil
}

func (c *Cache) Close() error { return c.client.Close() }

func unavailable(command string, err error) error {
	if errors.Is(err, goredis.Nil) {
		return nil
	}
	return &core.Error{Code: core.EUNAVAILABLE, Message: "redis " + command + " failed", Err: err}
}
