// Package enginetest starts a real, fully wired engine (SQLite file in a
// temporary directory) behind a loopback HTTP server for tests.
package enginetest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/frontbase/edge/adapters/testservers"
	"github.com/frontbase/edge/adapters/turso"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/analytics"
	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/core/publish"
	_ "github.com/frontbase/edge/functions/internal/backend/withredis"  // the engines started here run every mode
	_ "github.com/frontbase/edge/functions/internal/backend/withsqlite" // the engines started here run every mode
	"github.com/frontbase/edge/functions/internal/engine"
)

// Key is the system key engines started here use unless told otherwise.
const Key = "test-key-0123456789abcdef"

// Engine is a running engine.
type Engine struct {
	URL     string
	Handler http.Handler
	Servers *Servers // nil in local mode
	Key     string
	Store   *CountingStore
	Logs    *SyncBuffer
	Flusher *analytics.Flusher // moves counted page views to the store
}

// Options tune Start. Env entries override the defaults (a temporary
// SQLite file and Key); set FRONTBASE_SYSTEM_KEY to "" to close the API.
type Options struct {
	Env     map[string]string
	LogSink io.Writer // where logs go instead of Engine.Logs (benchmarks discard them)
	// Mode is one of Modes: local (SQLite), or cloud mode on real servers
	// (tursodb, with Redis over TCP or the Upstash REST front as L2).
	Mode string
	// Servers, when set, are the cloud servers to use (two engines sharing
	// one database and cache); otherwise a cloud Mode starts its own.
	Servers *Servers
}

// Modes are the deployments every page test runs in.
var Modes = []string{"local", "cloud-redis", "cloud-upstash"}

// Servers are the real servers a cloud-mode engine uses.
type Servers struct {
	Turso   *testservers.Turso
	Redis   *testservers.Redis
	Upstash *testservers.Upstash // nil for cloud-redis
}

