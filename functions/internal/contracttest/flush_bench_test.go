package contracttest_test

import (
	"context"
	"fmt"
	"testing"

	ct "github.com/frontbase/edge/functions/internal/contracttest"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// BenchmarkCacheFlush measures POST /api/cache/flush against a real
// redis-server (or the Upstash REST front) holding 10 000 of the tenant's
// responses and 10 000 other keys it must leave alone:
//
//	go test -run '^$' -bench CacheFlush -benchtime 5x ./functions/internal/contracttest/
func BenchmarkCacheFlush(b *testing.B) {
	for _, mode := range []string{"cloud-redis", "cloud-upstash"} {
		b.Run(mode, func(b *testing.B) {
			e := enginetest.Start(b, enginetest.Options{Mode: mode})
			rdb := e.Servers.Redis.Client()
			ctx := context.Background()
			seed := func() {
				pipe := rdb.Pipeline()
				for i := range 10_000 {
					pipe.Set(ctx, fmt.Sprintf("fb:v1:r:7|2026-12-03|_default|https://h%d.example|/p%d", i%50, i), "x", 0)
					pipe.Set(ctx, fmt.Sprintf("fb:v1:r:7|2026-12-03|other|https://h%d.example|/p%d", i%50, i), "x", 0)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				seed()
				b.StartTimer()
				r := ct.ControlPlane(b, e, ct.Call{Method: "POST", Path: "/api/cache/flush", Headers: ct.SystemKeyHeaders(e.Key)})
				b.StopTimer()
				if m := r.JSON(b); r.Status != 200 || m["l2Deleted"] != float64(10_000) {
					b.Fatalf("%d %s", r.Status, r.Body)
				}
				if n, _ := rdb.DBSize(ctx).Result(); n < 10_000 {
					b.Fatalf("other tenants' keys were deleted: %d left", n)
				}
				b.StartTimer()
			}
		})
	}
}
