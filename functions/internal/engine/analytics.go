package engine

import (
	"log/slog"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/analytics"
	"github.com/frontbase/edge/core/api"
	"github.com/frontbase/edge/core/config"
)

// countStore is a state store that keeps page-view counters (sqlstore).
type countStore interface {
	analytics.Sink
	analytics.Reader
}

// newAnalytics wires page-view counting: into Redis with one pipelined
// call per view when a shared cache is configured, in process otherwise
// (the standalone server's timer and every tick of this process flush it).
func newAnalytics(cfg *config.Config, store countStore, sharedCache core.Cache, logger *slog.Logger) (api.Analytics, *analytics.Flusher) {
	if store == nil {
		return api.Analytics{}, nil
	}
	// The visitor hash is salted with a random salt per day, shared by
	// every instance through the shared cache (or made in process without
	// one), so the same visitor hashes alike everywhere that day only.
	a := api.Analytics{Reader: store, Tenant: cfg.Tenant, TrustedProxies: cfg.TrustedProxies, Salts: &analytics.Salts{Cache: sharedCache, Logger: logger}}
	f := &analytics.Flusher{Sink: store}
	if sharedCache != nil {
		rr := &analytics.RedisRecorder{Cache: sharedCache, Logger: logger}
		a.Recorder = rr
		f.Cache = sharedCache // also what an earlier run with counting on left
		f.Recorder = rr
	} else {
		m := analytics.NewMemory()
		a.Recorder = m
		f.Memory = m
	}
	if !cfg.Analytics { // FRONTBASE_ANALYTICS=off: nothing is counted; the report stays
		a.Recorder, a.Salts = nil, nil
	}
	return a, f
}
