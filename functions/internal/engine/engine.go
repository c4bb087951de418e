// Package engine wires the core to the adapters a configuration names. It
// is shared by every entrypoint under functions/, so each main stays a few
// lines: read config, call New, serve.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/frontbase/edge/adapters/redis"
	"github.com/frontbase/edge/adapters/sqlite"
	"github.com/frontbase/edge/adapters/turso"
	"github.com/frontbase/edge/adapters/upstash"
	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/analytics"
	"github.com/frontbase/edge/core/api"
	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/core/ratelimit"
	"github.com/frontbase/edge/core/site"
	"github.com/frontbase/edge/core/workflow"
)

// Version is the build version, set with -ldflags "-X ...engine.Version=…".
var Version = "dev"

// Engine is a wired engine: its handler and what must be closed.
type Engine struct {
	Handler http.Handler
	Store   core.Store
	Cache   core.Cache // nil without a shared cache
	// Workflows is the actions engine; the scheduled function's tick runs
	// its due scheduled workflows.
	Workflows *workflow.Service
	// Flusher moves the buffered page-view counters to the state store;
	// the scheduled tick, `frontbase flush` and the standalone server's
	// timer run it. Nil when the store cannot take counters.
	Flusher *analytics.Flusher
}

// NewLogger returns the structured JSON logger every entrypoint uses,
// writing to stderr at once. FaaS entrypoints use it as it is.
func NewLogger(cfg *config.Config) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
}

// NewBufferedLogger is NewLogger for long-lived servers: lines are batched
// by a LogSink, which the caller must Close before exiting.
func NewBufferedLogger(cfg *config.Config) (*slog.Logger, *LogSink) {
	sink := NewLogSink(os.Stderr)
	h := slog.NewJSONHandler(sink, &slog.HandlerOptions{Level: cfg.LogLevel})
	return slog.New(urgentFlush{Handler: h, sink: sink}), sink
}

// New opens the state store and the shared cache the configuration names
// and builds the handler. Nothing here touches the network: remote stores
// and caches connect on first use, so a FaaS cold start stays cheap.
// wrapStore, when not nil, may wrap the store (tests count its reads).
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger, wrapStore func(core.Store) core.Store) (*Engine, error) {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sharedCache, err := openCache(cfg)
	if err != nil {
		store.Close()
		return nil, err
	}
	counters, _ := store.(countStore) // before wrapping: tests' wrappers hide it
	cursors, _ := store.(workflow.CursorStore)
	rules, _ := store.(ratelimit.Store)
	pruner, _ := store.(workflow.ExecutionPruner)
	if wrapStore != nil {
		store = wrapStore(store)
	}
	svc := site.New(store, site.Options{Tenant: cfg.Tenant, L1TTL: cfg.L1TTL, L1MaxBytes: cfg.L1MaxBytes, Cache: sharedCache, Logger: logger})
	workflows, err := newWorkflows(store, pruner, sharedCache, cfg, logger, cursors)
	if err != nil {
		store.Close()
		if sharedCache != nil {
			sharedCache.Close()
		}
		return nil, err
	}
	views, flusher := newAnalytics(cfg, counters, sharedCache, logger)
	h := api.New(svc, api.Options{
		SystemKey: cfg.SystemKey, MaxBodyBytes: cfg.MaxBodyBytes, Env: cfg.Env, Version: Version, Logger: logger,
		Workflows: workflows, Analytics: views,
		RateLimits: newRateLimits(cfg, rules, sharedCache, svc, logger), // ratelimits.go
		Manifest:   manifest(cfg),                                       // manifest.go
	})
	return &Engine{Handler: h, Store: store, Cache: sharedCache, Workflows: workflows, Flusher: flusher}, nil
}

// newWorkflows wires the actions engine: the guarded HTTP client with the
// operator's allow-list, and $env limited to the allowed variables.
func newWorkflows(store core.Store, pruner workflow.ExecutionPruner, sharedCache core.Cache, cfg *config.Config, logger *slog.Logger, cursors workflow.CursorStore) (*workflow.Service, error) {
	allow, err := workflow.ParseAllowList(cfg.WorkflowHTTPAllow)
	if err != nil {
		return nil, fmt.Errorf("FRONTBASE_HTTP_ALLOW: %w", err)
	}
	env := map[string]any{}
	for _, name := range cfg.WorkflowEnvAllow {
		if v, ok := os.LookupEnv(name); ok {
			env[name] = v
		}
	}
	client := workflow.NewHTTPClient(allow)
	data, err := openDataSources(cfg.DataSources, client)
	if err != nil {
		return nil, err
	}
	return workflow.New(store, workflow.Options{HTTP: client, Cache: sharedCache, Env: env, Logger: logger,
		DataSources: data, Cursors: cursors, Retention: &cfg.ExecutionRetention, Pruner: pruner, Parallel: cfg.WorkflowParallel}), nil
}

// Migrator is a store whose schema is applied by an explicit step.
type Migrator interface {
	Migrate(ctx context.Context) (applied []string, err error)
}

// versionKeeper is a store that keeps a bounded number of site versions.
type versionKeeper interface{ SetKeepVersions(n int) }

func openStore(ctx context.Context, cfg *config.Config) (core.Store, error) {
	s, err := openBackend(ctx, cfg)
	if err == nil && cfg.KeepVersions > 0 {
		if k, ok := s.(versionKeeper); ok {
			k.SetKeepVersions(cfg.KeepVersions)
		}
	}
	return s, err
}

func openBackend(ctx context.Context, cfg *config.Config) (core.Store, error) {
	switch cfg.Env {
	case "local":
		s, err := sqlite.Open(ctx, cfg.LocalDBPath)
		if err != nil {
			return nil, fmt.Errorf("FRONTBASE_LOCAL_DB_PATH: cannot open %s: %w", cfg.LocalDBPath, err)
		}
		return s, nil
	case "cloud":
		s, err := turso.Open(cfg.StateDBURL, cfg.StateDBToken)
		if err != nil {
			return nil, fmt.Errorf("FRONTBASE_STATE_DB_URL: %w", err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("FRONTBASE_ENV: %q is not supported; expected local or cloud", cfg.Env)
}

func openCache(cfg *config.Config) (core.Cache, error) {
	switch {
	case cfg.RedisURL == "":
		return nil, nil
	case strings.HasPrefix(cfg.RedisURL, "redis://"), strings.HasPrefix(cfg.RedisURL, "rediss://"):
		c, err := redis.Open(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("FRONTBASE_REDIS_URL: %w", err)
		}
		return c, nil
	default:
		c, err := upstash.New(cfg.RedisURL, cfg.RedisToken, upstash.Options{})
		if err != nil {
			return nil, fmt.Errorf("FRONTBASE_REDIS_URL: %w", err)
		}
		return c, nil
	}
}

// Migrate brings the configured state store's schema up to date. The local
// SQLite file migrates itself when opened; Turso only here (CLI, first
// deploy), never on a cold start.
func Migrate(ctx context.Context, cfg *config.Config) ([]string, error) {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	if m, ok := store.(Migrator); ok {
		return m.Migrate(ctx)
	}
	return nil, nil
}

// Close releases the engine's connections.
func (e *Engine) Close() error {
	err := e.Store.Close()
	if e.Cache != nil {
		err = errors.Join(err, e.Cache.Close())
	}
	return err
}
