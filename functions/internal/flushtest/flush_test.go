// Package flushtest checks the analytics buffer and its flush end to end
// against real servers: redis-server (directly and behind the Upstash REST
// front), tursodb and a SQLite file.
package flushtest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontbase/edge/adapters/redis"
	"github.com/frontbase/edge/adapters/sqlite"
	"github.com/frontbase/edge/adapters/sqlstore"
	"github.com/frontbase/edge/adapters/testservers"
	"github.com/frontbase/edge/adapters/turso"
	"github.com/frontbase/edge/adapters/upstash"
	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/analytics"
)

type rig struct {
	redis *testservers.Redis
	cache core.Cache
	store *sqlstore.Store
	turso *testservers.Turso
}

// combos are the buffer and store pairs the flush must work on.
var combos = []string{"redis+sqlite", "redis+turso", "upstash+turso"}

func startB(b *testing.B) *rig { return start(b, "redis+turso") }

func start(t testing.TB, combo string) *rig {
	t.Helper()
	ctx := context.Background()
	r := &rig{redis: testservers.StartRedis(t)}
	var err error
	if strings.HasPrefix(combo, "upstash") {
		u := testservers.StartUpstash(t, r.redis)
		r.cache, err = upstash.New(u.URL, u.Token, upstash.Options{Timeout: 2 * time.Second})
	} else {
		r.cache, err = redis.Open(r.redis.URL)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.cache.Close() })
	if strings.HasSuffix(combo, "turso") {
		r.turso = testservers.StartTurso(t)
		s, err := turso.Open(r.turso.URL, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		r.store = s.Store
		t.Cleanup(func() { s.Close() })
	} else {
		s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
		if err != nil {
			t.Fatal(err)
		}
		r.store = s.Store
		t.Cleanup(func() { s.Close() })
	}
	return r
}

func (r *rig) recorder() *analytics.RedisRecorder {
	// A generous timeout: the test counts exactly, under the race detector.
	return &analytics.RedisRecorder{Cache: r.cache, Timeout: 5 * time.Second}
}

func (r *rig) flusher() *analytics.Flusher {
	return &analytics.Flusher{Cache: r.cache, Sink: r.store}
}

// totals sums the stored rows by kind (and kind/value).
func (r *rig) totals(t *testing.T) map[string]int64 {
	t.Helper()
	rows, err := r.store.Counts(context.Background(), "", "2000-01-01", "2999-12-31", "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, row := range rows {
		out[row.Kind] += row.N
		if row.Value != "" {
			out[row.Kind+"/"+row.Value] += row.N
		}
	}
	return out
}

func (r *rig) ledger(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := r.store.DB().QueryRow(`SELECT count(*) FROM flush_ledger`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// view makes a page view of page p by visitor v.
func view(p, v int) analytics.View {
	req := httptest.NewRequest("GET", "http://site.test/p", nil)
	req.RemoteAddr = fmt.Sprintf("10.0.%d.%d:5555", v/250, v%250)
	req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone) Mobile")
	req.Header.Set("Referer", "https://news.example/x")
	req.Header.Set("CF-IPCountry", "de")
	return analytics.NewView(req, "_default", fmt.Sprintf("page-%d", p), time.Now(), "salt")
}

func TestConcurrentViewsAndFlushesCountExactly(t *testing.T) {
	variants := append(combos, "redis+sqlite/async")
	for _, combo := range variants {
		t.Run(combo, func(t *testing.T) {
			r := start(t, strings.TrimSuffix(combo, "/async"))
			rec, f := r.recorder(), r.flusher()
			// async: views that find a call in flight ride the next one,
			// and the flush drains what the recorder still holds.
			if rec.Async = strings.HasSuffix(combo, "/async"); rec.Async {
				// Slow calls: views pile up behind them, and some are still
				// held when the workers are done.
				rec.Cache = slowCache{Cache: r.cache, delay: 5 * time.Millisecond}
			}
			f.Recorder = rec
			const workers, each, pages, visitors = 8, 50, 5, 100
			ctx := context.Background()
			var wg sync.WaitGroup
			stop := make(chan struct{})
			flushDone := make(chan error, 1)
			go func() { // flushes run during the views
				for {
					select {
					case <-stop:
						flushDone <- nil
						return
					default:
					}
					if _, err := f.Flush(ctx); err != nil {
						flushDone <- err
						return
					}
					time.Sleep(5 * time.Millisecond)
				}
			}()
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						n := w*each + i
						rec.Record(ctx, view(n%pages, n%visitors))
					}
				})
			}
			wg.Wait()
			close(stop)
			if err := <-flushDone; err != nil {
				t.Fatal(err)
			}
			extra := 0
			if rec.Async {
				// One view finds a call in flight: the recorder still holds
				// it when its request is over (async: both do), and the
				// flush must send it.
				rec.Drain(ctx) // the sender is done: its cache can be swapped
				gate := &gateCache{Cache: r.cache, entered: make(chan struct{}), release: make(chan struct{})}
				rec.Cache = gate
				leader := make(chan struct{})
				go func() { rec.Record(ctx, view(0, 0)); close(leader) }()
				<-gate.entered
				rec.Record(ctx, view(1, 1)) // returns at once
				close(gate.release)
				<-leader
				extra = 2
			}
			if _, err := f.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			got := r.totals(t)
			if d := rec.Dropped.Load(); d != 0 {
				t.Fatalf("%d views were dropped", d)
			}
			total := int64(workers*each + extra)
			for k, want := range map[string]int64{"v": total, "d/mobile": total, "r/news.example": total, "c/DE": total} {
				if got[k] != want {
					t.Errorf("%s = %d, want %d", k, got[k], want)
				}
			}
			// each page saw visitors/pages distinct visitors (n%5 == page fixes n%100 to 20 values)
			if u := got["u"]; u < 95 || u > 105 {
				t.Errorf("uniques = %d, want about %d (HLL)", u, visitors)
			}
			if n, _ := r.redis.Client().Exists(ctx, "fb:an:buf").Result(); n != 0 {
				t.Error("the buffer is still there after the last flush")
			}
		})
	}
}

