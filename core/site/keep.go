package site

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"

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
	setMaxLua         = `local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
local n = tonumber(ARGV[1])
if n > cur then redis.call('SET', KEYS[1], ARGV[1]) return n end
return cur`
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
		if !errors.Is(err, gobreaker.ErrOpenState) && !errors.Is(err, gobreaker.ErrTooManyRequests) {
			s.log.WarnContext(ctx, "could not record the base URL in the shared cache", "err", err)
		}
	}
}

// keptPaths lists the public paths of the pages a publish left as they
// were, whose responses are the same in the new generation: "/"+slug of
// each unchanged page, and "/" for an unchanged homepage. Nothing is kept
// when the settings changed (every page renders them). The sitemap,
// robots.txt and not-found responses depend on the page list and are
// never kept.
func keptPaths(reqs []*core.ImportRequest, res *core.PublishPagesResult) []string {
	if res.SettingsChanged || !res.Changed {
		return nil
	}
	var paths []string
	for i, req := range reqs {
		if !res.Pages[i].Unchanged || !req.Page.Public() {
			continue // a page that is not public answers not-found
		}
		paths = append(paths, "/"+req.Page.Slug)
		if req.Page.IsHomepage {
			paths = append(paths, "/")
		}
	}
	return paths
}

// keep copies the L2 entries of paths from generation from to generation
// to, for today's UTC day and every base URL engines recorded, then
// announces to. It takes two round trips: SMEMBERS, then one pipeline of
// COPY commands (which keep each entry's remaining TTL and never replace
// an entry an engine already wrote) ending with the announcement. It
// returns how many entries were copied. Errors are the caller's to log:
// the shared cache is disposable.
func (c *l2) keep(ctx context.Context, tenant string, from, to int64, paths []string) (int, error) {
	var copied int
	_, err := c.callFor(ctx, keepTimeout, func(ctx context.Context) ([][]byte, error) {
		replies, err := c.cache.Exec(ctx, []any{"SMEMBERS", basesKey(tenant)})
		if err != nil {
			return nil, err
		}
		members, _ := replies[0].([]any)
		var bases []string
		for _, m := range members {
			if b, ok := m.(string); ok {
				bases = append(bases, b)
			}
		}
		slices.Sort(bases)
		day := utcDay()
		var cmds [][]any
		for _, base := range bases {
			for _, path := range paths {
				if len(cmds) == maxKeptCopies {
					c.log.WarnContext(ctx, "too many shared-cache entries to keep; the rest will be rendered again",
						"limit", maxKeptCopies, "baseURLs", len(bases), "paths", len(paths))
					break
				}
				src, _ := l2Keys(cacheKey(from, day, tenant, base, path), tenant, base, path)
				dst, _ := l2Keys(cacheKey(to, day, tenant, base, path), tenant, base, path)
				cmds = append(cmds, []any{"COPY", src, dst})
			}
		}
		cmds = append(cmds, []any{"EVAL", setMaxLua, 1, generationKey, to})
		replies, err = c.cache.Exec(ctx, cmds...)
		if err != nil {
			return nil, err
		}
		for _, r := range replies[:len(replies)-1] {
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
