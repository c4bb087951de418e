package site

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/cache"
)

// Dropping cached responses on the control plane's request (POST
// /api/cache/flush and /api/cache/invalidate).
//
// Publishes never need this: L1 and L2 keys carry the publish generation,
// so a write makes every older entry unreachable. A drop is for what the
// generation does not cover (a redeploy with other environment, an
// operator who wants a page rendered again). It leaves the generation
// alone: it deletes this tenant's responses of every generation from the
// shared cache and empties this instance's L1; other instances' L1 entries
// age out within the L1 TTL, then miss L2 and render from the store, as
// after a publish. The last good copies kept for stale-if-error
// (fb:v1:last:…), the announced generation and the set of base URLs stay:
// they are not page content a flush is meant to refresh, and losing the
// stale copies would only make an outage worse.
const (
	dropScanCount = 1000             // keys per SCAN call
	dropMaxKeys   = 100_000          // keys a drop deletes at most
	dropTimeout   = 10 * time.Second // for the whole drop
)

// DropResult says what a drop did.
type DropResult struct {
	L1Dropped int  // entries this instance's L1 held before
	L2Deleted int  // shared-cache responses deleted
	Shared    bool // a shared cache is configured
	Complete  bool // every matching shared-cache key was visited
}

// DropCached deletes the cached responses of the tenant's paths for which
// match returns true (every path when match is nil), from this instance's
// L1 and from the shared cache. Paths are as requested: "/", "/about",
// "/sitemap.xml". A shared cache that cannot be reached is an
// EUNAVAILABLE error after L1 was emptied.
func (s *Service) DropCached(ctx context.Context, match func(path string) bool) (*DropResult, error) {
	res := &DropResult{L1Dropped: s.l1.Stats().Entries, Shared: s.l2 != nil, Complete: true}
	// L1 has no walk by key: dropping all of it costs this instance one
	// L2 read per path, the same as a publish.
	s.l1.InvalidateAll()
	if s.l2 == nil {
		return res, nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dropTimeout)
	defer cancel()
	deleted, complete, err := s.dropShared(ctx, match)
	res.L2Deleted, res.Complete = deleted, complete
	if err != nil {
		return res, &core.Error{Code: core.EUNAVAILABLE, Message: "the shared cache could not be cleared; this instance's cache was", Err: err}
	}
	return res, nil
}

// dropShared walks the shared cache's response keys with SCAN (never KEYS,
// which blocks Redis) and deletes the tenant's matching ones.
func (s *Service) dropShared(ctx context.Context, match func(string) bool) (deleted int, complete bool, err error) {
	c := s.l2
	pattern := "fb:v1:r:*|" + globEscape(s.tenant) + "|*"
	cursor := "0"
	for {
		var batch []string
		next := cursor
		_, err := c.callFor(ctx, dropTimeout, func(ctx context.Context) ([][]byte, error) {
			out, err := c.cache.Exec(ctx, []any{"SCAN", cursor, "MATCH", pattern, "COUNT", dropScanCount})
			if err != nil {
				return nil, err
			}
			next, batch = scanReply(out[0])
			return nil, nil
		})
		if err != nil {
			return deleted, false, err
		}
		var del []any
		for _, key := range batch {
			if tenant, path, ok := responseKeyParts(key); ok && tenant == s.tenant && (match == nil || match(path)) {
				del = append(del, key)
			}
		}
		if len(del) > 0 {
			_, err := c.callFor(ctx, dropTimeout, func(ctx context.Context) ([][]byte, error) {
				out, err := c.cache.Exec(ctx, append([]any{"UNLINK"}, del...))
				if err == nil {
					if n, ok := out[0].(int64); ok {
						deleted += int(n)
					}
				}
				return nil, err
			})
			if err != nil {
				return deleted, false, err
			}
		}
		cursor = next
		if cursor == "0" || cursor == "" {
			return deleted, true, nil
		}
		if deleted >= dropMaxKeys {
			s.log.WarnContext(ctx, "stopped clearing the shared cache at the limit; the rest expires with its TTL", "limit", dropMaxKeys)
			return deleted, false, nil
		}
	}
}

// scanReply reads SCAN's [cursor, [keys...]] reply.
func scanReply(v any) (cursor string, keys []string) {
	parts, _ := v.([]any)
	if len(parts) != 2 {
		return "0", nil
	}
	switch c := parts[0].(type) {
	case string:
		cursor = c
	case int64:
		cursor = strconv.FormatInt(c, 10)
	}
	list, _ := parts[1].([]any)
	for _, k := range list {
		if s, ok := k.(string); ok {
			keys = append(keys, s)
		}
	}
	return cursor, keys
}

// responseKeyParts splits an L2 response key, "fb:v1:r:" + cacheKey:
// generation|day|tenant|baseURL|path. The first four fields cannot hold a
// "|" (a base URL is scheme://host), so the path is the rest.
func responseKeyParts(key string) (tenant, path string, ok bool) {
	rest, ok := strings.CutPrefix(key, "fb:v1:r:")
	if !ok {
		return "", "", false
	}
	f := strings.SplitN(rest, "|", 5)
	if len(f) != 5 {
		return "", "", false
	}
	return f[2], f[4], true
}

// globEscape quotes the characters Redis' MATCH treats as special.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CacheState describes the cache tiers for GET /api/cache/stats.
type CacheState struct {
	L1     cache.Stats
	Shared Dependency // Status "none" without a shared cache
}

// CacheState probes the shared cache once and reports both tiers.
func (s *Service) CacheState(ctx context.Context) CacheState {
	st := CacheState{L1: s.l1.Stats(), Shared: Dependency{Status: "none"}}
	if s.l2 == nil {
		return st
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	start := time.Now()
	st.Shared = probed(start, s.l2.cache.Ping(ctx))
	st.Shared.Breaker = s.l2.state()
	return st
}
