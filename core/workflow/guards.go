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

// Guard error names, as the TypeScript engine answers them (the "error"
// field of its 429 bodies).
const (
	GuardRateLimited = "RateLimited"
	GuardCoolDown    = "CoolDown"
	GuardDebounced   = "Debounced"
	GuardConcurrency = "ConcurrencyLimitExceeded"
)

// GuardError is a run refused by one of the workflow's guards. It is a
// core ETOOMANY error (429) whose Name the API answers as the peer does.
type GuardError struct {
	Name       string        // GuardRateLimited, ...
	RetryAfter time.Duration // when trying again may succeed (0: unknown)
	err        *core.Error
}

func (e *GuardError) Error() string { return e.err.Error() }
func (e *GuardError) Unwrap() error { return e.err }

// Message is the caller-safe text.
func (e *GuardError) Message() string { return e.err.Message }

func guardError(name string, retry time.Duration, format string, args ...any) *GuardError {
	return &GuardError{Name: name, RetryAfter: retry, err: core.Errorf(core.ETOOMANY, format, args...)}
}

// Admission is what the guards said about a run that was let through.
// TrackAdmission puts one in a context; runs through that context fill it.
type Admission struct {
	// RateLimitRemaining is the runs left this minute (-1: no rate limit
	// applied), for X-RateLimit-Remaining.
	RateLimitRemaining int64
}

type admissionKey struct{}

// TrackAdmission returns a context whose runs record their admission in
// the returned Admission.
func TrackAdmission(ctx context.Context) (context.Context, *Admission) {
	a := &Admission{RateLimitRemaining: -1}
	return context.WithValue(ctx, admissionKey{}, a), a
}

// guards are the settings that limit how often a workflow runs (checked in
// this order, as the TypeScript engine checks them):
//
//	cooldown    no run starts while one runs, nor within cooldown_ms after
//	            a successful one ended
//	debounce    triggers after the first within debounce_ms are refused
//	rate limit  at most rate_limit_max runs per calendar minute
//	concurrency at most concurrency_limit runs at the same time
type guards struct {
	perMinute  int64 // 0: no rate limit
	cooldown   time.Duration
	debounce   time.Duration
	concurrent int64
	timeout    time.Duration
	public     bool // ui_event runs count in their own rate-limit window
}

// guardsOf reads g's guards for a run of kind. The rate limit applies
// unless rate_limit_enabled is false; page visitors' runs (ui_event) and
// scheduled or data-change ticks are always limited, as in the peer.
func guardsOf(g *Graph, kind string, timeout time.Duration) guards {
	o := g.Opts
	gd := guards{cooldown: o.Cooldown, debounce: o.Debounce, concurrent: o.Concurrency, timeout: timeout, public: kind == "ui_event"}
	switch {
	case o.RateLimitEnabled, kind == "ui_event", kind == "scheduled", kind == "data_change":
		gd.perMinute = o.RateLimitMax
		if gd.perMinute <= 0 {
			gd.perMinute = DefaultRateLimitMax
		}
	}
	return gd
}

// admit checks the guards and returns what to call when the run is over
// (it frees the concurrency slot and starts the cool-down).
func (s *Service) admit(ctx context.Context, id string, g guards) (done func(ok bool), err error) {
	var undo []func(ok bool)
	done = func(ok bool) {
		for _, f := range undo {
			f(ok)
		}
	}
	refuse := func(e error) (func(bool), error) {
		done(false)
		return func(bool) {}, e
	}
	c := s.counter()
	prefix := "fb:wf:" + id + ":"
	now := s.now()
	if g.cooldown > 0 {
		// Held while the run runs (at most its timeout), then set to the
		// cool-down after a success, or dropped after a failure.
		key := prefix + "cd"
		n, err := s.incr(ctx, c, key, 1, g.timeout+time.Second)
		if err != nil {
			return refuse(err)
		}
		if n > 1 {
			return refuse(guardError(GuardCoolDown, g.cooldown, "workflow %s is cooling down (%s after a run); try again later", id, g.cooldown))
		}
		undo = append(undo, func(ok bool) {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			if ok {
				s.setKey(rctx, key, g.cooldown)
			} else {
				s.deleteKey(rctx, key)
			}
		})
	}
	if g.debounce > 0 {
		n, err := s.incr(ctx, c, prefix+"db", 1, g.debounce)
		if err != nil {
			return refuse(err)
		}
		if n > 1 {
			return refuse(guardError(GuardDebounced, g.debounce, "workflow %s was triggered too recently (%s debounce window)", id, g.debounce))
		}
	}
	if g.perMinute > 0 {
		window := "rl:"
		if g.public {
			window = "prl:"
		}
		minute := now.Unix() / 60
		n, err := s.incr(ctx, c, prefix+window+strconv.FormatInt(minute, 10), 1, 61*time.Second)
		if err != nil {
			return refuse(err)
		}
		if n > g.perMinute {
			retry := time.Unix((minute+1)*60, 0).Sub(now)
			return refuse(guardError(GuardRateLimited, retry, "workflow %s rate limit exceeded (%d/min); retry after %s", id, g.perMinute, retry.Round(time.Second)))
		}
		if a, ok := ctx.Value(admissionKey{}).(*Admission); ok {
			a.RateLimitRemaining = g.perMinute - n
		}
	}
	if g.concurrent > 0 {
		key := prefix + "cc"
		// The key outlives any execution, so a crashed instance's slot frees itself.
		n, err := s.incr(ctx, c, key, 1, 2*g.timeout+10*time.Second)
		if err != nil {
			return refuse(err)
		}
		release := func(bool) {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			s.incr(rctx, c, key, -1, 0)
		}
		if n > g.concurrent {
			release(false)
			return refuse(guardError(GuardConcurrency, 0, "workflow %s has reached its concurrency limit (%d runs at once); try again later", id, g.concurrent))
		}
		undo = append(undo, release)
	}
	return done, nil
}

// setKey makes key hold a count of 1 for ttl; deleteKey drops it. Both are
// best effort: guards fall back to this process when the cache fails.
func (s *Service) setKey(ctx context.Context, key string, ttl time.Duration) {
	if s.cache != nil {
		if err := s.cache.Set(ctx, core.CacheEntry{Key: key, Value: []byte("1"), TTL: ttl}); err == nil {
			return
		}
	}
	s.mem.set(key, 1, ttl)
}

func (s *Service) deleteKey(ctx context.Context, key string) {
	if s.cache != nil {
		if _, err := s.cache.Exec(ctx, []any{"DEL", key}); err == nil {
			return
		}
	}
	s.mem.set(key, 0, time.Nanosecond)
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

func (m *memCounter) set(key string, n int64, ttl time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[key] = &memCount{n: n, expires: time.Now().Add(ttl)}
}
