package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// TestMain lets a test run the command line as another process: the test
// binary re-executes itself with FRONTBASE_CLI_CHILD=1.
func TestMain(m *testing.M) {
	if os.Getenv("FRONTBASE_CLI_CHILD") == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// runChild runs the CLI as a separate process and returns its output.
func runChild(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), append(env, "FRONTBASE_CLI_CHILD=1")...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		t.Fatal(err)
	}
	return string(out), 0
}

// copyDemo copies the demo pages to a directory the test may change.
func copyDemo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(enginetest.DemoDir(), "pages")
	files, err := filepath.Glob(filepath.Join(src, "*.json"))
	if err != nil || len(files) != 6 {
		t.Fatalf("demo pages: %v %d", err, len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func retitleAbout(t *testing.T, dir, title string) {
	t.Helper()
	p := filepath.Join(dir, "about.json")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.ReplaceAll(string(data), `"title": "About Acme"`, `"title": "`+title+`"`)
	if changed == string(data) {
		t.Fatal("about.json has no title to change")
	}
	if err := os.WriteFile(p, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls path on e until its body contains want, and returns how long it took.
func waitFor(t *testing.T, e *enginetest.Engine, path, want string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		resp, err := http.Get(e.URL + path)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && strings.Contains(string(body), want) {
				return time.Since(start)
			}
		}
		if time.Since(start) > limit {
			t.Fatalf("%s did not serve %q within %s", path, want, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLocalStrategyPublishesIntoTheFileAnEngineServes runs the CLI as
// another process writing the SQLite file a running engine serves.
func TestLocalStrategyPublishesIntoTheFileAnEngineServes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pages.db")
	const ttl = 200 * time.Millisecond
	e := enginetest.Start(t, enginetest.Options{Env: map[string]string{"FRONTBASE_LOCAL_DB_PATH": db, "FRONTBASE_L1_TTL": "200ms"}})
	if resp, _ := e.Do(t, "GET", "/about", nil); resp.StatusCode != 404 {
		t.Fatalf("/about before any publish = %d", resp.StatusCode)
	}
	dir := copyDemo(t)

	// Visitors read all along: never an error, whatever the writer does.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads, bad atomic.Int64
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := http.Get(e.URL + "/about")
			reads.Add(1)
			if err != nil || (resp.StatusCode != 200 && resp.StatusCode != 404) {
				bad.Add(1)
			}
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	})
	defer func() {
		close(stop)
		wg.Wait()
		if bad.Load() > 0 {
			t.Errorf("%d of %d visitor reads failed during the publishes", bad.Load(), reads.Load())
		}
	}()

	steps := []struct {
		name      string
		change    string // a new title for about.json, "" for none
		summary   string
		wantTitle string
		moves     bool // the generation moves
	}{
		{"first publish", "", "local: 6 published, 0 unchanged", "About Acme", true},
		{"same directory again", "", "local: 0 published, 6 unchanged", "About Acme", false},
		{"one page changed", "About Acme, revised", "local: 1 published, 5 unchanged", "About Acme, revised", true},
	}
	for _, st := range steps {
		if st.change != "" {
			retitleAbout(t, dir, st.change)
		}
		before, err := e.Store.Generation(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		out, code := runChild(t, []string{"PUBLISH_STRATEGY=local", "FRONTBASE_LOCAL_DB_PATH=" + db}, "publish", dir)
		wall := time.Since(start)
		if code != 0 || !strings.Contains(out, st.summary) {
			t.Fatalf("%s: exit %d, want summary %q:\n%s", st.name, code, st.summary, out)
		}
		after, err := e.Store.Generation(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if moved := after != before; moved != st.moves {
			t.Errorf("%s: generation %d -> %d, want moved=%v", st.name, before, after, st.moves)
		}
		if st.moves && after != before+1 {
			t.Errorf("%s: generation %d -> %d, want exactly one bump for the whole site", st.name, before, after)
		}
		took := waitFor(t, e, "/about", "<title>"+st.wantTitle+"</title>", 10*ttl)
		t.Logf("%s: CLI process %s; engine served it after %s (TTL %s)", st.name, wall.Round(time.Millisecond), took.Round(time.Millisecond), ttl)
	}
}

// TestTursoStrategyWritesOneBatch publishes straight into tursodb and
// announces in Redis while a cloud-mode engine serves the same database.
func TestTursoStrategyWritesOneBatch(t *testing.T) {
	servers := enginetest.StartServers(t, "cloud-redis")
	e := enginetest.Start(t, enginetest.Options{Servers: servers, Env: map[string]string{"FRONTBASE_L1_TTL": "200ms"}})
	dir := copyDemo(t)
	// The engine learns the generation before the publish, so serving the
	// new page proves it noticed a write it did not make.
	if resp, _ := e.Do(t, "GET", "/about", nil); resp.StatusCode != 404 {
		t.Fatalf("/about before any publish = %d", resp.StatusCode)
	}
	args := []string{"publish", "--strategy", "turso", "--db-url", servers.Turso.URL, "--redis-url", servers.Redis.URL, dir}
	tests := []struct {
		name                string
		change              string
		summary             string
		wantTurso           int64 // HTTP requests to the database
		wantRedisCalls      int64 // generation announcements (SetMax)
		wantTitleAfterwards string
	}{
		// schema check + one read (stored hashes, settings, generation) + one batch
		{"first publish", "", "turso: 6 published, 0 unchanged", 3, 1, "About Acme"},
		// schema check + the read; nothing written, nothing announced
		{"same directory again", "", "turso: 0 published, 6 unchanged", 2, 0, "About Acme"},
		// schema check + the read + the batch + the listing of the pages
		// whose shared-cache entries are kept (core/site/keep.go), made
		// because the engine recorded the base URL it serves
		{"one page changed", "About Acme, revised", "turso: 1 published, 5 unchanged", 4, 1, "About Acme, revised"},
	}
	for _, tt := range tests {
		if tt.change != "" {
			retitleAbout(t, dir, tt.change)
		}
		// Let the engine settle so that only the publisher talks to the servers.
		time.Sleep(300 * time.Millisecond)
		servers.Redis.ResetStats(t)
		before := servers.Turso.Requests()
		var out bytes.Buffer
		start := time.Now()
		code := run(context.Background(), args, env(nil), &out, &out)
		wall := time.Since(start)
		turso := servers.Turso.Requests() - before
		// The announcement is one SetMax: one EVALSHA round trip (the GET
		// and SET in commandstats run inside that script), after the
		// HELLO of the publisher's new connection.
		calls := servers.Redis.Calls(t)
		redisCalls := calls["evalsha"] + calls["eval"]
		if code != 0 || !strings.Contains(out.String(), tt.summary) {
			t.Fatalf("%s: exit %d, want %q:\n%s", tt.name, code, tt.summary, out.String())
		}
		if turso != tt.wantTurso {
			t.Errorf("%s: %d Turso requests, want %d", tt.name, turso, tt.wantTurso)
		}
		if redisCalls != tt.wantRedisCalls {
			t.Errorf("%s: %d SetMax scripts run in Redis, want %d (%v)", tt.name, redisCalls, tt.wantRedisCalls, calls)
		}
		took := waitFor(t, e, "/about", "<title>"+tt.wantTitleAfterwards+"</title>", 5*time.Second)
		t.Logf("%s: %s, %d Turso requests, Redis %v; engine served it after %s", tt.name, wall.Round(time.Millisecond), turso, calls, took.Round(time.Millisecond))
	}
}

func TestPublishStrategyChoice(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"DIR"}, nil, "api"},
		{[]string{"DIR"}, map[string]string{"PUBLISH_STRATEGY": "local"}, "local"},
		{[]string{"--url", "http://x", "DIR"}, map[string]string{"PUBLISH_STRATEGY": "local"}, "api"},
		{[]string{"--strategy", "turso", "DIR"}, map[string]string{"PUBLISH_STRATEGY": "local"}, "turso"},
		{[]string{"-strategy=local", "--url=http://x", "DIR"}, nil, "local"},
		{[]string{"--", "--strategy", "local"}, nil, "api"},
	}
	for _, tt := range tests {
		if got := publishStrategy(tt.args, env(tt.env)); got != tt.want {
			t.Errorf("publishStrategy(%q, %v) = %q, want %q", tt.args, tt.env, got, tt.want)
		}
	}
}

func TestDirectPublishRefusesBadInput(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pages.db")
	broken := copyDemo(t)
	os.WriteFile(filepath.Join(broken, "a-broken.json"), []byte(`{"page": {"id": "x", "layoutData": {"content": [{}]}}}`), 0o644)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string
	}{
		{"an invalid file stops the whole site", []string{"publish", "--strategy", "local", "--db", db, broken}, nil, 1, "1 invalid file(s): nothing was published"},
		{"field details are shown", []string{"publish", "--strategy", "local", "--db", db, broken}, nil, 1, "layoutData.content[0].type: required"},
		{"unknown strategy", []string{"publish", "--strategy", "ftp", broken}, nil, 2, `unknown strategy "ftp"`},
		{"turso needs a URL", []string{"publish", "--strategy", "turso", broken}, nil, 2, "needs --db-url"},
		{"no directory", []string{"publish", "--strategy", "local", "--db", db}, nil, 2, "no directory: name the directory of page files"},
		{"an empty directory", []string{"publish", "--strategy", "local", "--db", db, t.TempDir()}, nil, 1, "no *.json page files"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		code := run(context.Background(), tt.args, env(tt.env), &out, &out)
		if code != tt.code || !strings.Contains(out.String(), tt.want) {
			t.Errorf("%s: exit %d, want %d with %q:\n%s", tt.name, code, tt.code, tt.want, out.String())
		}
	}
	// Nothing reached the database: the refused publishes did not even create it.
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("the database exists after refused publishes: %v", err)
	}
}

// TestDirectPublishRefusesAPageOverTheSizeLimit: the direct strategies go
// through the same publish path as the engine, with the same limit on a
// page's rendered HTML (FRONTBASE_MAX_PAGE_BYTES), and write nothing.
func TestDirectPublishRefusesAPageOverTheSizeLimit(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pages.db")
	dir := copyDemo(t)
	big := `{"page": {"id": "big", "slug": "big", "name": "Big", "title": "Big", "isPublic": true,
		"layoutData": {"content": [{"id": "h1", "type": "Heading", "props": {"text": "` + strings.Repeat("a", 70<<10) + `"}}], "root": {}}}}`
	os.WriteFile(filepath.Join(dir, "big.json"), []byte(big), 0o644)
	tests := []struct {
		name  string
		limit string
		code  int
		want  []string
	}{
		{"over the limit", "64KiB", 1, []string{"big.json: rendered HTML is 70.", "over the 64 KiB limit (FRONTBASE_MAX_PAGE_BYTES)"}},
		{"a bad setting is named", "lots", 1, []string{"FRONTBASE_MAX_PAGE_BYTES: expected a positive number of bytes"}},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		code := run(context.Background(), []string{"publish", "--strategy", "local", "--db", db, dir}, env(map[string]string{"FRONTBASE_MAX_PAGE_BYTES": tt.limit}), &out, &out)
		if code != tt.code || !strings.Contains(out.String(), tt.want[0]) || !strings.Contains(out.String(), tt.want[len(tt.want)-1]) {
			t.Errorf("%s: exit %d, want %d with %q:\n%s", tt.name, code, tt.code, tt.want, out.String())
		}
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"versions", "--strategy", "local", "--db", db}, env(nil), &out, &out); code != 0 || !strings.Contains(out.String(), "no site versions yet") {
		t.Errorf("a refused publish wrote a site version:\n%s", out.String())
	}
	// With the default limit (4 MiB) the same directory publishes.
	out.Reset()
	if code := run(context.Background(), []string{"publish", "--strategy", "local", "--db", db, dir}, env(nil), &out, &out); code != 0 {
		t.Errorf("default limit: exit %d:\n%s", code, out.String())
	}
}
