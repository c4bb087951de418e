package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// benchSite writes a site of n pages: the six demo pages, then copies of
// the about page at slugs page-7 ... page-n. "force" is dropped so that
// the api strategy skips unchanged pages as the direct ones do.
func benchSite(b testing.TB, n int) string {
	b.Helper()
	dir := b.TempDir()
	src, _ := filepath.Glob(filepath.Join(enginetest.DemoDir(), "pages", "*.json"))
	var about string
	for _, f := range src {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		doc := strings.Replace(string(data), `"force": true`, `"force": false`, 1)
		if filepath.Base(f) == "about.json" {
			about = doc
		}
		os.WriteFile(filepath.Join(dir, filepath.Base(f)), []byte(doc), 0o644)
	}
	for i := len(src) + 1; i <= n; i++ {
		doc := strings.NewReplacer(`"slug": "about"`, fmt.Sprintf(`"slug": "page-%d"`, i),
			`"id": "`, fmt.Sprintf(`"id": "gen-%d-`, i), `"title": "About Acme"`, fmt.Sprintf(`"title": "Page %d"`, i)).Replace(about)
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("page-%04d.json", i)), []byte(doc), 0o644)
	}
	return dir
}

// BenchmarkPublish publishes a site of 6 and of 500 pages with each
// strategy, after a first full publish: every iteration changes one page.
// Reported per publish: HTTP requests to the engine (api strategies; api-per-page is an engine without POST /api/import/site, the fallback, as every api publish was before that route), Turso HTTP requests (the counting proxy in front
// of tursodb) and Redis commands (commandstats), besides the time; the
// first publish's numbers are reported as first-*.
//
//	go test -run '^$' -bench BenchmarkPublish -benchtime 5x ./functions/cli/
func BenchmarkPublish(b *testing.B) {
	for _, size := range []int{6, 500} {
		for _, strategy := range []string{"local", "turso", "api", "api-per-page"} {
			b.Run(fmt.Sprintf("%s/%d-pages", strategy, size), func(b *testing.B) {
				servers := enginetest.StartServers(b, "cloud-redis")
				dir := benchSite(b, size)
				environ := env(nil)
				var args []string
				var requests *requestLog
				switch strategy {
				case "local":
					args = []string{"publish", "--strategy", "local", "--db", filepath.Join(b.TempDir(), "pages.db"), dir}
				case "turso":
					args = []string{"publish", "--strategy", "turso", "--db-url", servers.Turso.URL, "--redis-url", servers.Redis.URL, dir}
				case "api", "api-per-page":
					// api-per-page is the engine without POST
					// /api/import/site: the fallback, as before the route.
					e := enginetest.Start(b, enginetest.Options{Servers: servers, LogSink: discard{}})
					var url string
					url, requests = countingFront(b, e, strategy == "api-per-page")
					args = []string{"publish", "--url", url, dir}
					environ = env(map[string]string{"FRONTBASE_SYSTEM_KEY": e.Key})
				}
				var httpTotal int64
				publishOnce := func() (turso, redis int64) {
					servers.Redis.ResetStats(b)
					if requests != nil {
						requests.take()
					}
					before := servers.Turso.Requests()
					var out bytes.Buffer
					if code := run(context.Background(), args, environ, &out, &out); code != 0 {
						b.Fatalf("exit %d:\n%s", code, out.String())
					}
					if requests != nil {
						httpTotal += int64(len(requests.take()))
					}
					for name, n := range servers.Redis.Calls(b) {
						if name != "config|resetstat" {
							redis += n
						}
					}
					return servers.Turso.Requests() - before, redis
				}
				firstTurso, firstRedis := publishOnce()
				firstHTTP := httpTotal
				httpTotal = 0
				about := filepath.Join(dir, "about.json")
				original, _ := os.ReadFile(about)
				var tursoTotal, redisTotal int64
				b.ResetTimer()
				for i := range b.N {
					b.StopTimer()
					os.WriteFile(about, bytes.Replace(original, []byte(`"title": "About Acme"`), fmt.Appendf(nil, `"title": "About Acme %d"`, i), 1), 0o644)
					b.StartTimer()
					turso, redis := publishOnce()
					tursoTotal += turso
					redisTotal += redis
				}
				b.ReportMetric(float64(tursoTotal)/float64(b.N), "turso-req/op")
				b.ReportMetric(float64(redisTotal)/float64(b.N), "redis-cmds/op")
				// After the loop: ResetTimer drops metrics reported before it.
				if requests != nil {
					b.ReportMetric(float64(httpTotal)/float64(b.N), "http-req/op")
					b.ReportMetric(float64(firstHTTP), "first-http-req")
				}
				b.ReportMetric(float64(firstTurso), "first-turso-req")
				b.ReportMetric(float64(firstRedis), "first-redis-cmds")
			})
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
