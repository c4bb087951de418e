package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// TestADeadCacheCostsTheFirstRequestsLittle kills (connection refused) or
// pauses (SIGSTOP: connections accepted, nothing answers) Redis right
// after a publish, and serves pages no tier holds: every request is
// answered from the state store. Run with -v to see what each of the first
// requests took; numbers are reported, not asserted.
func TestADeadCacheCostsTheFirstRequestsLittle(t *testing.T) {
	paths := []string{"/", "/about", "/contact", "/pricing", "/docs/getting-started", "/sitemap.xml", "/robots.txt", "/no-such-page"}
	for _, mode := range cloudModes {
		for _, failure := range []string{"refused", "paused"} {
			t.Run(mode+"/"+failure, func(t *testing.T) {
				e := enginetest.Start(t, enginetest.Options{Mode: mode, Env: map[string]string{"FRONTBASE_L1_TTL": "1m", "FRONTBASE_CACHE_WAIT": ""}})
				e.PublishDemo(t) // empties L1: every path below is a miss
				if failure == "refused" {
					e.Servers.Redis.Stop()
				} else {
					e.Servers.Redis.Pause()
					t.Cleanup(e.Servers.Redis.Resume)
				}
				var took []string
				var total time.Duration
				for _, path := range paths {
					start := time.Now()
					resp, body := e.Do(t, "GET", path, nil)
					d := time.Since(start)
					total += d
					took = append(took, fmt.Sprintf("%s %.1fms", path, float64(d.Microseconds())/1000))
					want := 200
					if path == "/no-such-page" {
						want = 404
					}
					if resp.StatusCode != want || body == "" {
						t.Errorf("GET %s with Redis %s: %d, want %d", path, failure, resp.StatusCode, want)
					}
				}
				t.Logf("Redis %s, %s: first requests took %s; total %.1fms", failure, mode, strings.Join(took, ", "), float64(total.Microseconds())/1000)
			})
		}
	}
}
