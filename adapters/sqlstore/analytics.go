package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/frontbase/edge/core/analytics"
)

var _ analytics.Sink = (*Store)(nil)

// ApplyCounts adds rows to analytics_daily and records batch in the
// ledger, in one batch of two statements (three when it also prunes the
// ledger of ids flushed before pruneBefore): the ledger insert fails on a
// batch id already there, which rolls the whole batch back, so a batch is
// never added twice.
func (s *Store) ApplyCounts(ctx context.Context, batch string, rows []analytics.Row, pruneBefore time.Time) (bool, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return false, err
	}
	stmts := []Stmt{{`INSERT INTO flush_ledger (batch_id, rows, flushed_at) VALUES (?, ?, ?)`,
		[]any{batch, int64(len(rows)), FormatTime(time.Now())}}}
	if len(rows) > 0 {
		var b strings.Builder
		b.WriteString(`INSERT INTO analytics_daily (tenant, day, slug, kind, value, n) VALUES `)
		args := make([]any, 0, 6*len(rows))
		for i, r := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?)")
			args = append(args, tenantOrDefault(r.Tenant), r.Day, r.Slug, r.Kind, r.Value, r.N)
		}
		b.WriteString(` ON CONFLICT (tenant, day, slug, kind, value) DO UPDATE SET
			n = CASE WHEN excluded.kind = 'u' THEN max(n, excluded.n) ELSE n + excluded.n END`)
		stmts = append(stmts, Stmt{b.String(), args})
	}
	if !pruneBefore.IsZero() {
		// After the ledger insert: a batch id already there fails the
		// batch before anything is deleted.
		// (Never the id just written, whatever the clocks say.)
		stmts = append(stmts, Stmt{`DELETE FROM flush_ledger WHERE flushed_at < ? AND batch_id <> ?`, []any{FormatTime(pruneBefore), batch}})
	}
	if _, err := s.b.Batch(ctx, stmts); err != nil {
		// Tell "already applied" from a failure by looking, after the
		// batch, for the ledger row.
		var one int64
		if qerr := s.b.DB.QueryRowContext(ctx, `SELECT count(*) FROM flush_ledger WHERE batch_id = ?`, batch).Scan(&one); qerr == nil && one == 1 {
			return false, nil
		}
		return false, s.dbError("flush counters", err)
	}
	return true, nil
}

// Counts returns the stored counter rows of tenant from day from to day
// to (inclusive, YYYY-MM-DD), of one page when slug is not empty.
func (s *Store) Counts(ctx context.Context, tenant, from, to, slug string) ([]analytics.Row, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	q := `SELECT day, slug, kind, value, n FROM analytics_daily WHERE tenant = ? AND day >= ? AND day <= ?`
	args := []any{tenantOrDefault(tenant), from, to}
	if slug != "" {
		q += ` AND slug = ?`
		args = append(args, slug)
	}
	rows, err := s.b.DB.QueryContext(ctx, q+` ORDER BY day, slug, kind, value`, args...)
	if err != nil {
		return nil, s.dbError("read counters", err)
	}
	defer rows.Close()
	var out []analytics.Row
	for rows.Next() {
		r := analytics.Row{Tenant: tenantOrDefault(tenant)}
		if err := rows.Scan(&r.Day, &r.Slug, &r.Kind, &r.Value, &r.N); err != nil {
			return nil, s.dbError("read counters", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbError("read counters", err)
	}
	return out, nil
}
