package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/clientip"
)

// Store keeps the rules: sqlstore implements it on SQLite and Turso. Every
// write is one batch that also bumps the publish generation.
type Store interface {
	RateLimitRules(ctx context.Context, tenant string) ([]Rule, error)
	// SaveRateLimitRule inserts or replaces the rule with r's id.
	SaveRateLimitRule(ctx context.Context, tenant string, r *Rule) (generation int64, err error)
	// DeleteRateLimitRule removes a rule; ENOTFOUND when there is none.
	DeleteRateLimitRule(ctx context.Context, tenant, id string) (generation int64, err error)
	// ReplaceRateLimitRules makes rules the whole set (publishing).
	ReplaceRateLimitRules(ctx context.Context, tenant string, rules []Rule) (generation int64, err error)
}

// DefaultTimeout bounds one count in the shared cache: a slow Redis costs a
// limited request this much at most, then the rule's failure policy applies.
const DefaultTimeout = 50 * time.Millisecond

// Options configure a Service.
type Options struct {
	Store  Store
	Tenant string
	// Limiter counts; nil counts in this process (NewMemoryLimiter).
	Limiter Limiter
	// Generation is the publish generation the instance serves (cheap: the
	// site service re-reads it at most once per L1 TTL); rules are reloaded
	// when it moves. Published tells the site service about a write.
	Generation func(ctx context.Context) int64
	Published  func(ctx context.Context, generation int64)
	// TrustedProxies may set X-Forwarded-For (see clientip.Of).
	TrustedProxies []netip.Prefix
	Timeout        time.Duration // per count; default DefaultTimeout
	// Now, when set, is the clock counts use (tests); by default the
	// limiter reads its own (Redis's TIME, or this process's).
	Now    func() time.Time
	Logger *slog.Logger
}

// Service loads the rules once per generation and applies them.
type Service struct {
	opts    Options
	snap    atomic.Pointer[snapshot]
	loading sync.Mutex
	retryAt atomic.Int64 // unix nanos before which a failed load is not retried
	// downUntil short-circuits counting for a moment after the limiter
	// failed, so an outage costs each request nothing, not its timeout.
	downUntil atomic.Int64
}

type snapshot struct {
	gen   int64
	rules []compiled
}

// New returns a Service.
func New(opts Options) *Service {
	if opts.Limiter == nil {
		opts.Limiter = NewMemoryLimiter()
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Tenant == "" {
		opts.Tenant = core.DefaultTenant
	}
	if opts.Generation == nil {
		opts.Generation = func(context.Context) int64 { return 0 }
	}
	if opts.Published == nil {
		opts.Published = func(context.Context, int64) {}
	}
	return &Service{opts: opts}
}

// rules returns the compiled rules of the current generation. Only the
// first request of a generation loads them; concurrent requests keep using
// the previous set meanwhile (none wait, except before the very first load).
func (s *Service) rules(ctx context.Context) []compiled {
	gen := s.opts.Generation(ctx)
	sn := s.snap.Load()
	if sn != nil && sn.gen == gen {
		return sn.rules
	}
	if sn == nil {
		s.loading.Lock()
	} else if !s.loading.TryLock() {
		return sn.rules
	}
	defer s.loading.Unlock()
	if cur := s.snap.Load(); cur != nil && (cur.gen == gen || time.Now().UnixNano() < s.retryAt.Load()) {
		return cur.rules
	}
	lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	list, err := s.opts.Store.RateLimitRules(lctx, s.opts.Tenant)
	if err != nil {
		// Keep the last rules (none before the first load) and try again in
		// a few seconds, not on every request.
		s.retryAt.Store(time.Now().Add(5 * time.Second).UnixNano())
		s.opts.Logger.WarnContext(ctx, "rate limit: cannot load the rules; keeping the last ones", "err", err)
		if sn == nil {
			sn = &snapshot{gen: gen - 1}
			s.snap.Store(sn)
		}
		return sn.rules
	}
	next := &snapshot{gen: gen, rules: compile(list)}
	s.snap.Store(next)
	return next.rules
}

// Outcome is what Check decided for a request.
type Outcome struct {
	Rule *Rule // the rule that applies; nil when none does
	Decision
	// Failed: the limiter could not answer; the rule's FailClosed decides.
	Failed bool
}

// Check applies the rules to a request. A request no rule matches costs no
// call to the limiter and no allocation.
func (s *Service) Check(r *http.Request) Outcome {
	rules := s.rules(r.Context())
	if len(rules) == 0 {
		return Outcome{}
	}
	c := match(rules, r.Method, r.URL.Path)
	if c == nil {
		return Outcome{}
	}
	out := Outcome{Rule: &c.Rule}
	var now time.Time
	if s.opts.Now != nil {
		now = s.opts.Now()
	}
	if time.Now().UnixNano() < s.downUntil.Load() {
		out.Failed = true
		return out
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	d, err := s.opts.Limiter.Take(ctx, s.key(c, r), c.Limit, time.Duration(c.WindowSeconds)*time.Second, now)
	if err != nil {
		if s.downUntil.Swap(time.Now().Add(time.Second).UnixNano()) < time.Now().UnixNano() {
			s.opts.Logger.WarnContext(r.Context(), "rate limit: cannot count; rules apply their failure policy for a second",
				"rule", c.ID, "failClosed", c.FailClosed, "err", err)
		}
		out.Failed = true
		return out
	}
	out.Decision = d
	return out
}

// key is the limiter key of a request under rule c: the rule's id and a
// hash of whose budget it is (no raw address or header value is stored).
func (s *Service) key(c *compiled, r *http.Request) string {
	var who string
	switch {
	case c.Key == KeyIP:
		who = clientip.Of(r, s.opts.TrustedProxies)
	case c.Key == KeyPath:
		who = r.URL.Path
	case c.Key == KeyWorkflow:
		if who = WorkflowID(r.URL.Path); who == "" {
			who = r.URL.Path
		}
	case c.header != "":
		who = r.Header.Get(c.header)
	}
	sum := sha256.Sum256([]byte(c.Key + "\x00" + who))
	return "fb:rl:" + c.ID + ":" + hex.EncodeToString(sum[:12])
}

// Rules returns the stored rules (management: read from the store, not
// the instance's copy).
func (s *Service) Rules(ctx context.Context) ([]Rule, error) {
	list, err := s.opts.Store.RateLimitRules(ctx, s.opts.Tenant)
	if list == nil && err == nil {
		list = []Rule{}
	}
	return list, err
}

// Save inserts or replaces a validated rule.
func (s *Service) Save(ctx context.Context, r *Rule) error {
	gen, err := s.opts.Store.SaveRateLimitRule(ctx, s.opts.Tenant, r)
	if err != nil {
		return err
	}
	s.opts.Published(ctx, gen)
	return nil
}

// Delete removes a rule; ENOTFOUND when there is none.
func (s *Service) Delete(ctx context.Context, id string) error {
	gen, err := s.opts.Store.DeleteRateLimitRule(ctx, s.opts.Tenant, id)
	if err != nil {
		return err
	}
	s.opts.Published(ctx, gen)
	return nil
}

// Replace makes rules the whole rule set.
func (s *Service) Replace(ctx context.Context, rules []Rule) error {
	gen, err := s.opts.Store.ReplaceRateLimitRules(ctx, s.opts.Tenant, rules)
	if err != nil {
		return err
	}
	s.opts.Published(ctx, gen)
	return nil
}