func TestCrashAtEveryStepNeitherLosesNorDoubleCounts(t *testing.T) {
	type crash struct {
		name  string
		step  string // Flusher.Step to panic at
		chunk int    // or: panic in the sink after this many applied chunks (0: never)
	}
	for _, combo := range combos {
		for _, c := range []crash{
			{name: "after claim", step: "claimed"},
			{name: "after the DB write, before the delete", step: "applied"},
			{name: "between two DB batches", chunk: 1},
		} {
			t.Run(combo+"/"+c.name, func(t *testing.T) {
				r := start(t, combo)
				ctx := context.Background()
				rec := r.recorder()
				const pages = 300 // 300 pages x 4 kinds + uniques > 2 DB batches
				for p := range pages {
					rec.Record(ctx, view(p, p))
					rec.Record(ctx, view(p, p+1))
				}
				crashing := r.flusher()
				sink := &crashSink{Sink: r.store, after: c.chunk}
				crashing.Sink = sink
				if c.step != "" {
					crashing.Step = func(step, _ string) {
						if step == c.step {
							panic("crash at " + step)
						}
					}
				}
				func() {
					defer func() { recover() }()
					crashing.Flush(ctx)
					t.Fatal("the flush did not crash")
				}()
				// more views arrive after the crash
				for p := range pages {
					rec.Record(ctx, view(p, p+2))
				}
				rep, err := r.flusher().Flush(ctx)
				if err != nil {
					t.Fatal(err)
				}
				got := r.totals(t)
				if got["v"] != 3*pages || got["d/mobile"] != 3*pages || got["c/DE"] != 3*pages {
					t.Fatalf("views %d, devices %d, countries %d; want %d each (report %+v)", got["v"], got["d/mobile"], got["c/DE"], 3*pages, rep)
				}
				if got["u"] < 3*pages*95/100 || got["u"] > 3*pages*105/100 {
					t.Errorf("uniques = %d, want about %d", got["u"], 3*pages)
				}
				if rep.Batches != 2 {
					t.Errorf("the second run finished %d batches, want 2 (the crashed one and its own)", rep.Batches)
				}
				if c.step == "applied" && rep.Skipped == 0 {
					t.Error("the batch applied before the crash was not found in the ledger")
				}
				keys, _ := r.redis.Client().Keys(ctx, "fb:an:claimed:*").Result()
				members, _ := r.redis.Client().SMembers(ctx, "fb:an:claims").Result()
				if len(keys) != 0 || len(members) != 0 {
					t.Errorf("left behind: claimed keys %v, claims %v", keys, members)
				}
				// every DB batch written is in the ledger exactly once: the
				// rows of both runs (1500 + 1500, 500 a batch) took 6
				want := int64(6)
				if n := r.ledger(t); n != want {
					t.Errorf("ledger has %d batches, want %d", n, want)
				}
			})
		}
	}
}

// slowCache delays every pipelined call.
type slowCache struct {
	core.Cache
	delay time.Duration
}