// StartServers starts tursodb (migrated) and Redis, fronted by the Upstash
// REST shim in cloud-upstash mode.
func StartServers(t testing.TB, mode string) *Servers {
	t.Helper()
	s := StartFreshServers(t, mode)
	store, err := turso.Open(s.Turso.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// StartFreshServers is StartServers with a database nobody migrated, as a
// new deploy finds it.
func StartFreshServers(t testing.TB, mode string) *Servers {
	t.Helper()
	s := &Servers{Turso: testservers.StartTurso(t), Redis: testservers.StartRedis(t)}
	if mode == "cloud-upstash" {
		s.Upstash = testservers.StartUpstash(t, s.Redis)
	}
	return s
}

// env is the configuration that points an engine at these servers.
func (s *Servers) env() map[string]string {
	env := map[string]string{"FRONTBASE_ENV": "cloud", "FRONTBASE_STATE_DB_URL": s.Turso.URL, "FRONTBASE_REDIS_URL": s.Redis.URL}
	if s.Upstash != nil {
		env["FRONTBASE_REDIS_URL"], env["FRONTBASE_REDIS_TOKEN"] = s.Upstash.URL, s.Upstash.Token
	}
	return env
}

// Start wires and serves an engine until the test ends.
func Start(t testing.TB, opts Options) *Engine {
	t.Helper()
	env := map[string]string{
		"FRONTBASE_LOCAL_DB_PATH": filepath.Join(t.TempDir(), "pages.db"),
		"FRONTBASE_SYSTEM_KEY":    Key,
		// Tests that count L2 hits must not see a loaded machine's stall
		// as a hung cache; tests of a hung cache set it back to "".
		"FRONTBASE_CACHE_WAIT": "250ms",
		// A loaded machine can hold a cache command past the adapters'
		// 300/500 ms; a guard then counts in process and a limit is exceeded.
		// Tests of exact limits need the cache to answer.
		"FRONTBASE_CACHE_TIMEOUT": "5s",
		// Turso requests get 5 s (publishes 6x that) by default; a tursodb
		// under a loaded machine took over 30 s to write 500 pages. Tests
		// count requests and results, not time.
		"FRONTBASE_STATE_DB_TIMEOUT": "20s",
	}
	if opts.Servers == nil && strings.HasPrefix(opts.Mode, "cloud") {
		opts.Servers = StartServers(t, opts.Mode)
	}
	if opts.Servers != nil {
		maps.Copy(env, opts.Servers.env())
	}
	maps.Copy(env, opts.Env)
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &SyncBuffer{}
	var sink io.Writer = logs
	if opts.LogSink != nil {
		sink = opts.LogSink
	}
	logger := slog.New(slog.NewJSONHandler(sink, &slog.HandlerOptions{Level: cfg.LogLevel}))
	var counting *CountingStore
	eng, err := engine.New(context.Background(), cfg, logger, func(s core.Store) core.Store {
		counting = &CountingStore{Store: s}
		return counting
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(eng.Handler)
	t.Cleanup(func() {
		srv.Close()
		eng.Close()
	})
	return &Engine{URL: srv.URL, Handler: eng.Handler, Servers: opts.Servers, Key: cfg.SystemKey, Store: counting, Logs: logs, Flusher: eng.Flusher}
}

// DemoDir is the repository's demo content: the control plane's fixtures.
func DemoDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "scripts", "demo")
}

// PublishDemo publishes the demo settings and pages through the API.
func (e *Engine) PublishDemo(t testing.TB) {
	t.Helper()
	results, err := publish.Push(context.Background(), publish.Options{
		URL: e.URL, Key: e.Key, Dir: filepath.Join(DemoDir(), "pages"), SettingsFile: filepath.Join(DemoDir(), "settings.json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Fatalf("publishing %s: %v", r.File, r.Err)
		}
	}
}

// Do sends a request; headers alternate name, value.
func (e *Engine) Do(t testing.TB, method, path string, body io.Reader, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if http.CanonicalHeaderKey(headers[i]) == "Host" {
			req.Host = headers[i+1] // as a proxy or a CDN in front would send it
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	// No transparent gzip and no redirect following: tests check exactly
	// what the engine sends.
	client := &http.Client{
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(data)
}

// Manage sends an authenticated management request.
func (e *Engine) Manage(t testing.TB, method, path, body string) (*http.Response, string) {
	t.Helper()
	return e.Do(t, method, path, strings.NewReader(body), "X-System-Key", e.Key, "Content-Type", "application/json")
}

// CountingStore counts the reads that reach the state store, so tests can
// tell a cache hit from a store read.
type CountingStore struct {
	core.Store
	reads atomic.Int64
}

func (c *CountingStore) Reads() int64 { return c.reads.Load() }

func (c *CountingStore) LoadPage(ctx context.Context, q core.PageQuery) (*core.PageBundle, error) {
	c.reads.Add(1)
	return c.Store.LoadPage(ctx, q)
}

func (c *CountingStore) ListPages(ctx context.Context, tenant string) ([]core.PageSummary, error) {
	c.reads.Add(1)
	return c.Store.ListPages(ctx, tenant)
}

func (c *CountingStore) Settings(ctx context.Context, tenant string) (*core.Settings, error) {
	c.reads.Add(1)
	return c.Store.Settings(ctx, tenant)
}

func (c *CountingStore) Generation(ctx context.Context) (int64, error) {
	c.reads.Add(1)
	return c.Store.Generation(ctx)
}

// SyncBuffer is a goroutine-safe log sink.
type SyncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// OversizedDocumentPage is a publish body for the page "big", which
// renders to 4 MB of HTML (1,000,000 '<' written as &lt;, under
// FRONTBASE_MAX_PAGE_BYTES) while its document, as
// GET /api/manage/pages/big answers it, is 6 MB (Go's JSON writes each <
// as \u003c): a management answer over Vercel's limit.
func OversizedDocumentPage() string {
	return fmt.Sprintf(`{"page": {"id": "big", "slug": "big", "name": "Big", "title": "Big", "isPublic": true,
		"layoutData": {"content": [{"id": "h1", "type": "Heading", "props": {"text": %q, "level": "h1"}}], "root": {}}}}`, strings.Repeat("<", 1_000_000))
}
