package site

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/cache"
)

// l2 is the shared cache tier (Redis or Upstash) behind a circuit breaker:
// after a few failures in a row it stops asking for a while, so a dead
// Redis costs a page request nothing, then lets one probe through to see
// whether it is back. Every error is a miss: the cache is disposable.
//
// Before the breaker opens, a request still never waits long for a dead
// or hung cache: it waits for a call at most a few times the cache's usual
// latency (wait), then goes on without it, while the call runs on to its
// own timeout in the background and feeds the breaker.
type l2 struct {
	cache   core.Cache
	breaker *gobreaker.CircuitBreaker[[][]byte]
	ttl     time.Duration
	timeout time.Duration
	log     *slog.Logger
	minWait time.Duration
	latency atomic.Int64 // smoothed duration of successful calls, nanoseconds
	hung    atomic.Int32 // calls running past the wait of the request that made them
}

// Circuit breaker and timing of the shared cache.
const (
	l2Timeout       = 250 * time.Millisecond // per cache call
	l2MinWait       = 25 * time.Millisecond  // default of the least a request waits for a call
	l2WaitFactor    = 4                      // times the usual latency a request waits
	l2TripAfter     = 3                      // consecutive failures that open the breaker
	l2OpenFor       = 5 * time.Second        // before one probe is let through
	defaultL2TTL    = 24 * time.Hour         // of a generation's entries
	lastGoodTTL     = 7 * 24 * time.Hour     // of the copies kept for stale-if-error
	generationKey   = "fb:v1:generation"
	dbCheckEveryNth = 5 // generation windows; see currentGeneration
)

// errL2Slow is a call the request stopped waiting for.
var errL2Slow = errors.New("shared cache did not answer in time; going on without it")

func newL2(cache core.Cache, ttl, minWait time.Duration, log *slog.Logger) *l2 {
	if cache == nil {
		return nil
	}
	if ttl <= 0 {
		ttl = defaultL2TTL
	}
	if minWait <= 0 {
		minWait = l2MinWait
	}
	return &l2{
		cache: cache,
		ttl:   ttl, timeout: l2Timeout, minWait: minWait, log: log,
		breaker: gobreaker.NewCircuitBreaker[[][]byte](gobreaker.Settings{
			Name:        "l2",
			MaxRequests: 1,
			Timeout:     l2OpenFor,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= l2TripAfter },
			OnStateChange: func(_ string, from, to gobreaker.State) {
				log.Warn("shared cache circuit breaker changed state", "from", from.String(), "to", to.String())
			},
		}),
	}
}

// wait is how long a request waits for one call: l2WaitFactor times the
// smoothed latency of successful calls, at least minWait, at most the
// call's timeout.
func (c *l2) wait() time.Duration {
	return min(max(l2WaitFactor*time.Duration(c.latency.Load()), c.minWait), c.timeout)
}

// observe folds a successful call's duration into the smoothed latency
// (an exponential average weighting the new sample 1/8).
func (c *l2) observe(d time.Duration) {
	for {
		old := c.latency.Load()
		n := int64(d)
		if old != 0 {
			n = old + (int64(d)-old)/8
		}
		if c.latency.CompareAndSwap(old, n) {
			return
		}
	}
}

// call runs one cache operation of a request under the breaker and a
// timeout, waiting for it at most wait(): past that it returns errL2Slow
// and the operation finishes in the background. While such an operation
// is still running, the cache is taken to be hung: calls return errL2Slow
// at once, so a request pays for a hung cache once, not once per call,
// and only the first requests pay before the breaker opens.
func (c *l2) call(ctx context.Context, op func(context.Context) ([][]byte, error)) ([][]byte, error) {
	if c.breaker.State() == gobreaker.StateOpen {
		return nil, gobreaker.ErrOpenState
	}
	if c.hung.Load() > 0 {
		return nil, errL2Slow
	}
	type result struct {
		vals [][]byte
		err  error
	}
	const running, finished, abandoned = 0, 1, 2
	var state atomic.Int32
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		vals, err := c.callFor(ctx, c.timeout, op)
		if err == nil {
			c.observe(time.Since(start))
		}
		done <- result{vals, err}
		if !state.CompareAndSwap(running, finished) { // the request went on without it
			c.hung.Add(-1)
		}
	}()
	timer := time.NewTimer(c.wait())
	defer timer.Stop()
	select {
	case r := <-done:
		return r.vals, r.err
	case <-timer.C:
		if state.CompareAndSwap(running, abandoned) {
			c.hung.Add(1)
			return nil, errL2Slow
		}
		r := <-done
		return r.vals, r.err
	}
}

