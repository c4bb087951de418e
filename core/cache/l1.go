// Package cache holds the per-instance L1 cache of the request lifecycle
// (docs/architecture.md, "Request lifecycle").
package cache

import (
	"context"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/maypok86/otter/v2/stats"
)

// Tier names where a value came from, for the response header and the logs.
type Tier string

const (
	TierL1Hit   Tier = "l1-hit"   // fresh in memory
	TierL1Stale Tier = "l1-stale" // in memory past its freshness; one refresh runs
	TierMiss    Tier = "miss"     // loaded from the tiers below
	TierL2Hit   Tier = "l2-hit"   // the shared cache had this generation's copy
	TierL3      Tier = "l3"       // rendered from the state store
	TierStale   Tier = "stale"    // the state store is unreachable: the last good copy
)

// Tiers lists every tier, for callers that precompute per-tier values.
var Tiers = []Tier{TierL1Hit, TierL1Stale, TierMiss, TierL2Hit, TierL3, TierStale}

// Sized values report their weight in bytes so the cache can be bounded in
// memory rather than in entries: pages vary from a few KiB to megabytes.
type Sized interface{ Size() int }

// L1 is a byte-bounded in-memory cache. Entries are fresh for ttl; after
// that the first reader triggers one background reload and everyone keeps
// getting the old value until it lands (stale-while-revalidate). A failed
// reload keeps the old value (stale-if-error). Concurrent misses for one key
// share one load.
//
// Built on otter (W-TinyLFU eviction, weighted size, refresh-after-write,
// coalesced loads): a proven library rather than hand-rolled locking.
type L1[V Sized] struct {
	cache *otter.Cache[string, V]
	ttl   time.Duration
}

// NewL1 makes a cache holding at most maxBytes of values. Zero turns the
// cache off: every Get loads (for measuring the tiers below, or debugging).
func NewL1[V Sized](maxBytes int64, ttl time.Duration) *L1[V] {
	if maxBytes == 0 {
		return &L1[V]{ttl: ttl}
	}
	// Keys carry the publish generation, so entries of an old generation are
	// never read again; expire idle ones instead of waiting for eviction.
	idle := max(10*ttl, 10*time.Minute)
	c := otter.Must(&otter.Options[string, V]{
		MaximumWeight: uint64(maxBytes),
		Weigher: func(key string, v V) uint32 {
			return uint32(min(len(key)+v.Size()+64, 1<<31))
		},
		RefreshCalculator: otter.RefreshWriting[string, V](ttl),
		ExpiryCalculator:  otter.ExpiryAccessing[string, V](idle),
		StatsRecorder:     stats.NewCounter(),
	})
	return &L1[V]{cache: c, ttl: ttl}
}

// Get returns the value for key, loading it with load when absent. load's
// errors are returned and nothing is cached; to cache a negative answer
// (a 404), return it as a value.
func (l *L1[V]) Get(ctx context.Context, key string, load func(context.Context) (V, error)) (V, Tier, error) {
	if l.cache == nil {
		v, err := load(ctx)
		return v, TierMiss, err
	}
	if e, ok := l.cache.GetEntry(key); ok {
		if time.Now().Before(e.RefreshableAt()) {
			return e.Value, TierL1Hit, nil
		}
		// Past freshness: Get starts the one reload and returns the old value.
		v, err := l.cache.Get(ctx, key, loader(load))
		return v, TierL1Stale, err
	}
	v, err := l.cache.Get(ctx, key, loader(load))
	return v, TierMiss, err
}

func loader[V any](load func(context.Context) (V, error)) otter.Loader[string, V] {
	return otter.LoaderFunc[string, V](func(ctx context.Context, _ string) (V, error) { return load(ctx) })
}

// InvalidateAll drops every entry: used when this process publishes.
func (l *L1[V]) InvalidateAll() {
	if l.cache != nil {
		l.cache.InvalidateAll()
	}
}

// Close stops the goroutine that expires idle entries. A process keeps its
// cache for life and need not call it; a test in a testing/synctest bubble
// must, or the bubble never ends. The cache still serves after Close.
func (l *L1[V]) Close() {
	if l.cache != nil {
		l.cache.StopAllGoroutines()
	}
}

// Stats is a snapshot for the health endpoint.
type Stats struct {
	Entries   int    `json:"entries"`
	Bytes     uint64 `json:"bytes"`
	MaxBytes  uint64 `json:"maxBytes"`
	Hits      uint64 `json:"hits"`
	Misses    uint64 `json:"misses"`
	TTLSecond int64  `json:"ttlSeconds"`
}

func (l *L1[V]) Stats() Stats {
	if l.cache == nil {
		return Stats{TTLSecond: int64(l.ttl / time.Second)}
	}
	s := l.cache.Stats()
	return Stats{
		Entries:   l.cache.EstimatedSize(),
		Bytes:     l.cache.WeightedSize(),
		MaxBytes:  l.cache.GetMaximum(),
		Hits:      s.Hits,
		Misses:    s.Misses,
		TTLSecond: int64(l.ttl / time.Second),
	}
}
