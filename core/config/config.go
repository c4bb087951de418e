// Package config reads the engine's settings from the environment. A bad
// or missing setting stops the start with one line naming the variable and
// what was expected.
package config

import (
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/clientip"
	"github.com/frontbase/edge/core/ratelimit"
	"github.com/frontbase/edge/core/secrets"
	"github.com/frontbase/edge/core/workflow"
)

// Config is everything the engine reads from its environment.
type Config struct {
	Env          string // "local" (SQLite file) or "cloud" (Turso over HTTP)
	LocalDBPath  string
	StateDBURL   string // cloud: libsql://, https:// or http://
	StateDBToken string
	RedisURL     string // optional L2: redis://, rediss:// or https:// (Upstash REST)
	RedisToken   string // Upstash REST token
	SystemKey    string // empty: management routes are closed
	BindAddr     string // the standalone server's listen host
	Port         int
	Tenant       string // the tenant whose pages the public routes serve
	MaxBodyBytes int64
	// MaxPageBytes (FRONTBASE_MAX_PAGE_BYTES, default 4 MiB) is the most
	// rendered HTML a published or previewed page may have: a bigger one is
	// refused with 413 at publish, not served as a platform's 502 later.
	MaxPageBytes int64
	L1TTL        time.Duration
	// CacheWait is the least a request waits for a shared-cache call
	// before going on without it (FRONTBASE_CACHE_WAIT; core/site).
	CacheWait time.Duration
	// CacheTimeout bounds one shared-cache command (FRONTBASE_CACHE_TIMEOUT;
	// 0: the adapters' own, 300 ms for Redis, 500 ms for Upstash).
	CacheTimeout time.Duration
	L1MaxBytes   int64
	LogLevel     slog.Level
	KeepVersions int  // site versions kept per tenant (FRONTBASE_KEEP_VERSIONS)
	Analytics    bool // count page views (FRONTBASE_ANALYTICS=on, the default, or off)
	// AutoMigrate (FRONTBASE_AUTO_MIGRATE=on, the default, or off): cloud
	// mode brings a database's schema up to date on first use; off, the
	// engine refuses to work on an old schema until `frontbase migrate`.
	AutoMigrate bool
	// StateDBTimeout (FRONTBASE_STATE_DB_TIMEOUT, default 5s) bounds each
	// call to the cloud state database; a publish of pages gets 6 times it.
	StateDBTimeout time.Duration

	// Actions engine: internal targets http_request may reach (hosts,
	// host:port, IPs, CIDRs) and the variables workflows may read as $env.
	WorkflowHTTPAllow string
	WorkflowEnvAllow  []string
	// SecretKeys open the tenant secret blobs (FRONTBASE_SECRETS_KEY,
	// FRONTBASE_SECRETS_KEY_OLD, else derived from FRONTBASE_SYSTEM_KEY).
	SecretKeys *secrets.Keys
	// DataSources are the databases data_request and data_change_trigger
	// reach, from FRONTBASE_DATASOURCES (datasources.go).
	DataSources []DataSource

	// Rate limits: the proxies whose X-Forwarded-For is believed (none by
	// default: the connection's address is the client), and how long one
	// count in Redis may take before the rule's failure policy applies.
	TrustedProxies   []netip.Prefix
	RateLimitTimeout time.Duration
	// ExecutionRetention is FRONTBASE_EXECUTION_RETENTION: how long, and
	// how many per workflow, execution records are kept.
	ExecutionRetention workflow.Retention
	// WorkflowParallel is FRONTBASE_WORKFLOW_PARALLEL: the most nodes of
	// one execution running at once, 1 to 64 (0: workflow.DefaultParallel).
	WorkflowParallel int

	// Security headers of published pages: who may frame them
	// (FRONTBASE_FRAME_ANCESTORS: 'self', 'none', * or origins, separated
	// by spaces or commas; default 'self'), FRONTBASE_REFERRER_POLICY
	// (default strict-origin-when-cross-origin) and FRONTBASE_CSP (a whole
	// Content-Security-Policy instead of the default one, or "off"). A
	// site's settings (securityHeaders) override the first two.
	FrameAncestors []string
	ReferrerPolicy string
	CSP            string

	// Auth is the sign-in provider of private pages, FRONTBASE_AUTH
	// (auth.go); its session cookies are sealed with SecretKeys.
	Auth Auth
}

// Defaults that make `make run` work with no environment at all.
const (
	DefaultLocalDBPath  = "data/pages.db"
	DefaultPort         = 3001
	DefaultBindAddr     = "127.0.0.1"
	DefaultMaxBodyBytes = 5 << 20
	// DefaultMaxPageBytes fits uncompressed under the smallest response
	// limit of the platforms (Vercel 4.5 MB; Lambda 6 MB; API Gateway 10 MB).
	DefaultMaxPageBytes   = 4 << 20
	DefaultL1TTL          = 60 * time.Second
	DefaultL1MaxBytes     = 64 << 20
	DefaultKeepVersions   = 20
	DefaultStateDBTimeout = 5 * time.Second
	DefaultCacheWait      = 25 * time.Millisecond
)

