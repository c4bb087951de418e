package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/frontbase/edge/adapters/sqlstore"
)

// migrate applies the migrations of fsys (files at its root) that the
// database has not recorded yet, in version order, each in its own
// transaction together with its schema_migrations row.
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	all, err := sqlstore.ReadMigrations(fsys)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, sqlstore.CreateMigrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if err := sqlstore.CheckNotNewer(current, all); err != nil {
		return err
	}
	for _, m := range all {
		if err := applyMigration(ctx, db, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// applyMigration checks for the version inside the transaction so that two
// processes starting on one file at once cannot both apply it.
func applyMigration(ctx context.Context, db *sql.DB, m sqlstore.Migration) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, ignoreDone(tx.Rollback()))
		}
	}()

	var applied int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&applied); err != nil {
		return err
	}
	if applied > 0 {
		return tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.Version, sqlstore.FormatTime(time.Now())); err != nil {
		return err
	}
	return tx.Commit()
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}
