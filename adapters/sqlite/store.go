// Package sqlite is the local state store: one SQLite file, opened with the
// pure-Go driver modernc.org/sqlite so that binaries stay static.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/frontbase/edge/adapters/sqldata"
	"github.com/frontbase/edge/adapters/sqlstore"
	"github.com/frontbase/edge/core"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var _ core.Store = (*Store)(nil)

// Store implements core.Store on a SQLite file: the shared rules of
// sqlstore, with batches run as SQLite transactions.
type Store struct {
	*sqlstore.Store
	db *sql.DB
}

// Open opens (creating if needed) the database at path and brings its
// schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("sqlite: create directory for %s: %w", path, err)
	}

	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := setUp(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return &Store{Store: sqlstore.New(sqlstore.Backend{DB: db, Batch: batch(db), Unavailable: unavailable}), db: db}, nil
}

// dsn puts the pragmas in the DSN rather than running them once, because
// database/sql opens connections on its own and each needs them. Only
// writers ever wait on busy_timeout (WAL readers never block), so it is
// generous: a publish queued behind others should wait, not fail.
// Transactions begin IMMEDIATE: a deferred transaction that reads and then
// writes fails at once with SQLITE_BUSY when another writer got in between,
// without waiting for busy_timeout. WAL is not among them: it is a
// property of the file, set once by setUp, that every connection finds.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(15000)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	return u.String()
}

func setUp(ctx context.Context, db *sql.DB) error {
	// WAL is what lets page views read while a publish writes; a file system
	// that cannot do it (some network mounts) silently keeps the old mode.
	// The mode is kept in the file: on a file already in WAL this is a read.
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode=WAL`).Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal_mode is %q, want wal (is the file on a local file system?)", mode)
	}
	return migrate(ctx, db, sqlstore.Migrations)
}

// unavailable reports SQLite errors that may go away by themselves.
func unavailable(err error) bool {
	if e, ok := errors.AsType[*sqlite.Error](err); ok {
		switch e.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_INTERRUPT:
			return true
		}
	}
	return false
}

// batch runs the statements in one transaction.
func batch(db *sql.DB) func(context.Context, []sqlstore.Stmt) ([]sqlstore.Rows, error) {
	// One writer at a time in this process, in arrival order. SQLite's busy
	// handler polls and is not fair: on a loaded machine a writer queued
	// behind many others waited out busy_timeout while later ones got in,
	// and its publish failed with SQLITE_BUSY. busy_timeout still covers
	// writers in other processes (the CLI's local strategy).
	turn := make(chan struct{}, 1)
	return func(ctx context.Context, stmts []sqlstore.Stmt) (_ []sqlstore.Rows, err error) {
		select {
		case turn <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		defer func() { <-turn }()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				_ = tx.Rollback()
			}
		}()
		results := make([]sqlstore.Rows, len(stmts))
		for i, st := range stmts {
			rows, err := tx.QueryContext(ctx, st.SQL, st.Args...)
			if err != nil {
				return nil, err
			}
			results[i], err = sqlstore.ScanRows(rows)
			rows.Close()
			if err != nil {
				return nil, err
			}
		}
		return results, tx.Commit()
	}
}

// OpenData opens a local SQLite file as a workflow data source
// (FRONTBASE_DATASOURCES type sqlite). It lives here, beside the driver, so
// that package sqldata links no SQLite.
func OpenData(path string) (*sqldata.Source, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	return sqldata.New(db), nil
}
