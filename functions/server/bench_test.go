package main

import (
	"io"
	"net/http/httptest"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// BenchmarkHandlerL1Hit measures one cached page request through the whole
// handler (middleware, routing, L1, headers), with and without the access
// log line, against a bare handler writing the same bytes.
func BenchmarkHandlerL1Hit(b *testing.B) {
	for _, level := range []string{"info", "warn"} {
		b.Run("log="+level, func(b *testing.B) {
			e := enginetest.Start(b, enginetest.Options{Env: map[string]string{"FRONTBASE_LOG_LEVEL": level}, LogSink: io.Discard})
			e.PublishDemo(b)
			req := httptest.NewRequest("GET", "/", nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				e.Handler.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}