// Addr is the standalone server's listen address.
func (c *Config) Addr() string { return c.BindAddr + ":" + strconv.Itoa(c.Port) }

// Load reads the configuration through getenv (os.Getenv in production, a
// map in tests).
func Load(getenv func(string) string) (*Config, error) {
	r := reader{getenv: getenv}
	c := &Config{
		Env:          r.oneOf("FRONTBASE_ENV", "local", "local", "cloud"),
		LocalDBPath:  r.str("FRONTBASE_LOCAL_DB_PATH", DefaultLocalDBPath),
		SystemKey:    getenv("FRONTBASE_SYSTEM_KEY"),
		BindAddr:     r.str("FRONTBASE_BIND_ADDR", DefaultBindAddr),
		Port:         int(r.integer("PORT", DefaultPort, 1, 65535)),
		Tenant:       r.str("FRONTBASE_TENANT", "_default"),
		MaxBodyBytes: r.bytes("FRONTBASE_MAX_BODY_BYTES", DefaultMaxBodyBytes),
		MaxPageBytes: r.bytes("FRONTBASE_MAX_PAGE_BYTES", DefaultMaxPageBytes),
		L1TTL:        r.duration("FRONTBASE_L1_TTL", DefaultL1TTL),
		CacheWait:    r.duration("FRONTBASE_CACHE_WAIT", DefaultCacheWait),
		CacheTimeout: r.duration("FRONTBASE_CACHE_TIMEOUT", 0),
		L1MaxBytes:   r.bytesOrOff("FRONTBASE_L1_MAX_BYTES", DefaultL1MaxBytes),
		LogLevel:     r.level("FRONTBASE_LOG_LEVEL"),
		KeepVersions: r.keepVersions(),
		Analytics:    r.oneOf("FRONTBASE_ANALYTICS", "on", "on", "off") == "on",
		AutoMigrate:  r.oneOf("FRONTBASE_AUTO_MIGRATE", "on", "on", "off") == "on",
		StateDBURL:   r.alias("FRONTBASE_STATE_DB_URL", "TURSO_DATABASE_URL"),
		StateDBToken: r.alias("FRONTBASE_STATE_DB_TOKEN", "TURSO_AUTH_TOKEN"),
		RedisURL:     r.alias("FRONTBASE_REDIS_URL", "UPSTASH_REDIS_REST_URL"),
		RedisToken:   r.alias("FRONTBASE_REDIS_TOKEN", "UPSTASH_REDIS_REST_TOKEN"),

		WorkflowHTTPAllow: getenv("FRONTBASE_HTTP_ALLOW"),
		WorkflowEnvAllow:  strings.FieldsFunc(getenv("FRONTBASE_WORKFLOW_ENV_ALLOW"), func(r rune) bool { return r == ',' || r == ' ' }),
	}
	c.StateDBTimeout = r.duration("FRONTBASE_STATE_DB_TIMEOUT", DefaultStateDBTimeout)
	c.RateLimitTimeout = r.duration("FRONTBASE_RATELIMIT_TIMEOUT", ratelimit.DefaultTimeout)
	c.WorkflowParallel = int(r.integer("FRONTBASE_WORKFLOW_PARALLEL", 0, 1, 64))
	if r.err != nil {
		return nil, r.err
	}
	var err error
	if c.DataSources, err = parseDataSources(getenv("FRONTBASE_DATASOURCES"), getenv); err != nil {
		return nil, err
	}
	proxies, err := clientip.ParseTrusted(getenv("FRONTBASE_TRUSTED_PROXIES"))
	if err != nil {
		return nil, fmt.Errorf("FRONTBASE_TRUSTED_PROXIES: expected CIDRs or IPs separated by commas: %w", err)
	}
	c.TrustedProxies = proxies
	c.FrameAncestors = strings.FieldsFunc(getenv("FRONTBASE_FRAME_ANCESTORS"), func(r rune) bool { return r == ',' || r == ' ' })
	for _, a := range c.FrameAncestors {
		if !core.ValidFrameAncestor(a) {
			return nil, fmt.Errorf("FRONTBASE_FRAME_ANCESTORS: %q is not 'self', 'none', * or an origin such as https://builder.example.com", a)
		}
	}
	if c.ReferrerPolicy = strings.TrimSpace(getenv("FRONTBASE_REFERRER_POLICY")); c.ReferrerPolicy != "" && !slices.Contains(core.ReferrerPolicies, c.ReferrerPolicy) {
		return nil, fmt.Errorf("FRONTBASE_REFERRER_POLICY: expected one of %s", strings.Join(core.ReferrerPolicies, ", "))
	}
	if c.CSP = strings.TrimSpace(getenv("FRONTBASE_CSP")); strings.ContainsAny(c.CSP, "\r\n") {
		return nil, fmt.Errorf("FRONTBASE_CSP: must be one line")
	}
	if c.ExecutionRetention, err = workflow.ParseRetention(getenv("FRONTBASE_EXECUTION_RETENTION")); err != nil {
		return nil, fmt.Errorf("FRONTBASE_EXECUTION_RETENTION: %w", err)
	}
	if c.Env == "cloud" {
		switch scheme(c.StateDBURL) {
		case "":
			return nil, fmt.Errorf("FRONTBASE_STATE_DB_URL: required when FRONTBASE_ENV=cloud (or TURSO_DATABASE_URL): libsql://NAME.turso.io")
		case "libsql", "https", "http":
		default:
			return nil, fmt.Errorf("FRONTBASE_STATE_DB_URL: expected a libsql://, https:// or http:// URL")
		}
	}
	switch scheme(c.RedisURL) {
	case "", "redis", "rediss":
	case "https", "http":
		if c.RedisToken == "" {
			return nil, fmt.Errorf("FRONTBASE_REDIS_TOKEN: required with an Upstash REST URL (or UPSTASH_REDIS_REST_TOKEN)")
		}
	default:
		// The URL may hold a password: name the variable, never echo it.
		return nil, fmt.Errorf("FRONTBASE_REDIS_URL: expected redis://, rediss:// or an Upstash https:// REST URL")
	}
	if c.SystemKey != "" && len(c.SystemKey) < 16 {
		return nil, fmt.Errorf("FRONTBASE_SYSTEM_KEY: expected at least 16 characters (try: openssl rand -hex 32)")
	}
	if c.SecretKeys, err = secrets.ParseKeys(getenv("FRONTBASE_SECRETS_KEY"), getenv("FRONTBASE_SECRETS_KEY_OLD"), c.SystemKey); err != nil {
		return nil, err
	}
	if c.Auth, err = parseAuth(getenv("FRONTBASE_AUTH"), c.Tenant); err != nil {
		return nil, err
	}
	if c.Auth.Provider != "" && len(c.SecretKeys.Sources()) == 0 {
		return nil, fmt.Errorf("FRONTBASE_AUTH: sign-in needs FRONTBASE_SECRETS_KEY or FRONTBASE_SYSTEM_KEY to seal session cookies")
	}
	return c, nil
}

