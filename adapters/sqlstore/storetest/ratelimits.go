package storetest

import (
	"context"
	"reflect"
	"testing"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/ratelimit"
)

// RateLimits checks the rule store: upsert by id, delete, replace, each
// one write that bumps the generation once, tenants kept apart, and a
// missing rule reported as ENOTFOUND without a bump.
func RateLimits(t *testing.T, s Store) {
	ctx := context.Background()
	gen := func() int64 {
		t.Helper()
		g, err := s.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	list := func(tenant string) []ratelimit.Rule {
		t.Helper()
		rules, err := s.RateLimitRules(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		return rules
	}
	a := ratelimit.Rule{ID: "a", PathPattern: "/api/webhook/*", Methods: []string{"POST"}, Limit: 10, WindowSeconds: 60, Key: "ip"}
	b := ratelimit.Rule{ID: "b", PathPattern: "/", Methods: []string{}, Limit: 5, WindowSeconds: 1, Key: "header:X-Api-Key", FailClosed: true}

	if got := list(""); len(got) != 0 {
		t.Fatalf("a new store has rules: %+v", got)
	}
	steps := []struct {
		name     string
		do       func() (int64, error)
		wantCode string
		wantBump int64
		want     []ratelimit.Rule
	}{
		{"insert b", func() (int64, error) { return s.SaveRateLimitRule(ctx, "", &b) }, "", 1, []ratelimit.Rule{b}},
		{"insert a", func() (int64, error) { return s.SaveRateLimitRule(ctx, "", &a) }, "", 1, []ratelimit.Rule{a, b}},
		{"upsert a", func() (int64, error) {
			a2 := a
			a2.Limit = 20
			return s.SaveRateLimitRule(ctx, "", &a2)
		}, "", 1, []ratelimit.Rule{func() ratelimit.Rule { a2 := a; a2.Limit = 20; return a2 }(), b}},
		{"delete a missing rule", func() (int64, error) { return s.DeleteRateLimitRule(ctx, "", "nope") }, core.ENOTFOUND, 0, nil},
		{"delete b", func() (int64, error) { return s.DeleteRateLimitRule(ctx, "", "b") }, "", 1,
			[]ratelimit.Rule{func() ratelimit.Rule { a2 := a; a2.Limit = 20; return a2 }()}},
		{"replace all", func() (int64, error) { return s.ReplaceRateLimitRules(ctx, "", []ratelimit.Rule{b}) }, "", 1, []ratelimit.Rule{b}},
		{"replace with none", func() (int64, error) { return s.ReplaceRateLimitRules(ctx, "", nil) }, "", 1, []ratelimit.Rule{}},
		{"another tenant", func() (int64, error) { return s.SaveRateLimitRule(ctx, "other", &a) }, "", 1, []ratelimit.Rule{}},
	}
	for _, st := range steps {
		before := gen()
		g, err := st.do()
		if code := core.ErrorCode(err); code != st.wantCode {
			t.Fatalf("%s: error %v, want code %q", st.name, err, st.wantCode)
		}
		after := gen()
		if after-before != st.wantBump {
			t.Fatalf("%s: generation moved by %d, want %d", st.name, after-before, st.wantBump)
		}
		if err == nil && g != after {
			t.Fatalf("%s: returned generation %d, store says %d", st.name, g, after)
		}
		if st.want != nil {
			if got := list(""); !reflect.DeepEqual(got, st.want) {
				t.Fatalf("%s: rules\n got %+v\nwant %+v", st.name, got, st.want)
			}
		}
	}
	if got := list("other"); !reflect.DeepEqual(got, []ratelimit.Rule{a}) {
		t.Fatalf("tenant other: %+v", got)
	}
}
