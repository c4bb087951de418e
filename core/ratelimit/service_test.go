package ratelimit_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/ratelimit"
)

// staticRules is a rule store that holds one fixed list and counts reads:
// the rule stores themselves are tested on SQLite and Turso (storetest).
type staticRules struct {
	rules []ratelimit.Rule
	reads atomic.Int64
}

func (s *staticRules) RateLimitRules(context.Context, string) ([]ratelimit.Rule, error) {
	s.reads.Add(1)
	return s.rules, nil
}
func (s *staticRules) SaveRateLimitRule(context.Context, string, *ratelimit.Rule) (int64, error) {
	return 0, core.Errorf(core.EINVALID, "read-only")
}
func (s *staticRules) DeleteRateLimitRule(context.Context, string, string) (int64, error) {
	return 0, core.Errorf(core.EINVALID, "read-only")
}
func (s *staticRules) ReplaceRateLimitRules(context.Context, string, []ratelimit.Rule) (int64, error) {
	return 0, core.Errorf(core.EINVALID, "read-only")
}

func elsewhere(n int) []ratelimit.Rule {
	var rules []ratelimit.Rule
	for i := range n {
		rules = append(rules, ratelimit.Rule{ID: fmt.Sprintf("r%d", i), PathPattern: fmt.Sprintf("/section-%d/*", i), Limit: 5, WindowSeconds: 60, Key: "ip"})
	}
	return rules
}

// TestRulesLoadOncePerGeneration: requests in one generation read the
// store once; a new generation reads it once more.
func TestRulesLoadOncePerGeneration(t *testing.T) {
	store := &staticRules{rules: elsewhere(3)}
	var gen atomic.Int64
	svc := ratelimit.New(ratelimit.Options{Store: store, Generation: func(context.Context) int64 { return gen.Load() }})
	req := httptest.NewRequest("GET", "/section-1/x", nil)
	for range 100 {
		if o := svc.Check(req); o.Rule == nil || o.Rule.ID != "r1" || o.Failed {
			t.Fatalf("outcome %+v", o)
		}
	}
	gen.Add(1)
	for range 100 {
		svc.Check(req)
	}
	if n := store.reads.Load(); n != 2 {
		t.Fatalf("%d store reads for two generations", n)
	}
}

func TestCheckWithoutAMatchingRuleAllocatesNothing(t *testing.T) {
	for _, n := range []int{0, 10} {
		svc := ratelimit.New(ratelimit.Options{Store: &staticRules{rules: elsewhere(n)}})
		req := httptest.NewRequest("GET", "/pricing", nil)
		svc.Check(req) // loads the rules
		if allocs := testing.AllocsPerRun(100, func() { svc.Check(req) }); allocs != 0 {
			t.Errorf("%d rules elsewhere: %v allocations per request", n, allocs)
		}
	}
}

// BenchmarkCheck is the limiter's cost per request on the hot path: no
// rules, rules for other paths only, and a rule counted in process.
func BenchmarkCheck(b *testing.B) {
	for _, bc := range []struct {
		name  string
		rules []ratelimit.Rule
	}{
		{"no-rules", nil},
		{"10-rules-elsewhere", elsewhere(10)},
		{"limited-in-process", append(elsewhere(10), ratelimit.Rule{ID: "p", PathPattern: "/pricing", Limit: 1_000_000, WindowSeconds: 1, Key: "ip"})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			svc := ratelimit.New(ratelimit.Options{Store: &staticRules{rules: bc.rules}})
			req := httptest.NewRequest("GET", "/pricing", nil)
			b.ReportAllocs()
			for b.Loop() {
				svc.Check(req)
			}
		})
	}
}
