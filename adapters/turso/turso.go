// Package turso is the state store on Turso / libSQL over HTTP, through
// libsql-client-go. The rules are sqlstore's; this package sends each batch
// as one Hrana batch (BEGIN … COMMIT with step conditions, rolled back as a
// whole on any failure) in one HTTP request, because Turso's HTTP servers
// need not keep an interactive transaction open.
package turso

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tursodatabase/libsql-client-go/libsql"

	"github.com/frontbase/edge/adapters/sqlstore"
	"github.com/frontbase/edge/core"
)

// Timeout bounds every call to the database.
const Timeout = 5 * time.Second

// Store implements core.Store on a Turso database.
type Store struct {
	*sqlstore.Store
	db *sql.DB

	mu      sync.Mutex
	checked bool // the schema version was found current
}

var _ core.Store = (*Store)(nil)

// Open prepares a store for a libsql://, https:// or http:// URL. It makes
// no network call: the first request checks the schema, once.
func Open(rawURL, token string) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "libsql" && u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("expected libsql://, https:// or http:// with a host, got %q", rawURL)
	}
	if u.Query().Has("authToken") || u.Query().Has("jwt") {
		return nil, errors.New("put the token in FRONTBASE_STATE_DB_TOKEN, not in the URL")
	}
	var opts []libsql.Option
	if token != "" {
		opts = append(opts, libsql.WithAuthToken(token))
	}
	connector, err := libsql.NewConnector(rawURL, opts...)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	s := &Store{db: db}
	s.Store = sqlstore.New(sqlstore.Backend{DB: db, Batch: s.batch, Unavailable: unavailable, Ready: s.ready, Timeout: Timeout})
	return s, nil
}

// ready checks, on first use, that the database has the schema this binary
// needs. It never runs DDL: that is Migrate's job, run once per deploy.
func (s *Store) ready(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.checked {
		return nil
	}
	all, err := sqlstore.ReadMigrations(sqlstore.Migrations)
	if err != nil {
		return &core.Error{Code: core.EINTERNAL, Message: "read migrations", Err: err}
	}
	current, err := s.version(ctx)
	if err != nil {
		return &core.Error{Code: core.EUNAVAILABLE, Message: "state database unreachable", Err: err}
	}
	if err := sqlstore.CheckNotNewer(current, all); err != nil {
		return &core.Error{Code: core.EINTERNAL, Message: err.Error()}
	}
	if latest := sqlstore.Latest(all); current < latest {
		return &core.Error{Code: core.EUNAVAILABLE, Message: fmt.Sprintf(
			"state database schema is at version %d, this engine needs %d: run `frontbase migrate` against it", current, latest)}
	}
	s.checked = true
	return nil
}

// version reads the applied schema version; 0 for a new database.
func (s *Store) version(ctx context.Context) (int64, error) {
	var current int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current)
	if err != nil && strings.Contains(err.Error(), "no such table") {
		return 0, nil
	}
	return current, err
}

// Migrate applies the pending migrations, each as one atomic batch with
// its schema_migrations row. It is safe to run again.
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	all, err := sqlstore.ReadMigrations(sqlstore.Migrations)
	if err != nil {
		return nil, err
	}
	if _, err := s.db.ExecContext(ctx, sqlstore.CreateMigrationsTable); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	current, err := s.version(ctx)
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	if err := sqlstore.CheckNotNewer(current, all); err != nil {
		return nil, err
	}
	for _, m := range all {
		if m.Version <= current {
			continue
		}
		record := `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`
		if _, err := s.runScript(ctx, m.SQL+";\n"+record, m.Version, sqlstore.FormatTime(time.Now())); err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		applied = append(applied, m.Name)
	}
	s.mu.Lock()
	s.checked = false // re-check on next use
	s.mu.Unlock()
	return applied, nil
}

func (s *Store) batch(ctx context.Context, stmts []sqlstore.Stmt) ([]sqlstore.Rows, error) {
	var script strings.Builder
	var args []any
	for i, st := range stmts {
		if strings.Contains(st.SQL, ";") {
			return nil, fmt.Errorf("statement %d contains ';', which would split it", i)
		}
		if i > 0 {
			script.WriteString(";\n")
		}
		script.WriteString(st.SQL)
		args = append(args, st.Args...)
	}
	sets, err := s.runScript(ctx, script.String(), args...)
	if err != nil {
		return nil, err
	}
	return sets, nil
}

// runScript sends statements as one batch: BEGIN, each statement on the
// success of the one before, COMMIT, and a ROLLBACK when any step failed.
// Every step's outcome is read back, because libsql-client-go reports a
// failed step only as the result set of that step.
func (s *Store) runScript(ctx context.Context, script string, args ...any) ([]sqlstore.Rows, error) {
	rows, err := s.db.QueryContext(ctx, "BEGIN;\n"+script+";\nCOMMIT", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var sets []sqlstore.Rows
	for set := 0; ; set++ {
		r, err := sqlstore.ScanRows(rows)
		if err != nil {
			return nil, err
		}
		if set > 0 {
			sets = append(sets, r)
		}
		if !rows.NextResultSet() {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The last set is COMMIT's; anything short of it means a step failed.
	if len(sets) == 0 {
		return nil, errors.New("the batch returned no results")
	}
	return sets[:len(sets)-1], nil
}

// unavailable tells network trouble (worth a retry later) from SQL errors.
func unavailable(err error) bool {
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection refused", "connection reset", "EOF", "error code 502", "error code 503", "error code 504", "no such host"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
