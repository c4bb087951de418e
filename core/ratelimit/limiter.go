package ratelimit

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/frontbase/edge/core"
)

// The counting is GCRA (the generic cell rate algorithm): a key's only
// state is its theoretical arrival time (TAT). Each request moves it by
// the emission interval T = ceil(window/limit); a request is allowed while
// TAT - now stays within limit*T (≈ the window). So a fresh key lets exactly
// `limit` requests through at once, then one more every T, and after a
// whole idle window its full budget is back: a sliding window with O(1)
// state. Times are in microseconds.
//
// In Redis the instance sends its clock and the script keeps, beside the
// TAT, the latest time any request brought to that key, and counts with
// the later of the two. Requests that reach Redis out of order (their
// clocks were read a moment apart) are therefore counted as if they came
// in arrival order, and the script stays deterministic in its arguments
// (no TIME call, as Upstash asks of scripts). An instance whose clock runs
// ahead hands out budget early by that much skew at most.

// Decision is what counting answered for one request.
type Decision struct {
	Allowed    bool
	Limit      int64
	Remaining  int64         // requests left right now
	Reset      time.Duration // until the whole budget is back
	RetryAfter time.Duration // until the next request would pass (denied only)
}

// Limiter counts one request against key's budget. now is the zero time
// in production: the limiter reads the clock at the last moment (under its
// lock in process). Tests pass a clock of their own.
type Limiter interface {
	Take(ctx context.Context, key string, limit int64, window time.Duration, now time.Time) (Decision, error)
}

// gcra turns the state a counter returned into a Decision. used is TAT -
// now after the request (allowed) or before it (denied). Reset is capped at
// the window: limit*T may exceed it by rounding (< limit µs).
func gcra(allowed bool, used, t, limit int64, window time.Duration) Decision {
	burst := limit * t
	d := Decision{Allowed: allowed, Limit: limit, Reset: min(time.Duration(max(used, 0))*time.Microsecond, window)}
	if allowed {
		d.Remaining = min(max((burst-used)/t, 0), limit)
		return d
	}
	d.RetryAfter = time.Duration(max(used+t-burst, 1)) * time.Microsecond
	return d
}

func interval(limit int64, window time.Duration) int64 {
	w := window.Microseconds()
	return max((w+limit-1)/limit, 1)
}

// gcraScript is the whole check-and-count, atomic in Redis: KEYS[1] the
// key, holding "TAT LATEST-NOW"; ARGV now, T and limit*T (µs). It returns
// {1 allowed | 0 denied, TAT - now}. Numbers stay below 2^53, exact in
// Lua's doubles, and are written with %.0f so none turns into 1e+15.
const gcraScript = `local now = tonumber(ARGV[1])
local t = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat, last = 0, 0
local v = redis.call('GET', KEYS[1])
if v then
  local a, b = string.match(v, '^(%d+) (%d+)$')
  tat, last = tonumber(a) or 0, tonumber(b) or 0
end
if now < last then now = last end
if tat < now then tat = now end
local new = tat + t
if new - now > burst then return {0, tat - now} end
redis.call('SET', KEYS[1], string.format('%.0f %.0f', new, now), 'PX', math.floor((new - now) / 1000) + 1000)
return {1, new - now}`

var gcraSHA = func() string {
	sum := sha1.Sum([]byte(gcraScript))
	return hex.EncodeToString(sum[:])
}()

// RedisLimiter counts in the shared cache with one script call per
// request: EVALSHA, and EVAL once when the server does not know the script
// yet (a restart or a flush forgets it).
type RedisLimiter struct {
	Cache core.Cache
}

func (l *RedisLimiter) Take(ctx context.Context, key string, limit int64, window time.Duration, now time.Time) (Decision, error) {
	t := interval(limit, window)
	if now.IsZero() {
		now = time.Now()
	}
	args := []any{"EVALSHA", gcraSHA, 1, key, now.UnixMicro(), t, limit * t}
	res, err := l.Cache.Exec(ctx, args)
	if err != nil && core.ErrorCode(err) == core.EINVALID && strings.Contains(err.Error(), "NOSCRIPT") {
		args[0], args[1] = "EVAL", gcraScript
		res, err = l.Cache.Exec(ctx, args)
	}
	if err != nil {
		return Decision{}, err
	}
	if len(res) == 1 {
		if pair, ok := res[0].([]any); ok && len(pair) == 2 {
			a, aok := pair[0].(int64)
			used, uok := pair[1].(int64)
			if aok && uok {
				return gcra(a == 1, used, t, limit, window), nil
			}
		}
	}
	return Decision{}, &core.Error{Code: core.EUNAVAILABLE, Message: "rate limit: the cache answered the script with an unexpected value"}
}

// MemoryLimiter is the same algorithm in this process, for engines with no
// shared cache: each instance counts on its own, so N instances let up to
// N times the limit through.
type MemoryLimiter struct {
	mu   sync.Mutex
	tats map[string]int64 // key -> TAT (µs)
	// MaxKeys bounds memory (default 100,000): past it, expired keys are
	// dropped, and if none are, new keys are let through uncounted.
	MaxKeys int
}

// NewMemoryLimiter returns an empty in-process limiter.
func NewMemoryLimiter() *MemoryLimiter { return &MemoryLimiter{tats: map[string]int64{}} }

var errFull = errors.New("rate limit: the in-process limiter is full")

func (l *MemoryLimiter) Take(_ context.Context, key string, limit int64, window time.Duration, now time.Time) (Decision, error) {
	t := interval(limit, window)
	maxKeys := l.MaxKeys
	if maxKeys <= 0 {
		maxKeys = 100_000
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.IsZero() {
		now = time.Now()
	}
	n := now.UnixMicro()
	tat, known := l.tats[key]
	if !known && len(l.tats) >= maxKeys {
		l.sweep(n)
		if len(l.tats) >= maxKeys {
			return Decision{}, &core.Error{Code: core.EUNAVAILABLE, Message: "rate limit unavailable", Err: errFull}
		}
	}
	tat = max(tat, n)
	next := tat + t
	if next-n > limit*t {
		return gcra(false, tat-n, t, limit, window), nil
	}
	l.tats[key] = next
	return gcra(true, next-n, t, limit, window), nil
}

// sweep drops the keys whose budget is whole again (TAT in the past).
func (l *MemoryLimiter) sweep(now int64) {
	for k, tat := range l.tats {
		if tat <= now {
			delete(l.tats, k)
		}
	}
}

// Keys is the number of keys held (tests).
func (l *MemoryLimiter) Keys() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.tats)
}
