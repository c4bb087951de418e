package sqlstore

import (
	"context"
	"time"

	"github.com/frontbase/edge/core/secrets"
)

var _ secrets.Store = (*Store)(nil)

const upsertSecret = `INSERT INTO tenant_secrets (tenant_slug, kind, payload, updated_at) VALUES (?, ?, ?, ?)
	ON CONFLICT (tenant_slug, kind) DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at`

// SaveTenantSecrets inserts or replaces each (tenant, kind) in one batch:
// all or none.
func (s *Store) SaveTenantSecrets(ctx context.Context, items []secrets.Secret) error {
	if len(items) == 0 {
		return nil
	}
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return err
	}
	now := FormatTime(time.Now())
	stmts := make([]Stmt, len(items))
	for i, it := range items {
		stmts[i] = Stmt{upsertSecret, []any{it.Tenant, it.Kind, it.Payload, now}}
	}
	_, err := s.batch(ctx, "save tenant secrets", stmts)
	return err
}

// TenantSecrets lists the rows of tenant, or of every tenant when tenant
// is "", ordered by tenant and kind.
func (s *Store) TenantSecrets(ctx context.Context, tenant string) ([]secrets.Secret, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	q, args := `SELECT tenant_slug, kind, payload, updated_at FROM tenant_secrets ORDER BY tenant_slug, kind`, []any(nil)
	if tenant != "" {
		q, args = `SELECT tenant_slug, kind, payload, updated_at FROM tenant_secrets WHERE tenant_slug = ? ORDER BY kind`, []any{tenant}
	}
	rows, err := s.b.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.dbError("read tenant secrets", err)
	}
	defer rows.Close()
	out := []secrets.Secret{}
	for rows.Next() {
		var sec secrets.Secret
		var at string
		if err := rows.Scan(&sec.Tenant, &sec.Kind, &sec.Payload, &at); err != nil {
			return nil, s.dbError("read tenant secrets", err)
		}
		sec.UpdatedAt, _ = parseTime(at)
		out = append(out, sec)
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbError("read tenant secrets", err)
	}
	return out, nil
}

// DeleteTenantSecret removes (tenant, kind) and reports whether it was
// there.
func (s *Store) DeleteTenantSecret(ctx context.Context, tenant, kind string) (bool, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return false, err
	}
	// RETURNING tells whether a row went: not every backend reports rows
	// affected (tursodb over Hrana answers 0).
	results, err := s.batch(ctx, "delete tenant secret", []Stmt{
		{`DELETE FROM tenant_secrets WHERE tenant_slug = ? AND kind = ? RETURNING kind`, []any{tenant, kind}},
	})
	if err != nil {
		return false, err
	}
	return len(results[0]) > 0, nil
}
