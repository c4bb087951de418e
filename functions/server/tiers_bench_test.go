package main

import (
	"context"
	"database/sql"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/tursodatabase/libsql-client-go/libsql"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// BenchmarkTiers compares a page request served from each tier with the
// raw call to the server behind that tier, in the same run, on real
// servers (scripts/bench-tiers.sh prints the ratios):
//
//	l2-hit          GET / through the whole handler with L1 off, from Redis
//	raw-redis-get   one GET of the same L2 entry with a plain client
//	l3-fill         GET / with L1 off and L2 flushed: Turso, then an L2 write
//	raw-turso-query the page row from tursodb with a plain client
func BenchmarkTiers(b *testing.B) {
	servers := enginetest.StartServers(b, "cloud-redis")
	// L1 off: every request goes to the tiers below.
	e := enginetest.Start(b, enginetest.Options{Mode: "cloud-redis", Servers: servers, LogSink: io.Discard,
		Env: map[string]string{"FRONTBASE_L1_MAX_BYTES": "0", "FRONTBASE_L1_TTL": "1h"}})
	e.PublishDemo(b)
	ctx := context.Background()
	get := func(b *testing.B, want string) {
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != 200 || rec.Header().Get("X-Frontbase-Cache") != want {
			b.Fatalf("GET / = %d from %q, want 200 from %s", rec.Code, rec.Header().Get("X-Frontbase-Cache"), want)
		}
	}
	get(b, "l3") // fills L2

	redis := servers.Redis.Client()
	keys, err := redis.Keys(ctx, "fb:v1:r:*").Result()
	if err != nil || len(keys) == 0 {
		b.Fatalf("no L2 entry to read: %v %v", keys, err)
	}

	b.Run("l2-hit", func(b *testing.B) {
		for b.Loop() {
			get(b, "l2-hit")
		}
	})
	b.Run("raw-redis-get", func(b *testing.B) {
		for b.Loop() {
			if err := redis.Get(ctx, keys[0]).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	gen := redis.Get(ctx, "fb:v1:generation").Val()
	b.Run("l3-fill", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			redis.FlushAll(ctx)
			redis.Set(ctx, "fb:v1:generation", gen, 0)
			b.StartTimer()
			get(b, "l3")
		}
	})
	b.Run("raw-turso-query", func(b *testing.B) {
		connector, err := libsql.NewConnector(servers.Turso.URL)
		if err != nil {
			b.Fatal(err)
		}
		db := sql.OpenDB(connector)
		defer db.Close()
		for b.Loop() {
			var doc string
			if err := db.QueryRowContext(ctx, `SELECT document FROM pages WHERE tenant = ? AND is_homepage = 1`, "_default").Scan(&doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
