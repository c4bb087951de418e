package ratelimittest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// BenchmarkPageRateLimits serves the cached home page through the whole
// handler with no rules, with rules for other paths only, and under a rule
// counted in process and in redis-server. Compare the first two with
// functions/server's BenchmarkHandlerL1Hit at the commit before rate limits:
//
//	go test -run X -bench PageRateLimits -benchmem ./functions/internal/ratelimittest
func BenchmarkPageRateLimits(b *testing.B) {
	elsewhere := func(e *enginetest.Engine) {
		for i := range 10 {
			manage(b, e, fmt.Sprintf(`{"id":"r%d","pathPattern":"/section-%d/*","limit":5,"windowSeconds":60,"key":"ip"}`, i, i))
		}
	}
	onHome := func(e *enginetest.Engine) {
		elsewhere(e)
		manage(b, e, `{"id":"home","pathPattern":"/","limit":1000000,"windowSeconds":1,"key":"ip"}`)
	}
	for _, bc := range []struct {
		name  string
		mode  string
		rules func(*enginetest.Engine)
	}{
		{"no-rules", "local", nil},
		{"rules-elsewhere", "local", elsewhere},
		{"limited-in-process", "local", onHome},
		{"limited-redis", "cloud-redis", onHome},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := enginetest.Start(b, enginetest.Options{Mode: bc.mode, LogSink: io.Discard, Env: map[string]string{"FRONTBASE_LOG_LEVEL": "warn"}})
			e.PublishDemo(b)
			if bc.rules != nil {
				bc.rules(e)
			}
			req := httptest.NewRequest("GET", "/", nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				e.Handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK && rec.Code != http.StatusTooManyRequests {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}

func manage(b *testing.B, e *enginetest.Engine, rule string) {
	resp, body := e.Do(b, "POST", "/api/ratelimits", strings.NewReader(rule), "X-System-Key", e.Key)
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%d %s", resp.StatusCode, body)
	}
}
