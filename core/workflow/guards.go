package workflow

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/frontbase/edge/core"
)

// counter is what guards count with: core.Cache's Incr (atomic across
// instances, in Redis) or memCounter (this process).
type counter interface {
	Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error)
}

// guards are a workflow's settings that limit how often it runs:
//
//	rateLimitPerMinute  at most N runs per calendar minute
//	cooldownMs          at most one run per window starting at a run
//	debounceMs          the same on the server (a run waits for nothing: FaaS)
//	concurrencyLimit    at most N runs at the same time
type guards struct {
	perMinute  int64
	cooldown   time.Duration
	concurrent int64
}

func guardsOf(settings map[string]any) guards {
	num := func(names ...string) float64 {
		for _, n := range names {
			if f, ok := number(settings[n]); ok && f > 0 {
				return f
			}
		}
		return 0
	}
	g := guards{perMinute: int64(num("rateLimitPerMinute", "rateLimit")), concurrent: int64(num("concurrencyLimit", "maxConcurrent"))}
	cd := num("cooldownMs")
	if db := num("debounceMs"); db > cd {
		cd = db
	}
	g.cooldown = time.Duration(cd) * time.Millisecond
	return g
}

func (g guards) any() bool { return g.perMinute > 0 || g.cooldown > 0 || g.concurrent > 0 }

// admit checks the guards and returns a release for the concurrency slot.
func (s *Service) admit(ctx context.Context, id string, g guards, timeout time.Duration) (release func(), err error) {
	release = func() {}
	if !g.any() {
		return release, nil
	}
	c := s.counter()
	prefix := "fb:wf:" + id + ":"
	now := s.now()
	if g.perMinute > 0 {
		n, err := s.incr(ctx, c, prefix+"rl:"+strconv.FormatInt(now.Unix()/60, 10), 1, 61*time.Second)
		if err != nil {
			return release, err
		}
		if n > g.perMinute {
			return release, core.Errorf(core.ETOOMANY, "workflow %q is over its rate limit of %d runs a minute", id, g.perMinute)
		}
	}
	if g.cooldown > 0 {
		n, err := s.incr(ctx, c, prefix+"cd", 1, g.cooldown)
		if err != nil {
			return release, err
		}
		if n > 1 {
			return release, core.Errorf(core.ETOOMANY, "workflow %q is cooling down (%s between runs)", id, g.cooldown)
		}
	}
	if g.concurrent > 0 {
		key := prefix + "cc"
		// The key outlives any execution, so a crashed instance's slot frees itself.
		n, err := s.incr(ctx, c, key, 1, 2*timeout+10*time.Second)
		if err != nil {
			return release, err
		}
		release = func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			s.incr(rctx, c, key, -1, 0)
		}
		if n > g.concurrent {
			release()
			return func() {}, core.Errorf(core.ETOOMANY, "workflow %q already has %d runs in progress", id, g.concurrent)
		}
	}
	return release, nil
}

func (s *Service) counter() counter {
	if s.cache != nil {
		return s.cache
	}
	return s.mem
}

// incr counts in the shared cache, falling back to this process's counter
// when the cache cannot answer (it is disposable).
func (s *Service) incr(ctx context.Context, c counter, key string, delta int64, ttl time.Duration) (int64, error) {
	n, err := c.Incr(ctx, key, delta, ttl)
	if err != nil && c != counter(s.mem) {
		s.log.WarnContext(ctx, "workflow guard: shared cache unavailable, counting in this instance", "err", err)
		return s.mem.Incr(ctx, key, delta, ttl)
	}
	if err != nil {
		return 0, fmt.Errorf("workflow guard: %w", err)
	}
	return n, nil
}

// memCounter is counter in this process, with the same expiry rule.
type memCounter struct {
	mu sync.Mutex
	m  map[string]*memCount
}

type memCount struct {
	n       int64
	expires time.Time
}

func newMemCounter() *memCounter { return &memCounter{m: map[string]*memCount{}} }

func (m *memCounter) Incr(_ context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	c := m.m[key]
	if c != nil && !c.expires.IsZero() && now.After(c.expires) {
		c = nil
	}
	if c == nil {
		if len(m.m) > 100_000 {
			for k, old := range m.m {
				if !old.expires.IsZero() && now.After(old.expires) {
					delete(m.m, k)
				}
			}
		}
		c = &memCount{}
		if ttl > 0 {
			c.expires = now.Add(ttl)
		}
		m.m[key] = c
	}
	c.n += delta
	return c.n, nil
}
