// Package testservers starts the real servers cloud-mode tests run against,
// on free loopback ports: Debian's redis-server, the tursodb server from
// the npm package turso (behind a proxy that counts its requests), and an
// Upstash-REST-compatible front over the real Redis.
//
// scripts/deps.sh installs the servers. Without them a test skips locally
// and fails in CI (CI=true): CI must never pass by skipping.
package testservers

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Missing stops a test that cannot get a server: a skip locally, a
// failure in CI.
func Missing(t testing.TB, what string) {
	t.Helper()
	msg := what + " is not installed: run scripts/deps.sh (make test does)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// NeedsServers skips a test under `go test -short` (`make check`, the fast
// loop with no outside server); `make test` and CI never pass -short, so
// there the test runs, or fails through Missing.
func NeedsServers(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs " + what + ": skipped by -short (make check); make test runs it")
	}
}

// FreePort returns a loopback port that is free right now.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// process is a server binary that can be killed and started again on the
// same port and data, to test what happens when a dependency dies.
type process struct {
	t    testing.TB
	name string
	args []string
	dir  string
	addr string

	mu  sync.Mutex
	cmd *exec.Cmd
}

func (p *process) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return
	}
	cmd := exec.Command(p.name, p.args...)
	cmd.Dir = p.dir
	log, err := os.OpenFile(filepath.Join(p.dir, filepath.Base(p.name)+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	p.cmd = cmd
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", p.addr, 100*time.Millisecond)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(log.Name())
			p.t.Fatalf("%s did not listen on %s within 15s:\n%s", p.name, p.addr, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server at once, as a crash would.
func (p *process) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
	p.cmd = nil
}

// Pause stops the server with SIGSTOP: it keeps its port, and the kernel
// still accepts connections, but nothing answers (a hung or blackholed
// server). Resume continues it; Stop also ends a paused server.
func (p *process) Pause() { p.signal(syscall.SIGSTOP) }

// Resume continues a paused server.
func (p *process) Resume() { p.signal(syscall.SIGCONT) }

func (p *process) signal(sig os.Signal) {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		p.t.Fatalf("%s is not running", p.name)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %s: %v", p.name, err)
	}
}

// Redis is a running redis-server.
type Redis struct {
	*process
	URL    string
	client *goredis.Client
}

// StartRedis starts redis-server on a free port until the test ends.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	NeedsServers(t, "redis-server")
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		Missing(t, "redis-server")
	}
	port := FreePort(t)
	dir := t.TempDir()
	r := &Redis{
		process: &process{t: t, name: bin, dir: dir, addr: "127.0.0.1:" + strconv.Itoa(port),
			args: []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir}},
		URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port),
	}
	r.Start()
	r.client = goredis.NewClient(&goredis.Options{Addr: r.addr})
	t.Cleanup(func() {
		r.client.Close()
		r.Stop()
	})
	return r
}

// Client is a plain client of the server, for assertions and set-up.
func (r *Redis) Client() *goredis.Client { return r.client }

// FlushAll empties Redis, as an operator (or an eviction storm) might.
func (r *Redis) FlushAll(t testing.TB) {
	t.Helper()
	if err := r.client.FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}

// Calls returns how many commands the server has run, by lower-case name,
// from INFO commandstats; ResetStats starts the count again.
func (r *Redis) Calls(t testing.TB) map[string]int64 {
	t.Helper()
	info, err := r.client.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			if n, ok := strings.CutPrefix(kv, "calls="); ok {
				calls[strings.TrimPrefix(name, "cmdstat_")], _ = strconv.ParseInt(n, 10, 64)
			}
		}
	}
	return calls
}

// ResetStats zeroes the command counters.
func (r *Redis) ResetStats(t testing.TB) {
	t.Helper()
	if err := r.client.ConfigResetStat(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}

// Turso is a running tursodb server behind a request-counting proxy.
type Turso struct {
	*process
	URL      string // the proxy's URL: what the engine uses
	requests atomic.Int64
}

// Requests is how many HTTP requests reached the database.
func (tu *Turso) Requests() int64 { return tu.requests.Load() }

// StartTurso starts `tursodb FILE --sync-server` on a free port.
func StartTurso(t testing.TB) *Turso {
	t.Helper()
	NeedsServers(t, "tursodb")
	bin := os.Getenv("FRONTBASE_TURSODB")
	if bin == "" {
		bin = filepath.Join(RepoRoot(), ".deps", "node_modules", "@tursodatabase", "cli-linux-x64-gnu", "tursodb")
	}
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("tursodb"); err != nil {
			Missing(t, "tursodb (npm package turso)")
		}
	}
	port := FreePort(t)
	dir := t.TempDir()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	tu := &Turso{process: &process{t: t, name: bin, dir: dir, addr: addr,
		args: []string{filepath.Join(dir, "state.db"), "--sync-server", addr}}}
	tu.Start()
	target, _ := url.Parse("http://" + addr)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tu.requests.Add(1)
		proxy.ServeHTTP(w, r)
	}))
	tu.URL = front.URL
	t.Cleanup(func() {
		front.Close()
		tu.Stop()
	})
	return tu
}
