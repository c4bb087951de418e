package flushtest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/frontbase/edge/adapters/sqlstore"
	"github.com/frontbase/edge/core/analytics"
)

func (r *rig) ledgerIDs(t *testing.T) []string {
	t.Helper()
	rows, err := r.store.DB().Query(`SELECT batch_id FROM flush_ledger ORDER BY batch_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	return ids
}

// TestLedgerPruneKeepsTheWindow: the prune in ApplyCounts's own batch
// deletes exactly the ids flushed before the cutoff, never a younger one.
func TestLedgerPruneKeepsTheWindow(t *testing.T) {
	for _, combo := range []string{"redis+sqlite", "redis+turso"} {
		t.Run(combo, func(t *testing.T) {
			r := start(t, combo)
			ctx := context.Background()
			now := time.Now()
			cutoff := now.Add(-analytics.LedgerRetention)
			ages := map[string]time.Duration{
				"a-8d":            8 * 24 * time.Hour,
				"b-7d-and-1s":     analytics.LedgerRetention + time.Second,
				"c-7d-less-1s":    analytics.LedgerRetention - time.Second,
				"d-1d":            24 * time.Hour,
				"e-just-now":      0,
				"f-in-the-future": -time.Hour, // another instance's clock
			}
			for id, age := range ages {
				if _, err := r.store.DB().Exec(`INSERT INTO flush_ledger (batch_id, rows, flushed_at) VALUES (?, 1, ?)`,
					id, sqlstore.FormatTime(now.Add(-age))); err != nil {
					t.Fatal(err)
				}
			}
			rows := []analytics.Row{{Day: "2026-11-22", Slug: "/", Kind: analytics.KindViews, N: 1}}
			// A batch already in the ledger fails whole: nothing is pruned.
			if applied, err := r.store.ApplyCounts(ctx, "d-1d", rows, cutoff); applied || err != nil {
				t.Fatalf("replayed batch: applied %v, %v", applied, err)
			}
			if got := r.ledgerIDs(t); len(got) != len(ages) {
				t.Fatalf("a refused batch pruned the ledger: %v", got)
			}
			if applied, err := r.store.ApplyCounts(ctx, "g-new", rows, cutoff); !applied || err != nil {
				t.Fatalf("new batch: applied %v, %v", applied, err)
			}
			want := []string{"c-7d-less-1s", "d-1d", "e-just-now", "f-in-the-future", "g-new"}
			if got := r.ledgerIDs(t); !slices.Equal(got, want) {
				t.Errorf("ledger after pruning: %v, want %v", got, want)
			}
			if got := r.totals(t); got["v"] != 1 {
				t.Errorf("views %d, want 1", got["v"])
			}
		})
	}
}

// TestLedgerPruneSparesAnOldClaimedBatch: a batch left half applied by a
// crash is finished long after the retention window, by runs that crash
// again after their prune: the ledger ids of the old batch outlive every
// retry, so nothing is counted twice; once it is finished, a later run
// prunes them.
func TestLedgerPruneSparesAnOldClaimedBatch(t *testing.T) {
	for _, combo := range []string{"redis+sqlite", "redis+turso"} {
		t.Run(combo, func(t *testing.T) {
			r := start(t, combo)
			ctx := context.Background()
			rec := r.recorder()
			for p := range 200 {
				rec.Record(ctx, view(p, p)) // 200 pages x 5 rows: 2 DB batches
			}
			crashing := r.flusher()
			crashing.Sink = &crashSink{Sink: r.store, after: 1} // between its two DB batches
			func() {
				defer func() { recover() }()
				crashing.Flush(ctx)
				t.Fatal("the flush did not crash")
			}()
			if n := len(r.ledgerIDs(t)); n != 1 {
				t.Fatalf("ledger holds %d ids after the crash, want 1", n)
			}

			late := time.Now().Add(30 * 24 * time.Hour) // a month without a flush
			rec.Record(ctx, view(0, 999))
			again := r.flusher()
			again.Now = func() time.Time { return late }
			again.Step = func(step, _ string) {
				if step == "applied" {
					panic("crash before the delete, after this run's prune")
				}
			}
			func() {
				defer func() { recover() }()
				again.Flush(ctx)
				t.Fatal("the second flush did not crash")
			}()
			f := r.flusher()
			f.Now = func() time.Time { return late }
			if _, err := f.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if got := r.totals(t); got["v"] != 201 {
				t.Fatalf("views %d, want 201: a batch was applied twice or lost", got["v"])
			}
			// Nothing is claimed now: the next run prunes everything
			// flushed more than a week before its clock.
			rec.Record(ctx, view(1, 1000))
			if _, err := f.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			ids := r.ledgerIDs(t)
			if len(ids) != 1 {
				t.Errorf("ledger after a clean late run: %v, want only that run's batch", ids)
			}
			if got := r.totals(t); got["v"] != 202 {
				t.Errorf("views %d, want 202", got["v"])
			}
		})
	}
}