func (s slowCache) Exec(ctx context.Context, cmds ...[]any) ([]any, error) {
	time.Sleep(s.delay)
	return s.Cache.Exec(ctx, cmds...)
}

// gateCache holds its first pipelined call until release is closed.
type gateCache struct {
	core.Cache
	once             sync.Once
	entered, release chan struct{}
}

func (g *gateCache) Exec(ctx context.Context, cmds ...[]any) ([]any, error) {
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	return g.Cache.Exec(ctx, cmds...)
}

// crashSink panics after `after` applied batches (0: never).
type crashSink struct {
	analytics.Sink
	after, n int
}

func (c *crashSink) ApplyCounts(ctx context.Context, batch string, rows []analytics.Row, prune time.Time) (bool, error) {
	if c.after > 0 && c.n == c.after {
		panic("crash between DB batches")
	}
	c.n++
	return c.Sink.ApplyCounts(ctx, batch, rows, prune)
}

func TestFlushAllLosesOnlyWhatWasNotFlushed(t *testing.T) {
	r := start(t, "redis+turso")
	ctx := context.Background()
	rec, f := r.recorder(), r.flusher()
	for i := range 20 {
		rec.Record(ctx, view(i%2, i))
	}
	if _, err := f.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		rec.Record(ctx, view(0, i))
	}
	r.redis.FlushAll(t)
	if _, err := f.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := r.totals(t); got["v"] != 20 || got["u"] != 20 {
		t.Fatalf("after FLUSHALL: views %d uniques %d, want the 20 flushed before", got["v"], got["u"])
	}
}

func TestMemoryBufferWithoutRedis(t *testing.T) {
	r := start(t, "redis+sqlite")
	ctx := context.Background()
	m := analytics.NewMemory()
	for i := range 30 {
		m.Record(ctx, view(i%3, i%10))
	}
	bot := httptest.NewRequest("GET", "/", nil)
	bot.Header.Set("User-Agent", "Googlebot/2.1")
	m.Record(ctx, analytics.NewView(bot, "_default", "page-0", time.Now(), "salt"))
	f := &analytics.Flusher{Memory: m, Sink: r.store}
	failing := &analytics.Flusher{Memory: m, Sink: &crashSink{Sink: failSink{}}}
	if _, err := failing.Flush(ctx); err == nil {
		t.Fatal("a failing store did not fail the flush")
	}
	rep, err := f.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Views != 30 {
		t.Errorf("report %+v, want 30 views", rep)
	}
	if rep, _ := f.Flush(ctx); rep.Rows != 0 {
		t.Errorf("a second flush wrote %d rows again", rep.Rows)
	}
	got := r.totals(t)
	if got["v"] != 30 || got["b"] != 1 || got["u"] != 30 {
		// 3 pages x 10 visitors, each visitor seen on every page
		t.Fatalf("views %d bots %d uniques %d, want 30, 1, 30", got["v"], got["b"], got["u"])
	}
}

type failSink struct{}

func (failSink) ApplyCounts(context.Context, string, []analytics.Row, time.Time) (bool, error) {
	return false, core.Errorf(core.EUNAVAILABLE, "down")
}

// cancelSink cancels the flush's context after the first DB batch, as a
// time budget running out would.
type cancelSink struct {
	analytics.Sink
	cancel context.CancelFunc
}

func (c *cancelSink) ApplyCounts(ctx context.Context, batch string, rows []analytics.Row, prune time.Time) (bool, error) {
	defer c.cancel()
	return c.Sink.ApplyCounts(ctx, batch, rows, prune)
}

func TestFlushStopsAtItsBudgetAndTheNextRunFinishes(t *testing.T) {
	r := start(t, "redis+turso")
	rec := r.recorder()
	for p := range 300 {
		rec.Record(context.Background(), view(p, p))
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := r.flusher()
	f.Sink = &cancelSink{Sink: r.store, cancel: cancel}
	rep, err := f.Flush(ctx)
	if err != nil || rep.Left != 1 || rep.Batches != 0 || rep.Rows != analytics.MaxRows {
		t.Fatalf("out of time: %+v %v; want one DB batch written and the claimed batch left", rep, err)
	}
	rep, err = r.flusher().Flush(context.Background())
	if err != nil || rep.Skipped != 1 || rep.Batches != 1 || rep.Left != 0 {
		t.Fatalf("next run: %+v %v", rep, err)
	}
	if got := r.totals(t); got["v"] != 300 || got["c/DE"] != 300 {
		t.Fatalf("views %d countries %d, want 300", got["v"], got["c/DE"])
	}
}
