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
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tursodatabase/libsql-client-go/libsql"

	"github.com/frontbase/edge/adapters/sqlstore"
	"github.com/frontbase/edge/core"
)

// Timeout bounds every call to the database unless Options say otherwise.
const Timeout = 5 * time.Second

// Options tune a store.
type Options struct {
	// Timeout bounds every call to the database (default Timeout); a
	// publish of many pages gets PublishTimeoutFactor times as long.
	Timeout time.Duration
	// AutoMigrate applies the pending migrations on first use instead of
	// refusing to work until `frontbase migrate` ran: several instances
	// starting at once on a new database are safe (see Migrate).
	AutoMigrate bool
}

// PublishTimeoutFactor: a publish of pages may take this many times the
// Timeout (30 s by default): a site publish is megabytes in one batch.
const PublishTimeoutFactor = 6

// MigrateTimeout bounds a migration run on first use. It is not the
// request's deadline: once started, the schema is brought up to date even
// if the request that triggered it gave up.
const MigrateTimeout = 60 * time.Second

// Store implements core.Store on a Turso database.
type Store struct {
	*sqlstore.Store
	db   *sql.DB
	opts Options

	mu      sync.Mutex
	checked bool // the schema version was found current
}

var _ core.Store = (*Store)(nil)

// Open prepares a store for a libsql://, https:// or http:// URL with the
// default options (no migration on first use). It makes no network call:
// the first request checks the schema, once.
func Open(rawURL, token string) (*Store, error) { return OpenWith(rawURL, token, Options{}) }

// OpenWith is Open with options.
func OpenWith(rawURL, token string, opts Options) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "libsql" && u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("expected libsql://, https:// or http:// with a host, got %q", rawURL)
	}
	if u.Query().Has("authToken") || u.Query().Has("jwt") {
		return nil, errors.New("put the token in FRONTBASE_STATE_DB_TOKEN, not in the URL")
	}
	var lopts []libsql.Option
	if token != "" {
		lopts = append(lopts, libsql.WithAuthToken(token))
	}
	connector, err := libsql.NewConnector(rawURL, lopts...)
	if err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = Timeout
	}
	db := sql.OpenDB(connector)
	s := &Store{db: db, opts: opts}
	s.Store = sqlstore.New(sqlstore.Backend{DB: db, Batch: s.batch, Unavailable: unavailable, Ready: s.ready,
		Timeout: opts.Timeout, PublishTimeout: PublishTimeoutFactor * opts.Timeout})
	return s, nil
}

// ready checks, on first use, that the database has the schema this binary
// needs; with AutoMigrate it applies what is missing, otherwise it refuses
// and says to run `frontbase migrate`.
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
		return &core.Error{Code: core.EUNAVAILABLE, Message: "state database unreachable: " + sqlstore.Cause(err, s.opts.Timeout), Err: err}
	}
	if err := sqlstore.CheckNotNewer(current, all); err != nil {
		return &core.Error{Code: core.EINTERNAL, Message: err.Error()}
	}
	if latest := sqlstore.Latest(all); current < latest {
		if !s.opts.AutoMigrate {
			return &core.Error{Code: core.EUNAVAILABLE, Message: fmt.Sprintf(
				"state database schema is at version %d, this engine needs %d: run `frontbase migrate` against it (FRONTBASE_AUTO_MIGRATE is off)", current, latest)}
		}
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), MigrateTimeout)
		_, err := s.migrate(mctx, all)
		cancel()
		if err != nil {
			return &core.Error{Code: core.EUNAVAILABLE, Message: fmt.Sprintf(
				"state database schema is at version %d, this engine needs %d, and migrating it failed (%s): run `frontbase migrate` to see why",
				current, latest, sqlstore.Cause(err, MigrateTimeout)), Err: err}
		}
	}
	s.checked = true
	return nil
}

