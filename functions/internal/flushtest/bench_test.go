package flushtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkFlush100k flushes 100,000 buffered counters over 1,000 pages
// into tursodb and compares it, in the same run, with a plain batched
// insert of the same rows (500 a request). Run it with
// go test -run X -bench Flush100k -benchtime 1x ./functions/internal/flushtest
func BenchmarkFlush100k(b *testing.B) {
	for b.Loop() {
		r := startB(b)
		ctx := context.Background()
		const pages, perPage = 1000, 100
		pipe := r.redis.Client().Pipeline()
		day := time.Now().UTC().Format(time.DateOnly)
		for p := range pages {
			args := []any{}
			for k := range perPage {
				kind, value := "r", fmt.Sprintf("ref-%d.example", k)
				if k == 0 {
					kind, value = "v", ""
				}
				args = append(args, "_default\t"+day+"\t"+fmt.Sprintf("/p%d", p)+"\t"+kind+"\t"+value, 3)
			}
			pipe.HSet(ctx, "fb:an:buf", args...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
		before := r.turso.Requests()
		start := time.Now()
		rep, err := r.flusher().Flush(ctx)
		if err != nil {
			b.Fatal(err)
		}
		flushTime, flushReqs := time.Since(start), r.turso.Requests()-before
		// plus one unique-visitor row per page that has views
		if rep.Rows != pages*perPage+pages {
			b.Fatalf("flushed %d rows, want %d", rep.Rows, pages*perPage+pages)
		}
		// the same rows, plain: a multi-row INSERT per 500 rows
		db := r.store.DB()
		if _, err := db.ExecContext(ctx, `CREATE TABLE plain (tenant TEXT, day TEXT, slug TEXT, kind TEXT, value TEXT, n INTEGER)`); err != nil {
			b.Fatal(err)
		}
		before = r.turso.Requests()
		start = time.Now()
		for i := 0; i < pages*perPage; i += 500 {
			args := make([]any, 0, 3000)
			for j := i; j < i+500; j++ {
				args = append(args, "_default", day, fmt.Sprintf("/p%d", j/perPage), "r", fmt.Sprintf("ref-%d.example", j%perPage), 3)
			}
			q := "INSERT INTO plain VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", 500), ", ")
			if _, err := db.ExecContext(ctx, q, args...); err != nil {
				b.Fatal(err)
			}
		}
		plainTime, plainReqs := time.Since(start), r.turso.Requests()-before
		b.ReportMetric(float64(flushReqs), "flush-turso-requests")
		b.ReportMetric(float64(plainReqs), "plain-turso-requests")
		b.ReportMetric(flushTime.Seconds()*1000, "flush-ms")
		b.ReportMetric(plainTime.Seconds()*1000, "plain-ms")
		b.ReportMetric(flushTime.Seconds()/plainTime.Seconds(), "ratio")
	}
}