// scheme is the lower-case scheme of a URL-ish setting, "" when unset.
func scheme(raw string) string {
	if raw == "" {
		return ""
	}
	s, _, ok := strings.Cut(raw, "://")
	if !ok {
		return "none"
	}
	return strings.ToLower(s)
}

// reader keeps the first error so Load reads like a list of settings.
// KeepVersions reads FRONTBASE_KEEP_VERSIONS alone, with the same rule as
// Load, for the CLI: it opens a state store without an engine's settings.
func KeepVersions(getenv func(string) string) (int, error) {
	r := reader{getenv: getenv}
	n := r.keepVersions()
	return n, r.err
}

// MaxPageBytes reads FRONTBASE_MAX_PAGE_BYTES alone, with the same rule
// as Load, for the CLI's direct publishes.
func MaxPageBytes(getenv func(string) string) (int64, error) {
	r := reader{getenv: getenv}
	n := r.bytes("FRONTBASE_MAX_PAGE_BYTES", DefaultMaxPageBytes)
	return n, r.err
}

func (r *reader) keepVersions() int {
	return int(r.integer("FRONTBASE_KEEP_VERSIONS", DefaultKeepVersions, 1, 10000))
}

type reader struct {
	getenv func(string) string
	err    error
}

func (r *reader) fail(name, expected, got string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: expected %s, got %q", name, expected, got)
	}
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

// alias reads name, or else the platform's usual name for the same thing.
func (r *reader) alias(name, alias string) string {
	if v := r.str(name, ""); v != "" {
		return v
	}
	return r.str(alias, "")
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(r.str(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, "one of "+strings.Join(allowed, ", "), v)
	return def
}

func (r *reader) integer(name string, def, lo, hi int64) int64 {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		r.fail(name, fmt.Sprintf("an integer from %d to %d", lo, hi), v)
		return def
	}
	return n
}

// duration accepts Go durations ("90s", "2m") and bare seconds ("60").
func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "a positive duration such as 60s or 2m, or a number of seconds", v)
		return def
	}
	return d
}

// bytes accepts a byte count with an optional KiB/MiB/GiB suffix.
func (r *reader) bytes(name string, def int64) int64 {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	num, mult := v, int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(v, suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(v, suffix)), m
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		r.fail(name, "a positive number of bytes, optionally with KiB, MiB or GiB", v)
		return def
	}
	return n * mult
}

// bytesOrOff is bytes where "0" turns the thing off.
func (r *reader) bytesOrOff(name string, def int64) int64 {
	if r.str(name, "") == "0" {
		return 0
	}
	return r.bytes(name, def)
}

func (r *reader) level(name string) slog.Level {
	v := r.str(name, "info")
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		r.fail(name, "debug, info, warn or error", v)
	}
	return l
}
