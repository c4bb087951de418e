package site

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/frontbase/edge/core"
)

// Keeping the shared cache of unchanged pages across a publish.
//
// L2 keys carry the publish generation, so a publish makes every page miss
// L2 once per base URL, changed or not. A publish that leaves a page as it
// was (same id, content hash and homepage flag, and the same settings) can
// instead COPY that page's entries of the old generation to the new one:
// engines then find the new generation's entry already there. To know the
// keys, engines record the base URLs they serve in a Redis set per tenant
// (basesKey), and the publisher reads it.
const (
	basesKeyPrefix    = "fb:v1:bases:"     // + tenant: a set of base URLs
	basesTTL          = 7 * 24 * time.Hour // of the set, refreshed by engines
	basesRefreshEvery = 24 * time.Hour     // per base URL and process
	basesRemembered   = 32                 // base URLs a process records at most
	maxKeptCopies     = 2000               // COPY commands per publish at most
	keepTimeout       = 2 * time.Second    // per publish-time cache call
)

func basesKey(tenant string) string { return basesKeyPrefix + tenant }

// cacheKey is the L1 key of a response, and the L2 key's suffix.
func cacheKey(gen int64, day, tenant, baseURL, path string) string {
	return strconv.FormatInt(gen, 10) + "|" + day + "|" + tenant + "|" + baseURL + "|" + path
}

// baseRecorder remembers which base URLs this process has added to the
// tenant's set, and when, so that recording costs a Redis call only the
// first time a base URL is served and once a day after.
type baseRecorder struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// noteBase records baseURL in the tenant's set of base URLs unless this
// process did so recently. It is called on L1 misses only. A process
// remembers at most basesRemembered base URLs and records no others, so
// that requests with made-up Host headers cannot grow the set.
func (s *Service) noteBase(ctx context.Context, baseURL string) {
	r := &s.bases
	now := time.Now()
	r.mu.Lock()
	at, ok := r.seen[baseURL]
	if (ok && now.Sub(at) < basesRefreshEvery) || (!ok && len(r.seen) >= basesRemembered) {
		r.mu.Unlock()
		return
	}
	if r.seen == nil {
		r.seen = map[string]time.Time{}
	}
	r.seen[baseURL] = now
	r.mu.Unlock()
	key := basesKey(s.tenant)
	_, err := s.l2.call(ctx, func(ctx context.Context) ([][]byte, error) {
		_, err := s.l2.cache.Exec(ctx, []any{"SADD", key, baseURL}, []any{"PEXPIRE", key, basesTTL.Milliseconds()})
		return nil, err
	})
	if err != nil {
		r.mu.Lock()
		if r.seen[baseURL] == now {
			delete(r.seen, baseURL) // try again on a later miss
		}
		r.mu.Unlock()
		if worthLogging(err) {
			s.log.WarnContext(ctx, "could not record the base URL in the shared cache", "err", err)
		}
	}
}

// A keepPlan says which pages a write left as they were, so that their L2
// entries may be carried to the new generation. Every response of a page
// depends only on the page and the settings (render.Input), so a page
// whose id, content hash and homepage flag did not change, under the same
// settings, answers the same. The sitemap, robots.txt and not-found
// responses depend on the page list and are never kept.
type keepPlan struct {
	tenant string
	// paths of the pages the write named and left unchanged: "/"+slug,
	// and "/" for the homepage.
	paths []string
	// others: the pages the write did not name are unchanged too, so every
	// public page of the tenant is kept except the changed slugs. False
	// when the write may have changed a page it did not name: a new
	// homepage clears the old one's flag, and a new not-found page ("404")
	// changes what unknown paths answer.
	others  bool
	changed map[string]bool
}

// keptPlan is the plan of a PublishSite write, nil when nothing can be
// kept (nothing written, or the settings changed: every page shows them).
func keptPlan(tenant string, reqs []*core.ImportRequest, res *core.PublishPagesResult) *keepPlan {
	if res.SettingsChanged || !res.Changed {
		return nil
	}
	plan := &keepPlan{tenant: tenant, others: true, changed: map[string]bool{}}
	for i, req := range reqs {
		if !res.Pages[i].Unchanged {
			plan.changed[req.Page.Slug] = true
			if req.Page.IsHomepage || req.Page.Slug == core.NotFoundSlug {
				plan.others = false
			}
			continue
		}
		if req.Page.Public() { // else it answers not-found
			plan.paths = append(plan.paths, pagePaths(req.Page.Slug, req.Page.IsHomepage)...)
		}
	}
	return plan
}

