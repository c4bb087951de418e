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
	all, err := sqlstore.ListMigrations(fsys)
	if err != nil {
		return err
	}
	// Every start of the server opens a file that is almost always up to
	// date: one read says so, without the write lock a transaction per
	// migration takes (IMMEDIATE), so a start neither waits behind another
	// process's publish nor pays a round of locks per migration. Anything
	// else (no table yet, a migration missing) takes the path below, which
	// checks each version again inside its transaction.
	if upToDate, err := recorded(ctx, db, all); err == nil && upToDate {
		return nil
	}
	if all, err = sqlstore.ReadMigrations(fsys); err != nil {
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

// recorded reports whether schema_migrations lists every migration of all,
// refusing a schema newer than all. It fails when the table does not exist.
func recorded(ctx context.Context, db *sql.DB, all []sqlstore.Migration) (bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	have := make(map[int64]bool, len(all))
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return false, err
		}
		have[v] = true
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	for _, m := range all {
		if !have[m.Version] {
			return false, nil
		}
	}
	// The schema may be newer than this binary: the path below refuses it.
	return len(have) == len(all), nil
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