func (c *l2) get(ctx context.Context, keys ...string) [][]byte {
	vals, err := c.call(ctx, func(ctx context.Context) ([][]byte, error) { return c.cache.Get(ctx, keys...) })
	if err != nil {
		if worthLogging(err) {
			c.log.WarnContext(ctx, "shared cache read failed; going to the state store", "err", err)
		}
		return make([][]byte, len(keys))
	}
	return vals
}

func (c *l2) set(ctx context.Context, entries ...core.CacheEntry) {
	_, err := c.call(ctx, func(ctx context.Context) ([][]byte, error) { return nil, c.cache.Set(ctx, entries...) })
	if err != nil && worthLogging(err) {
		c.log.WarnContext(ctx, "shared cache write failed", "err", err)
	}
}

// worthLogging reports whether err is worth a log line: not the breaker turning
// a call away, nor a call the request stopped waiting for (the breaker
// reports a dead cache once, when it opens).
func worthLogging(err error) bool {
	return !errors.Is(err, gobreaker.ErrOpenState) && !errors.Is(err, gobreaker.ErrTooManyRequests) && !errors.Is(err, errL2Slow)
}

// generation reads the announced generation; ok is false when the cache
// cannot say (down, open breaker, or the key was flushed).
func (c *l2) generation(ctx context.Context) (int64, bool) {
	vals := c.get(ctx, generationKey)
	if vals[0] == nil {
		return 0, false
	}
	g, err := strconv.ParseInt(string(vals[0]), 10, 64)
	return g, err == nil
}

// repair announces gen on a request's path (see currentGeneration),
// waiting no longer than any other call of a request.
func (c *l2) repair(ctx context.Context, gen int64) {
	c.call(ctx, func(ctx context.Context) ([][]byte, error) { return nil, c.cache.SetMax(ctx, generationKey, gen) })
}

// announce tells every instance about a new generation, after a publish:
// it waits for the call's full timeout.
func (c *l2) announce(ctx context.Context, gen int64) error {
	_, err := c.callFor(ctx, c.timeout, func(ctx context.Context) ([][]byte, error) { return nil, c.cache.SetMax(ctx, generationKey, gen) })
	return err
}

func (c *l2) state() string { return c.breaker.State().String() }

// The L2 keys of a response: this generation's copy, and the last good
// copy of any generation, kept longer for stale-if-error.
func l2Keys(key, tenant, baseURL, path string) (current, lastGood string) {
	return "fb:v1:r:" + key, "fb:v1:last:" + tenant + "|" + baseURL + "|" + path
}

// A Response is stored in the shared cache as text, because Upstash's REST
// API carries values inside JSON strings: a header of short lines, then
// the HTML and the base64 of its gzip copy, their lengths given in the
// header. Reading it back is a few slices, not a JSON decode (which was
// most of the cost of an L2 hit when this was JSON).
const storedMagic = "fbr1\n"

func encodeResponse(r *Response) []byte {
	gz := base64.StdEncoding.EncodeToString(r.Gzip)
	var b strings.Builder
	b.Grow(len(r.Body) + len(gz) + 256)
	b.WriteString(storedMagic)
	for _, field := range []string{strconv.Itoa(r.Status), r.ContentType, r.CacheControl, r.Location, r.ETag, r.GzipETag,
		strconv.Itoa(len(r.Body)), strconv.Itoa(len(gz))} {
		b.WriteString(field)
		b.WriteByte('\n')
	}
	b.Write(r.Body)
	b.WriteString(gz)
	return []byte(b.String())
}

func decodeResponse(data []byte, source cache.Tier) (*Response, bool) {
	rest, ok := bytes.CutPrefix(data, []byte(storedMagic))
	if !ok {
		return nil, false
	}
	var fields [8]string
	for i := range fields {
		line, after, found := bytes.Cut(rest, []byte{'\n'})
		if !found {
			return nil, false
		}
		fields[i], rest = string(line), after
	}
	status, err1 := strconv.Atoi(fields[0])
	bodyLen, err2 := strconv.Atoi(fields[6])
	gzLen, err3 := strconv.Atoi(fields[7])
	if err1 != nil || err2 != nil || err3 != nil || status == 0 || bodyLen < 0 || gzLen < 0 || bodyLen+gzLen != len(rest) {
		return nil, false
	}
	gz, err := base64.StdEncoding.DecodeString(string(rest[bodyLen:]))
	if err != nil {
		return nil, false
	}
	if len(gz) == 0 {
		gz = nil
	}
	r := &Response{Status: status, ContentType: fields[1], CacheControl: fields[2], Location: fields[3],
		ETag: fields[4], GzipETag: fields[5], Body: rest[:bodyLen:bodyLen], Gzip: gz, Source: source}
	r.buildHeaders()
	return r, true
}

