package engine

import (
	"crypto/sha256"
	"encoding/hex"
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
	// The visitor hash is salted with a secret derived from the system key
	// (and the day), so the same visitor hashes alike on every instance.
	sum := sha256.Sum256([]byte("frontbase analytics salt\x00" + cfg.SystemKey))
	a := api.Analytics{Reader: store, Tenant: cfg.Tenant, Secret: hex.EncodeToString(sum[:])}
	f := &analytics.Flusher{Sink: store}
	if sharedCache != nil {
		a.Recorder = &analytics.RedisRecorder{Cache: sharedCache, Logger: logger}
		f.Cache = sharedCache
	} else {
		m := analytics.NewMemory()
		a.Recorder = m
		f.Memory = m
	}
	return a, f
}
