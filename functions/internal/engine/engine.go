// Package engine wires the core to the adapters a configuration names. It
// is shared by every entrypoint under functions/, so each main stays a few
// lines: read config, call New, serve.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/frontbase/edge/adapters/sqlite"
	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/api"
	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/core/site"
)

// Version is the build version, set with -ldflags "-X ...engine.Version=…".
var Version = "dev"

// Engine is a wired engine: its handler and what must be closed.
type Engine struct {
	Handler http.Handler
	Store   core.Store
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

// New opens the state store the configuration names and builds the handler.
// wrapStore, when not nil, may wrap the store (tests count its reads).
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger, wrapStore func(core.Store) core.Store) (*Engine, error) {
	var store core.Store
	switch cfg.Env {
	case "local":
		s, err := sqlite.Open(ctx, cfg.LocalDBPath)
		if err != nil {
			return nil, fmt.Errorf("FRONTBASE_LOCAL_DB_PATH: cannot open %s: %w", cfg.LocalDBPath, err)
		}
		store = s
	default:
		return nil, fmt.Errorf("FRONTBASE_ENV: %q is not supported by this build; expected local", cfg.Env)
	}
	if wrapStore != nil {
		store = wrapStore(store)
	}
	svc := site.New(store, site.Options{Tenant: cfg.Tenant, L1TTL: cfg.L1TTL, L1MaxBytes: cfg.L1MaxBytes, Logger: logger})
	h := api.New(svc, api.Options{
		SystemKey: cfg.SystemKey, MaxBodyBytes: cfg.MaxBodyBytes, Env: cfg.Env, Version: Version, Logger: logger,
	})
	return &Engine{Handler: h, Store: store}, nil
}

// Close releases the engine's connections.
func (e *Engine) Close() error { return e.Store.Close() }