// Generation reads the publish generation. Its first call, which on a cold
// start is usually the first call of all (a tick, a health check), reads
// the schema version in the same request as the generation, so an
// up-to-date database costs one round trip instead of two. Any other
// outcome but a network failure (a new or older schema, a failed step)
// takes the usual way: the check (migrating when allowed), then the read.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	s.mu.Lock()
	checked := s.checked
	s.mu.Unlock()
	if !checked {
		if gen, ok, err := s.checkWithGeneration(ctx); ok || err != nil {
			return gen, err
		}
	}
	return s.Store.Generation(ctx)
}

// checkWithGeneration reads the schema version and the generation in one
// batch. ok says the schema was current and gen is the generation; an
// error is returned only when the database could not be reached, where
// trying again the usual way would only wait twice as long.
func (s *Store) checkWithGeneration(ctx context.Context) (gen int64, ok bool, err error) {
	all, err := sqlstore.ListMigrations(sqlstore.Migrations) // versions only: Latest is all it needs
	if err != nil {
		return 0, false, nil // the usual way reports it
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.checked {
		return 0, false, nil
	}
	sets, err := s.runScript(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations;
SELECT value FROM meta WHERE key = 'generation'`)
	if err != nil {
		if ctx.Err() != nil || unavailable(err) {
			return 0, false, &core.Error{Code: core.EUNAVAILABLE, Message: "state database unreachable: " + sqlstore.Cause(err, s.opts.Timeout), Err: err}
		}
		return 0, false, nil
	}
	if len(sets) != 2 || len(sets[0]) != 1 || len(sets[1]) != 1 {
		return 0, false, nil
	}
	version, vok := sets[0][0][0].(int64)
	g, gok := sets[1][0][0].(int64)
	if !vok || !gok || version != sqlstore.Latest(all) {
		return 0, false, nil
	}
	s.checked = true
	return g, true, nil
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
// its schema_migrations row. It is safe to run again, and safe to run from
// several processes at once (engines starting together on a new database):
// the batch inserts its schema_migrations row first, so of two instances
// applying one version only one commits and the other's batch fails before
// any DDL; the loser re-reads the version and goes on from there.
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	all, err := sqlstore.ReadMigrations(sqlstore.Migrations)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	applied, err = s.migrate(ctx, all)
	s.checked = false // re-check on next use
	return applied, err
}

// migrateAttempts bounds how often one version is tried while another
// instance holds the database (busy) without having applied it yet.
const migrateAttempts = 6

// migrate is Migrate with s.mu held.
func (s *Store) migrate(ctx context.Context, all []sqlstore.Migration) (applied []string, err error) {
	if err := s.retry(ctx, func() error {
		_, err := s.db.ExecContext(ctx, sqlstore.CreateMigrationsTable)
		return err
	}); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	record := `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`
	for attempt := 0; ; {
		current, err := s.version(ctx)
		if err != nil {
			return applied, fmt.Errorf("read schema version: %w", err)
		}
		if err := sqlstore.CheckNotNewer(current, all); err != nil {
			return applied, err
		}
		i := slices.IndexFunc(all, func(m sqlstore.Migration) bool { return m.Version > current })
		if i < 0 {
			return applied, nil
		}
		m := all[i]
		_, err = s.runScript(ctx, record+";\n"+m.SQL, m.Version, sqlstore.FormatTime(time.Now()))
		if err == nil {
			applied = append(applied, m.Name)
			attempt = 0
			continue
		}
		// Another instance may have applied it (our row conflicted) or
		// hold the database (busy): the version read again tells.
		if now, verr := s.version(ctx); verr == nil && now >= m.Version {
			attempt = 0
			continue
		}
		if attempt++; attempt >= migrateAttempts || ctx.Err() != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
}

// retry runs f until it succeeds, at most migrateAttempts times.
func (s *Store) retry(ctx context.Context, f func() error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if err = f(); err == nil || attempt >= migrateAttempts {
			return err
		}
		if berr := backoff(ctx, attempt); berr != nil {
			return errors.Join(err, berr)
		}
	}
}

// backoff waits before the next attempt: 50 ms, doubling, with jitter so
// that instances started together do not retry in step.
func backoff(ctx context.Context, attempt int) error {
	d := (50 * time.Millisecond) << (attempt - 1)
	d += time.Duration(rand.Int64N(int64(d)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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