// loadThroughTiers fills an L1 miss: this generation's copy from L2 if
// there is one, else render from the state store and write L2 in one
// pipelined call, else (the store is down, or the render panicked) the
// last good copy from L2, else the newest copy this process holds of the
// path (stale.go).
func (s *Service) loadThroughTiers(ctx context.Context, key, baseURL, path string) (*Response, error) {
	newestKey := s.tenant + "|" + baseURL + "|" + path
	if s.l2 == nil {
		resp, err := s.loadFromStore(ctx, baseURL, path)
		if err != nil {
			return s.stale(ctx, "", newestKey, path, err)
		}
		resp.Source = cache.TierL3
		s.newest.put(newestKey, resp)
		return resp, nil
	}
	s.noteBase(ctx, baseURL)
	currentKey, lastKey := l2Keys(key, s.tenant, baseURL, path)
	if resp, ok := decodeResponse(s.l2.get(ctx, currentKey)[0], cache.TierL2Hit); ok {
		s.newest.put(newestKey, resp)
		return resp, nil
	}
	resp, err := s.loadFromStore(ctx, baseURL, path)
	if err != nil {
		return s.stale(ctx, lastKey, newestKey, path, err)
	}
	resp.Source = cache.TierL3
	s.newest.put(newestKey, resp)
	if resp.vary != nil {
		return resp, nil // made for one request: never shared (request.go)
	}
	encoded := encodeResponse(resp)
	s.l2.set(ctx,
		core.CacheEntry{Key: currentKey, Value: encoded, TTL: s.l2.ttl},
		core.CacheEntry{Key: lastKey, Value: encoded, TTL: lastGoodTTL})
	return resp, nil
}

// stale answers a load that failed with err. When the failure is the
// store's (or the renderer's, see stale.go), it serves the last good copy
// in L2 under lastKey (read only now; "" without L2), else the newest copy
// this process holds; else it returns err.
func (s *Service) stale(ctx context.Context, lastKey, newestKey, path string, err error) (*Response, error) {
	if core.ErrorCode(err) != core.EUNAVAILABLE {
		return nil, err
	}
	if lastKey != "" {
		if resp, ok := decodeResponse(s.l2.get(ctx, lastKey)[0], cache.TierStale); ok {
			s.log.WarnContext(ctx, "page cannot be loaded; serving the shared cache's last good copy", "path", path, "err", err)
			return resp, nil
		}
	}
	if resp, ok := s.newest.get(newestKey); ok {
		s.log.WarnContext(ctx, "page cannot be loaded; serving the newest copy this instance holds", "path", path, "err", err)
		return resp, nil
	}
	return nil, err
}

// storeHealth remembers whether the last call to the state store failed
// for want of the store, so that copies served past their freshness while
// it is down can say so.
type storeHealth struct{ down atomic.Bool }

func (h *storeHealth) observe(err error) {
	h.down.Store(core.ErrorCode(err) == core.EUNAVAILABLE)
}

// Dependency is one dependency's state for the health endpoint.
type Dependency struct {
	Status    string  `json:"status"` // ok, down, or none (not configured)
	LatencyMs float64 `json:"latencyMs,omitempty"`
	Error     string  `json:"error,omitempty"`
	Breaker   string  `json:"breaker,omitempty"` // the shared cache's circuit breaker
}

// Dependencies probes the state store and the shared cache once each.
func (s *Service) Dependencies(ctx context.Context) (store, sharedCache Dependency, generation int64) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	start := time.Now()
	generation, err := s.store.Generation(ctx)
	s.health.observe(err)
	store = probed(start, err)
	if s.l2 == nil {
		return store, Dependency{Status: "none"}, generation
	}
	start = time.Now()
	sharedCache = probed(start, s.l2.cache.Ping(ctx))
	sharedCache.Breaker = s.l2.state()
	return store, sharedCache, generation
}

func probed(start time.Time, err error) Dependency {
	d := Dependency{Status: "ok", LatencyMs: float64(time.Since(start).Microseconds()) / 1000}
	if err != nil {
		d.Status, d.Error = "down", core.ErrorMessage(err)
	}
	return d
}
