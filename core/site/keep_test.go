package site

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

func TestKeptPlan(t *testing.T) {
	no := false
	page := func(slug string, home bool, public *bool) *core.ImportRequest {
		return &core.ImportRequest{Page: &core.Page{ID: slug, Slug: slug, IsHomepage: home, IsPublic: public}}
	}
	reqs := []*core.ImportRequest{page("home", true, nil), page("about", false, nil), page("members", false, &no), page("contact", false, nil)}
	notFound := append(slices.Clone(reqs), page(core.NotFoundSlug, false, nil))
	result := func(settings bool, unchanged ...bool) *core.PublishPagesResult {
		res := &core.PublishPagesResult{SettingsChanged: settings, Changed: true}
		for _, u := range unchanged {
			res.Pages = append(res.Pages, core.PublishResult{Unchanged: u})
		}
		return res
	}
	// The tenant's pages after the write, as ListPages gives them.
	listed := []core.PageSummary{{Slug: "about", IsPublic: true}, {Slug: "contact", IsPublic: true}, {Slug: "home", IsPublic: true, IsHomepage: true},
		{Slug: "members"}, {Slug: "other", IsPublic: true}}
	for _, c := range []struct {
		name   string
		reqs   []*core.ImportRequest
		res    *core.PublishPagesResult
		paths  []string // of the named pages
		others bool
		all    []string // with the pages it did not name
	}{
		{"one page changed", reqs, result(false, true, false, true, true), []string{"/home", "/", "/contact"}, true,
			[]string{"/contact", "/home", "/", "/other"}},
		{"the homepage changed", reqs, result(false, false, true, true, true), []string{"/about", "/contact"}, false, nil},
		{"the not-found page changed", notFound, result(false, true, true, true, true, false), []string{"/home", "/", "/about", "/contact"}, false, nil},
		{"the settings changed", reqs, result(true, true, false, true, true), nil, false, nil},
		{"nothing written", reqs, &core.PublishPagesResult{Pages: result(false, true, true, true, true).Pages}, nil, false, nil},
		{"everything named changed", reqs, result(false, false, false, false, false), nil, false, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			plan := keptPlan("t", c.reqs, c.res)
			if plan == nil {
				if c.paths != nil || c.others {
					t.Fatalf("no plan, want paths %v", c.paths)
				}
				return
			}
			if !slices.Equal(plan.paths, c.paths) || plan.others != c.others {
				t.Errorf("plan = %v others %v, want %v others %v", plan.paths, plan.others, c.paths, c.others)
			}
			if c.others {
				if got := plan.allPaths(listed); !slices.Equal(got, c.all) {
					t.Errorf("with the other pages: %v, want %v", got, c.all)
				}
			}
		})
	}
}

// execCache records Exec calls; the real Redis and Upstash behaviour is
// tested end to end in functions/cli (TestTursoStrategyAndTheSharedCache).
type execCache struct {
	core.Cache // other methods are not used here
	mu         sync.Mutex
	calls      [][]any
	fail       bool
}

func (c *execCache) Exec(_ context.Context, cmds ...[]any) ([]any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return nil, &core.Error{Code: core.EUNAVAILABLE, Message: "down"}
	}
	c.calls = append(c.calls, cmds...)
	return make([]any, len(cmds)), nil
}

func (c *execCache) sadds() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, cmd := range c.calls {
		if cmd[0] == "SADD" {
			n++
		}
	}
	return n
}

func TestNoteBaseRecordsEachBaseOnceAndAtMostSome(t *testing.T) {
	c := &execCache{}
	s := New(newMemStore(), Options{Cache: c, CacheWait: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	s.noteBase(ctx, "https://a.example")
	s.noteBase(ctx, "https://a.example")
	if n := c.sadds(); n != 1 {
		t.Fatalf("two misses on one base URL made %d SADD, want 1", n)
	}
	if cmd := c.calls[1]; cmd[0] != "PEXPIRE" || cmd[1] != "fb:v1:bases:_default" || cmd[2] != basesTTL.Milliseconds() {
		t.Errorf("the set's expiry = %v", cmd)
	}
	// A day later the same base URL is recorded again (the set's TTL moves).
	s.bases.mu.Lock()
	s.bases.seen["https://a.example"] = time.Now().Add(-basesRefreshEvery - time.Minute)
	s.bases.mu.Unlock()
	s.noteBase(ctx, "https://a.example")
	if n := c.sadds(); n != 2 {
		t.Fatalf("after a day: %d SADD, want 2", n)
	}
	// Made-up hosts cannot grow the set without bound.
	for i := range 3 * basesRemembered {
		s.noteBase(ctx, fmt.Sprintf("https://h%d.example", i))
	}
	if n := c.sadds(); n != basesRemembered+1 {
		t.Errorf("%d SADD for %d hosts, want %d", n, 3*basesRemembered+1, basesRemembered+1)
	}
	// A failed SADD is tried again on a later miss.
	f := &execCache{fail: true}
	s = New(newMemStore(), Options{Cache: f, CacheWait: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	s.noteBase(ctx, "https://a.example")
	f.fail = false
	s.noteBase(ctx, "https://a.example")
	if n := f.sadds(); n != 1 {
		t.Errorf("after a failure: %d SADD, want 1", n)
	}
}
