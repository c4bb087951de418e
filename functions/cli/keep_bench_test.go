package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// BenchmarkPublishWithServedPages publishes one changed page (turso
// strategy, Upstash REST front) while an engine serves every page, and
// reports per publish: the publisher's round trips to the shared cache
// (HTTP requests through a counting proxy in front of the Upstash front),
// its Redis commands and Turso requests, and then what the first requests
// of all the unchanged cacheable pages cost a new engine in state-store
// requests (after one warm-up request that pays the per-process and
// per-generation reads).
//
//	go test -run '^$' -bench BenchmarkPublishWithServedPages -benchtime 3x ./functions/cli/
func BenchmarkPublishWithServedPages(b *testing.B) {
	for _, size := range []int{6, 500} {
		b.Run(fmt.Sprintf("%d-pages", size), func(b *testing.B) {
			servers := enginetest.StartServers(b, "cloud-upstash")
			var roundTrips atomic.Int64
			target, _ := url.Parse(servers.Upstash.URL)
			proxy := httputil.NewSingleHostReverseProxy(target)
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				roundTrips.Add(1)
				proxy.ServeHTTP(w, r)
			}))
			b.Cleanup(front.Close)
			e := enginetest.Start(b, enginetest.Options{Servers: servers, LogSink: discard{}, Env: map[string]string{"FRONTBASE_L1_TTL": "100ms"}})
			host := strings.TrimPrefix(e.URL, "http://")
			dir := benchSite(b, size)
			args := []string{"publish", "--strategy", "turso", "--db-url", servers.Turso.URL, "--redis-url", front.URL, "--redis-token", servers.Upstash.Token, dir}
			publish := func() {
				var out bytes.Buffer
				if code := run(context.Background(), args, env(nil), &out, &out); code != 0 {
					b.Fatalf("exit %d:\n%s", code, out.String())
				}
			}
			// The unchanged pages whose responses are shared in L2 (/pricing
			// varies per request, /members is not public).
			unchanged := []string{"/", "/contact", "/docs/getting-started"}
			for i := 7; i <= size; i++ {
				unchanged = append(unchanged, fmt.Sprintf("/page-%d", i))
			}
			publish()
			about := filepath.Join(dir, "about.json")
			original, _ := os.ReadFile(about)
			title := "About Acme"
			var rt, cmds, turso, firstStore int64
			var wall time.Duration
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
					if _, body := e.Do(b, "GET", "/about", nil); strings.Contains(body, "<title>"+title+"</title>") {
						break
					}
					if time.Now().After(deadline) {
						_, body := e.Do(b, "GET", "/about", nil)
						b.Fatalf("the engine does not serve %q: %.300s", title, body[strings.Index(body, "<title>"):])
					}
				}
				for _, p := range unchanged {
					e.Do(b, "GET", p, nil)
				}
				title = fmt.Sprintf("About Acme %d", i)
				os.WriteFile(about, bytes.ReplaceAll(original, []byte(`"title": "About Acme"`), []byte(`"title": "`+title+`"`)), 0o644)
				servers.Redis.ResetStats(b)
				rt0, t0 := roundTrips.Load(), servers.Turso.Requests()
				b.StartTimer()
				start := time.Now()
				publish()
				wall += time.Since(start)
				b.StopTimer()
				rt += roundTrips.Load() - rt0
				turso += servers.Turso.Requests() - t0
				for name, n := range servers.Redis.Calls(b) {
					if name != "config|resetstat" {
						cmds += n
					}
				}
				e2 := enginetest.Start(b, enginetest.Options{Servers: servers, LogSink: discard{}, Env: map[string]string{"FRONTBASE_L1_TTL": "1h"}})
				e2.Do(b, "GET", "/robots.txt", nil, "Host", host)
				s0 := servers.Turso.Requests()
				for _, p := range unchanged {
					e2.Do(b, "GET", p, nil, "Host", host)
				}
				firstStore += servers.Turso.Requests() - s0
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(float64(rt)/n, "cache-roundtrips/op")
			b.ReportMetric(float64(cmds)/n, "redis-cmds/op")
			b.ReportMetric(float64(turso)/n, "turso-req/op")
			b.ReportMetric(float64(firstStore)/n, "store-req-unchanged-first/op")
			b.ReportMetric(float64(len(unchanged)), "unchanged-pages")
			b.ReportMetric(float64(wall.Milliseconds())/n, "publish-ms/op")
		})
	}
}
