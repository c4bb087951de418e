package api

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/frontbase/edge/core/analytics"
)

// BenchmarkCountViewMemory is what counting adds to a page request when
// views aggregate in process: reading the request, the salted visitor
// hash, the counters.
func BenchmarkCountViewMemory(b *testing.B) {
	h := &handler{opts: Options{Analytics: Analytics{Recorder: analytics.NewMemory(), Salts: &analytics.Salts{}, Tenant: "_default"}}}
	r := httptest.NewRequest("GET", "http://www.acme.test/", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0")
	r.Header.Set("Referer", "https://news.example/story")
	r = r.WithContext(context.Background())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h.countView(r)
		}
	})
}
