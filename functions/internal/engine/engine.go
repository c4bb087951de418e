// Package engine wires the core to the adapters a configuration names. It
// is shared by every entrypoint under functions/, so each main stays a few
// lines: read config, call New, serve.
package engine

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/analytics"
	"github.com/frontbase/edge/core/api"
	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/core/site"
	"github.com/frontbase/edge/core/workflow"
	"github.com/frontbase/edge/functions/internal/backend"
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
	// timer run it.
	Flusher *analytics.Flusher
}

// NewLogger returns the structured JSON logger every entrypoint uses,
// writing to stderr at once. FaaS entrypoints use it as it is.
func NewLogger(cfg *config.Config) *slog.Logger { return backend.NewLogger(cfg) }

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
	raw, sharedCache, err := backend.OpenState(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// The site and the actions engine take the (possibly wrapped) store;
	// the other ports come from the store as opened.
	var store core.Store = raw
	tenantSecrets := backend.NewSecrets(cfg, raw, logger)
	if wrapStore != nil {
		store = wrapStore(raw)
	}
	svc := site.New(store, site.Options{Tenant: cfg.Tenant, L1TTL: cfg.L1TTL, L1MaxBytes: cfg.L1MaxBytes, Cache: sharedCache, CacheWait: cfg.CacheWait, Logger: logger, MaxPageBytes: cfg.MaxPageBytes,
		Headers: site.HeaderDefaults{FrameAncestors: cfg.FrameAncestors, ReferrerPolicy: cfg.ReferrerPolicy, CSP: cfg.CSP}})
	workflows, err := backend.NewWorkflows(store, raw, sharedCache, cfg, logger, tenantSecrets)
	if err != nil {
		store.Close()
		if sharedCache != nil {
			sharedCache.Close()
		}
		return nil, err
	}
	data, err := newDataProxy(cfg, svc, tenantSecrets, logger) // data.go
	if err != nil {
		store.Close()
		if sharedCache != nil {
			sharedCache.Close()
		}
		return nil, err
	}
	pageAuth, err := newPageAuth(cfg) // data.go
	if err != nil {
		store.Close()
		if sharedCache != nil {
			sharedCache.Close()
		}
		return nil, err
	}
	counting := backend.NewCounting(cfg, raw, sharedCache, logger)
	views := api.Analytics{Reader: counting.Reader, Recorder: counting.Recorder, Salts: counting.Salts, Tenant: cfg.Tenant, TrustedProxies: cfg.TrustedProxies}
	h := api.New(svc, api.Options{
		SystemKey: cfg.SystemKey, MaxBodyBytes: cfg.MaxBodyBytes, Env: cfg.Env, Version: Version, Logger: logger,
		Workflows: workflows, Analytics: views, TrustedProxies: cfg.TrustedProxies,
		RateLimits: newRateLimits(cfg, raw, sharedCache, svc, logger), // ratelimits.go
		Secrets:    tenantSecrets,
		Manifest:   manifest(cfg), // manifest.go
		Data:       data,
		PageAuth:   pageAuth,
	})
	return &Engine{Handler: h, Store: store, Cache: sharedCache, Workflows: workflows, Flusher: counting.Flusher}, nil
}

// Migrator is a store whose schema is applied by an explicit step.
type Migrator = backend.Migrator

// Migrate brings the configured state store's schema up to date (see
// backend.Migrate).
func Migrate(ctx context.Context, cfg *config.Config) ([]string, error) {
	return backend.Migrate(ctx, cfg)
}

// OpenState opens the state store and the shared cache (see
// backend.OpenState).
func OpenState(ctx context.Context, cfg *config.Config) (backend.State, core.Cache, error) {
	return backend.OpenState(ctx, cfg)
}

// Close releases the engine's connections.
func (e *Engine) Close() error {
	err := e.Store.Close()
	if e.Cache != nil {
		err = errors.Join(err, e.Cache.Close())
	}
	return err
}
