package lambda_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkColdStart measures exec to first response: the edge and flush
// bootstraps and a minimal aws-lambda-go bootstrap (testdata/minimal), all
// built with the deploy's flags and driven by the same Runtime API harness,
// one after the other in each round so they share the machine's load; and
// the standalone server, exec to its first 200. It reports the median of
// the rounds and the edge/minimal ratio. scripts/bench-coldstart.sh runs it.
//
// Each function starts in cloud mode (what the Lambda build links: Turso,
// here a tursodb on loopback) on a database that is already migrated, and
// answers one event: the edge and minimal bootstraps GET /api/health as payload 2.0,
// the flush one scheduled event. The server starts in local mode (it links
// SQLite, and a start in cloud mode is dominated by its first tick's
// round trips to the database), on a SQLite file migrated once.
func BenchmarkColdStart(b *testing.B) {
	edge, flush := built(b)
	dir := b.TempDir()
	minimal := filepath.Join(dir, "minimal", "bootstrap")
	server := filepath.Join(dir, "server")
	for out, pkg := range map[string]string{minimal: "./testdata/minimal", server: "../server"} {
		args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg}
		if pkg != "../server" {
			args = append(args[:1], append([]string{"-tags", "lambda.norpc"}, args[1:]...)...)
		}
		cmd := exec.Command("go", args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, msg)
		}
	}
	env := append(cloudEnv(b), "FRONTBASE_LOG_LEVEL=warn")
	health := v2Event(req{method: "GET", path: "/api/health"}, "abc123.execute-api.eu-west-1.amazonaws.com")
	scheduled := []byte(`{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events","account":"1","time":"2026-11-22T01:00:00Z","region":"eu-west-1","resources":[],"detail":{}}`)
	coldStart(b, flush, scheduled, env) // migrates the database once
	local := []string{"FRONTBASE_LOCAL_DB_PATH=" + filepath.Join(dir, "pages.db"), "FRONTBASE_SYSTEM_KEY=" + key, "FRONTBASE_LOG_LEVEL=warn"}
	serverStart(b, server, local) // migrates pages.db once

	samples := map[string][]time.Duration{}
	for b.Loop() {
		samples["minimal"] = append(samples["minimal"], coldStart(b, minimal, health, nil))
		samples["edge"] = append(samples["edge"], coldStart(b, edge, health, env))
		samples["flush"] = append(samples["flush"], coldStart(b, flush, scheduled, env))
		samples["server"] = append(samples["server"], serverStart(b, server, local))
	}
	med := map[string]float64{}
	for name, s := range samples {
		slices.Sort(s)
		med[name] = float64(s[len(s)/2].Microseconds()) / 1000
		b.ReportMetric(med[name], name+"-ms")
	}
	b.ReportMetric(med["edge"]/med["minimal"], "edge/minimal")
	b.ReportMetric(med["flush"]/med["minimal"], "flush/minimal")
	for _, bin := range []string{minimal, edge, flush, server} {
		if st, err := os.Stat(bin); err == nil {
			b.Logf("%s: %.1f MB", bin, float64(st.Size())/1e6)
		}
	}
}

// coldStart starts bin under a fresh Runtime API and returns the time from
// exec to the function's response to event.
func coldStart(b *testing.B, bin string, event []byte, env []string) time.Duration {
	api := newRuntimeAPI(b)
	inv := api.enqueue(event)
	start := time.Now()
	fn := startFunction(b, bin, api, env...)
	res := inv.wait(b, fn)
	d := time.Since(start)
	if res.kind != "response" {
		b.Fatalf("%s: %s %s", bin, res.kind, res.body)
	}
	fn.stop()
	api.srv.Close()
	return d
}

// serverStart starts the standalone server on a free port and returns the
// time from exec to its first 200 on /api/health, polled without pause.
func serverStart(b *testing.B, bin string, env []string) time.Duration {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "PORT=" + fmt.Sprint(port), "FRONTBASE_BIND_ADDR=127.0.0.1"}, env...)
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	url := fmt.Sprintf("http://127.0.0.1:%d/api/health", port)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	for deadline := start.Add(20 * time.Second); time.Now().Before(deadline); {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return time.Since(start)
			}
		}
	}
	b.Fatalf("%s: no 200 on %s in 20 s", bin, url)
	return 0
}
