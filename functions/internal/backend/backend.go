// Package backend opens what an engine keeps its state in (the state
// store, the shared cache, the workflow data sources) and wires the parts
// that work on that state without serving pages: the actions engine and
// the page-view counting. The scheduled functions (Lambda's flush) are
// built from this package alone, so their binaries hold no renderer, no
// Markdown or Liquid engine and no HTTP API; package engine adds those on
// top for the entrypoints that serve requests.
//
// SQLite (local mode and sqlite data sources) and go-redis (redis:// and
// rediss:// caches) are not linked here: they are most of a binary's code,
// and the Lambda functions run in cloud mode (Turso, Upstash REST) without
// them. Packages withsqlite and withredis register them; every entrypoint
// imports both except the Lambda ones, which import them only when built
// with the sqlite or redis tag.
package backend

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/frontbase/edge/adapters/turso"
	"github.com/frontbase/edge/adapters/upstash"
	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/analytics"
	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/core/ratelimit"
	"github.com/frontbase/edge/core/secrets"
	"github.com/frontbase/edge/core/workflow"
)

// The backends a binary may leave out, set by RegisterSQLite and
// RegisterRedis from the packages' init.
var (
	sqliteStore func(ctx context.Context, path string) (State, error)
	sqliteData  func(path string) (workflow.DataSource, error)
	redisCache  func(url string, timeout time.Duration) (core.Cache, error)
)

// RegisterSQLite links SQLite: the local-mode state store and the sqlite
// data source (package withsqlite calls it).
func RegisterSQLite(store func(ctx context.Context, path string) (State, error), data func(path string) (workflow.DataSource, error)) {
	sqliteStore, sqliteData = store, data
}

// RegisterRedis links the redis:// and rediss:// cache client (package
// withredis calls it).
func RegisterRedis(open func(url string, timeout time.Duration) (core.Cache, error)) {
	redisCache = open
}

// leftOut is the error for a configuration that asks for a backend this
// binary was built without. Only the Lambda functions leave backends out,
// so it names their build variable.
func leftOut(setting, what, tag, instead string) error {
	return fmt.Errorf("%s: this binary was built without %s; rebuild it with the %q build tag (make build-EdgeFunction LAMBDA_TAGS=lambda.norpc,%s, likewise for the flush function), or %s",
		setting, what, tag, tag, instead)
}

// TmpDBPath is local mode's database on platforms whose only writable
// directory is /tmp (Lambda, Cloud Functions, Vercel): it lives as long as
// one instance.
const TmpDBPath = "/tmp/frontbase/pages.db"

// Getenv is os.Getenv with the FaaS default for FRONTBASE_LOCAL_DB_PATH.
func Getenv(name string) string {
	v := os.Getenv(name)
	if v == "" && name == "FRONTBASE_LOCAL_DB_PATH" {
		return TmpDBPath
	}
	return v
}

// NewLogger returns the structured JSON logger every entrypoint uses,
// writing to stderr at once. FaaS entrypoints use it as it is.
func NewLogger(cfg *config.Config) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
}

// Migrator is a store whose schema is applied by an explicit step.
type Migrator interface {
	Migrate(ctx context.Context) (applied []string, err error)
}

// State is the state store as the wiring uses it: every port the engine's
// services take from it. The wiring passes each service its ports from a
// State, so a backend that lacks one fails to compile instead of quietly
// turning a feature off.
type State interface {
	core.Store
	ratelimit.Store          // rate-limit rules
	secrets.Store            // tenant secret blobs
	analytics.Sink           // the counters' flush
	analytics.Reader         // the counters' report
	workflow.CursorStore     // data_change_trigger cursors
	workflow.ExecutionPruner // execution retention
	// SetKeepVersions bounds the site versions a tenant keeps
	// (FRONTBASE_KEEP_VERSIONS).
	SetKeepVersions(n int)
}

var (
	_ State    = (*turso.Store)(nil)
	_ Migrator = (*turso.Store)(nil)
)

// OpenStore opens the state store the configuration names. Nothing here
// touches the network: remote stores connect on first use.
func OpenStore(ctx context.Context, cfg *config.Config) (State, error) {
	var s State
	var err error
	switch cfg.Env {
	case "local":
		s, err = openSQLite(ctx, cfg)
	case "cloud":
		s, err = openTurso(cfg)
	default:
		return nil, fmt.Errorf("FRONTBASE_ENV: %q is not supported; expected local or cloud", cfg.Env)
	}
	if err != nil {
		return nil, err
	}
	if cfg.KeepVersions > 0 {
		s.SetKeepVersions(cfg.KeepVersions)
	}
	return s, nil
}

// openSQLite opens local mode's file; it migrates itself when opened.
func openSQLite(ctx context.Context, cfg *config.Config) (State, error) {
	if sqliteStore == nil {
		return nil, leftOut("FRONTBASE_ENV=local", "SQLite (local mode)", "sqlite", "set FRONTBASE_ENV=cloud with FRONTBASE_STATE_DB_URL (Turso)")
	}
	s, err := sqliteStore(ctx, cfg.LocalDBPath)
	if err != nil {
		return nil, fmt.Errorf("FRONTBASE_LOCAL_DB_PATH: cannot open %s: %w", cfg.LocalDBPath, err)
	}
	return s, nil
}

func openTurso(cfg *config.Config) (*turso.Store, error) {
	s, err := turso.OpenWith(cfg.StateDBURL, cfg.StateDBToken, turso.Options{Timeout: cfg.StateDBTimeout, AutoMigrate: cfg.AutoMigrate})
	if err != nil {
		return nil, fmt.Errorf("FRONTBASE_STATE_DB_URL: %w", err)
	}
	return s, nil
}