func pagePaths(slug string, homepage bool) []string {
	if homepage {
		return []string{"/" + slug, "/"} // the slug's path is a redirect to "/"
	}
	return []string{"/" + slug}
}

// allPaths lists the paths to keep when the plan includes the pages the
// write did not name, from the tenant's pages as listed after the write.
// A listing that already sees a later write can only name a page whose
// entries are still right for this write's generation, except "/" when the
// later write moved the homepage; engines then serve that copy only until
// they learn the later generation, within the TTL a publish already takes.
func (p *keepPlan) allPaths(pages []core.PageSummary) []string {
	var paths []string
	for _, pg := range pages {
		if pg.IsPublic && !p.changed[pg.Slug] {
			paths = append(paths, pagePaths(pg.Slug, pg.IsHomepage)...)
		}
	}
	return paths
}

// keep copies the L2 entries of the plan's paths from generation from to
// generation to, for today's UTC day and every base URL engines recorded,
// then announces to. It takes two round trips to the shared cache:
// SMEMBERS, then one pipeline of COPY commands (which keep each entry's
// remaining TTL and never replace an entry an engine already wrote) ending
// with the announcement; and, when the plan includes the pages the write
// did not name and some base URL is recorded, one state-store read to
// list them. It returns how many entries were copied. Errors are the
// caller's to log: the shared cache is disposable.
func (s *Service) keep(ctx context.Context, from, to int64, plan *keepPlan) (int, error) {
	c := s.l2
	var bases []string
	_, err := c.callFor(ctx, keepTimeout, func(ctx context.Context) ([][]byte, error) {
		replies, err := c.cache.Exec(ctx, []any{"SMEMBERS", basesKey(plan.tenant)})
		if err != nil {
			return nil, err
		}
		members, _ := replies[0].([]any)
		for _, m := range members {
			if b, ok := m.(string); ok {
				bases = append(bases, b)
			}
		}
		return nil, nil
	})
	if err != nil {
		return 0, err
	}
	if len(bases) == 0 {
		return 0, c.announce(ctx, to) // no engine has served a page yet
	}
	slices.Sort(bases)
	paths := plan.paths
	if plan.others {
		lctx, cancel := context.WithTimeout(ctx, keepTimeout)
		pages, err := s.store.ListPages(lctx, plan.tenant)
		cancel()
		if err != nil {
			s.log.WarnContext(ctx, "could not list the pages to keep in the shared cache; keeping only the published ones", "err", err)
		} else {
			paths = plan.allPaths(pages)
		}
	}
	day := utcDay()
	var cmds [][]any
copies:
	for _, base := range bases {
		for _, path := range paths {
			if len(cmds) == maxKeptCopies {
				s.log.WarnContext(ctx, "too many shared-cache entries to keep; the rest will be rendered again",
					"limit", maxKeptCopies, "baseURLs", len(bases), "paths", len(paths))
				break copies
			}
			src, _ := l2Keys(cacheKey(from, day, plan.tenant, base, path), plan.tenant, base, path)
			dst, _ := l2Keys(cacheKey(to, day, plan.tenant, base, path), plan.tenant, base, path)
			cmds = append(cmds, []any{"COPY", src, dst})
		}
	}
	cmds = append(cmds, []any{"EVAL", core.SetMaxScript, 1, generationKey, to})
	copied := 0
	_, err = c.callFor(ctx, keepTimeout, func(ctx context.Context) ([][]byte, error) {
		out, err := c.cache.Exec(ctx, cmds...)
		if err != nil {
			return nil, err
		}
		for _, r := range out[:len(out)-1] {
			if n, ok := r.(int64); ok && n == 1 {
				copied++
			}
		}
		return nil, nil
	})
	return copied, err
}

// callFor is call with another timeout: publish-time calls may carry
// thousands of commands.
func (c *l2) callFor(ctx context.Context, timeout time.Duration, op func(context.Context) ([][]byte, error)) ([][]byte, error) {
	return c.breaker.Execute(func() ([][]byte, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		return op(ctx)
	})
}