// OpenCache opens the shared cache FRONTBASE_REDIS_URL names, nil when
// none is configured. Nothing here touches the network.
func OpenCache(cfg *config.Config) (core.Cache, error) {
	switch {
	case cfg.RedisURL == "":
		return nil, nil
	case strings.HasPrefix(cfg.RedisURL, "redis://"), strings.HasPrefix(cfg.RedisURL, "rediss://"):
		if redisCache == nil {
			return nil, leftOut("FRONTBASE_REDIS_URL", "the Redis TCP client (redis://, rediss://)", "redis", "use Upstash's REST URL (https://) with FRONTBASE_REDIS_TOKEN")
		}
		c, err := redisCache(cfg.RedisURL, cfg.CacheTimeout)
		if err != nil {
			return nil, fmt.Errorf("FRONTBASE_REDIS_URL: %w", err)
		}
		return c, nil
	default:
		c, err := upstash.New(cfg.RedisURL, cfg.RedisToken, upstash.Options{Timeout: cfg.CacheTimeout})
		if err != nil {
			return nil, fmt.Errorf("FRONTBASE_REDIS_URL: %w", err)
		}
		return c, nil
	}
}

// OpenState opens the state store and the shared cache (nil when none is
// configured) the configuration names, for a process that writes state
// without serving it: the CLI's direct publish strategies.
func OpenState(ctx context.Context, cfg *config.Config) (State, core.Cache, error) {
	store, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	c, err := OpenCache(cfg)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, c, nil
}

// Migrate brings the configured state store's schema up to date. The local
// SQLite file migrates itself when opened; Turso on first use
// (FRONTBASE_AUTO_MIGRATE, the default) or here, with `frontbase migrate`.
func Migrate(ctx context.Context, cfg *config.Config) ([]string, error) {
	if cfg.Env == "cloud" {
		s, err := openTurso(cfg)
		if err != nil {
			return nil, err
		}
		defer s.Close()
		return s.Migrate(ctx)
	}
	store, err := OpenStore(ctx, cfg) // local: migrated when opened
	if err != nil {
		return nil, err
	}
	store.Close()
	return nil, nil
}

// NewWorkflows wires the actions engine on store: the guarded HTTP client
// with the operator's allow-list, and $env limited to the allowed
// variables. store is what the engine reads and writes (tests may wrap
// it); raw is the store as opened, which also keeps the data_change_trigger
// cursors and prunes execution records.
func NewWorkflows(store workflow.Store, raw State, sharedCache core.Cache, cfg *config.Config, logger *slog.Logger, tenantSecrets *secrets.Service) (*workflow.Service, error) {
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
		DataSources: data, Cursors: raw, Retention: &cfg.ExecutionRetention, Pruner: raw, Parallel: cfg.WorkflowParallel,
		Secrets: secretSource(tenantSecrets)}), nil
}

// NewSecrets wires the tenant secret blobs over the state store.
func NewSecrets(cfg *config.Config, st secrets.Store, logger *slog.Logger) *secrets.Service {
	return secrets.New(st, secrets.Options{Keys: cfg.SecretKeys, Tenant: cfg.Tenant, Logger: logger})
}

// secretSource keeps a nil *secrets.Service a nil interface.
func secretSource(s *secrets.Service) workflow.SecretSource {
	if s == nil {
		return nil
	}
	return s
}

// CountStore is the part of the state store that keeps page-view counters.
type CountStore interface {
	analytics.Sink
	analytics.Reader
}

// Counting is page-view counting as a configuration wires it.
type Counting struct {
	Reader   analytics.Reader // the counters' report
	Recorder analytics.Recorder
	Salts    *analytics.Salts
	// Flusher moves the buffered counters to the state store.
	Flusher *analytics.Flusher
}

// NewCounting wires page-view counting: into Redis with one pipelined
// call per view when a shared cache is configured, in process otherwise
// (the standalone server's timer and every tick of this process flush it).
// store is the state store as opened.
func NewCounting(cfg *config.Config, store CountStore, sharedCache core.Cache, logger *slog.Logger) Counting {
	// The visitor hash is salted with a random salt per day, shared by
	// every instance through the shared cache (or made in process without
	// one), so the same visitor hashes alike everywhere that day only.
	c := Counting{Reader: store, Salts: &analytics.Salts{Cache: sharedCache, Logger: logger}}
	f := &analytics.Flusher{Sink: store}
	if sharedCache != nil {
		rr := &analytics.RedisRecorder{Cache: sharedCache, Logger: logger}
		c.Recorder = rr
		f.Cache = sharedCache // also what an earlier run with counting on left
		f.Recorder = rr
	} else {
		m := analytics.NewMemory()
		c.Recorder = m
		f.Memory = m
	}
	if !cfg.Analytics { // FRONTBASE_ANALYTICS=off: nothing is counted; the report stays
		c.Recorder, c.Salts = nil, nil
	}
	c.Flusher = f
	return c
}

// Backend is the state an engine works on, with the parts that need no
// HTTP API: what a scheduled tick runs.
type Backend struct {
	Store     core.Store
	Cache     core.Cache // nil without a shared cache
	Workflows *workflow.Service
	Flusher   *analytics.Flusher
}

// Open opens the configured state and wires the actions engine and the
// counters' flusher, for a function that only runs ticks.
func Open(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*Backend, error) {
	store, c, err := OpenState(ctx, cfg)
	if err != nil {
		return nil, err
	}
	wf, err := NewWorkflows(store, store, c, cfg, logger, NewSecrets(cfg, store, logger))
	if err != nil {
		store.Close()
		if c != nil {
			c.Close()
		}
		return nil, err
	}
	return &Backend{Store: store, Cache: c, Workflows: wf, Flusher: NewCounting(cfg, store, c, logger).Flusher}, nil
}
