// Package sqlite is the local state store: one SQLite file, opened with the
// pure-Go driver modernc.org/sqlite so that binaries stay static.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var _ core.Store = (*Store)(nil)

// Store implements core.Store on a SQLite file.
type Store struct {
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
	return &Store{db: db}, nil
}

// dsn puts the pragmas in the DSN rather than running them once, because
// database/sql opens connections on its own and each needs them.
// Transactions begin IMMEDIATE: a deferred transaction that reads and then
// writes fails at once with SQLITE_BUSY when another writer got in between,
// without waiting for busy_timeout.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	return u.String()
}

func setUp(ctx context.Context, db *sql.DB) error {
	// WAL is what lets page views read while a publish writes; a file system
	// that cannot do it (some network mounts) silently keeps the old mode.
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal_mode is %q, want wal (is the file on a local file system?)", mode)
	}
	sub, err := fs.Sub(embedded, "migrations")
	if err != nil {
		return err
	}
	return migrate(ctx, db, sub)
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// loadPageSQL answers a page view in one statement, so the page, the 404
// page, the settings and the generation all come from one snapshot. Rows
// are tagged by kind; the "state" row carries the settings document and,
// in the version column, the generation. %s selects the wanted page.
const loadPageSQL = `
WITH wanted AS (
	SELECT document, version, content_hash, published_at, is_homepage, is_public
	FROM pages WHERE tenant = ?1 AND %s
)
SELECT 'page', document, version, content_hash, published_at, is_homepage FROM wanted
UNION ALL
SELECT 'notfound', document, version, content_hash, published_at, is_homepage
FROM pages WHERE tenant = ?1 AND slug = ?3 AND NOT EXISTS (SELECT 1 FROM wanted WHERE is_public = 1)
UNION ALL
SELECT 'state', (SELECT document FROM settings WHERE tenant = ?1),
	(SELECT value FROM meta WHERE key = 'generation'), NULL, NULL, NULL`

// The homepage variant names is_homepage = 1 literally so that SQLite can
// use the partial index pages_one_homepage.
var (
	loadBySlugSQL      = fmt.Sprintf(loadPageSQL, "slug = ?2")
	loadHomepageSQL    = fmt.Sprintf(loadPageSQL, "is_homepage = 1")
	errNoGenerationRow = errors.New("meta has no generation row")
)

// LoadPage returns the page a public request wants. It returns pages that
// are not public too: whether a visitor may see one is the caller's rule.
func (s *Store) LoadPage(ctx context.Context, q core.PageQuery) (*core.PageBundle, error) {
	query := loadBySlugSQL
	if q.Homepage {
		query = loadHomepageSQL
	}
	rows, err := s.db.QueryContext(ctx, query, tenantOrDefault(q.Tenant), q.Slug, core.NotFoundSlug)
	if err != nil {
		return nil, dbError("load page", err)
	}
	defer rows.Close()

	b := &core.PageBundle{}
	sawState := false
	for rows.Next() {
		var (
			kind      string
			doc, hash sql.NullString
			published sql.NullString
			version   sql.NullInt64
			home      sql.NullBool
		)
		if err := rows.Scan(&kind, &doc, &version, &hash, &published, &home); err != nil {
			return nil, dbError("load page", err)
		}
		switch kind {
		case "page", "notfound":
			p, err := decodePage(doc.String, version.Int64, hash.String, published.String, home.Bool)
			if err != nil {
				return nil, err
			}
			if kind == "page" {
				b.Page = p
			} else {
				b.NotFound = p
			}
		case "state":
			sawState = true
			b.Generation = version.Int64
			if doc.Valid {
				if err := json.Unmarshal([]byte(doc.String), &b.Settings); err != nil {
					return nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored settings", Err: err}
				}
			}
			if !version.Valid {
				return nil, &core.Error{Code: core.EINTERNAL, Message: "load page", Err: errNoGenerationRow}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("load page", err)
	}
	if !sawState {
		return nil, &core.Error{Code: core.EINTERNAL, Message: "load page", Err: errors.New("no state row")}
	}
	return b, nil
}

// Page returns a page whether or not it is public.
func (s *Store) Page(ctx context.Context, tenant, slug string) (*core.StoredPage, error) {
	var (
		doc, hash, published string
		version              int64
		home                 bool
	)
	err := s.db.QueryRowContext(ctx, `
		SELECT document, version, content_hash, published_at, is_homepage
		FROM pages WHERE tenant = ? AND slug = ?`, tenantOrDefault(tenant), slug,
	).Scan(&doc, &version, &hash, &published, &home)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.ENOTFOUND, "page %q not found", slug)
	}
	if err != nil {
		return nil, dbError("read page", err)
	}
	return decodePage(doc, version, hash, published, home)
}

// decodePage takes the homepage flag from the column, not the document:
// publishing another homepage clears the column of the old one but leaves
// its stored document as it was sent.
func decodePage(doc string, version int64, hash, published string, home bool) (*core.StoredPage, error) {
	var p core.Page
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored page", Err: err}
	}
	p.IsHomepage = home
	at, err := parseTime(published)
	if err != nil {
		return nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored page", Err: err}
	}
	return &core.StoredPage{Page: &p, Document: json.RawMessage(doc), Version: version, ContentHash: hash, PublishedAt: at}, nil
}

// ListPages returns the tenant's pages ordered by slug.
func (s *Store) ListPages(ctx context.Context, tenant string) ([]core.PageSummary, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT id, slug, tenant, name, title, is_public, is_homepage, version, content_hash, published_at
		FROM pages WHERE tenant = ? ORDER BY slug`, tenantOrDefault(tenant))
	if err != nil {
		return nil, dbError("list pages", err)
	}
	defer rows.Close()
	pages := []core.PageSummary{}
	for rows.Next() {
		var (
			p         core.PageSummary
			published string
		)
		if err := rows.Scan(&p.ID, &p.Slug, &p.TenantSlug, &p.Name, &p.Title, &p.IsPublic,
			&p.IsHomepage, &p.Version, &p.ContentHash, &published); err != nil {
			return nil, dbError("list pages", err)
		}
		if p.PublishedAt, err = parseTime(published); err != nil {
			return nil, &core.Error{Code: core.EINTERNAL, Message: "list pages", Err: err}
		}
		pages = append(pages, p)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("list pages", err)
	}
	return pages, nil
}

// Settings returns the tenant's settings, empty when none were saved.
func (s *Store) Settings(ctx context.Context, tenant string) (*core.Settings, error) {
	var doc string
	err := s.db.QueryRowContext(ctx, `SELECT document FROM settings WHERE tenant = ?`,
		tenantOrDefault(tenant)).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return &core.Settings{}, nil
	}
	if err != nil {
		return nil, dbError("read settings", err)
	}
	var st core.Settings
	if err := json.Unmarshal([]byte(doc), &st); err != nil {
		return nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored settings", Err: err}
	}
	return &st, nil
}

// Generation returns the publish generation.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var g int64
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'generation'`).Scan(&g); err != nil {
		return 0, dbError("read generation", err)
	}
	return g, nil
}

// PublishPage stores a page; see core.Store.
func (s *Store) PublishPage(ctx context.Context, in core.PublishPageInput) (*core.PublishResult, error) {
	p := in.Page
	switch {
	case p == nil || p.ID == "" || p.Slug == "":
		return nil, core.Errorf(core.EINVALID, "a page needs an id and a slug")
	case !json.Valid(in.Document):
		return nil, core.Errorf(core.EINVALID, "the page document is not valid JSON")
	}
	tenant := p.Tenant()
	now := time.Now().UTC()
	res := &core.PublishResult{}

	err := s.write(ctx, "publish page", func(tx *sql.Tx) error {
		if !in.Force && in.ContentHash != "" {
			var (
				version   int64
				published string
			)
			// The homepage flag is compared too: a page that lost it to
			// another page is not unchanged when it asks for it back.
			err := tx.QueryRowContext(ctx, `
				SELECT version, published_at FROM pages
				WHERE tenant = ? AND slug = ? AND id = ? AND content_hash = ? AND is_homepage = ?`,
				tenant, p.Slug, p.ID, in.ContentHash, p.IsHomepage).Scan(&version, &published)
			switch {
			case err == nil:
				res.Unchanged, res.Version = true, version
				if res.PublishedAt, err = parseTime(published); err != nil {
					return err
				}
				return tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'generation'`).Scan(&res.Generation)
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}

		rows, err := tx.QueryContext(ctx, `
			DELETE FROM pages WHERE tenant = ? AND (slug = ? OR id = ?) RETURNING id, slug`,
			tenant, p.Slug, p.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, slug string
			if err := rows.Scan(&id, &slug); err != nil {
				rows.Close()
				return err
			}
			if slug == p.Slug && id != p.ID {
				res.ReplacedID = id
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}

		if p.IsHomepage {
			if _, err := tx.ExecContext(ctx, `UPDATE pages SET is_homepage = 0 WHERE tenant = ? AND is_homepage = 1`, tenant); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `
			INSERT INTO slug_versions (tenant, slug, version) VALUES (?, ?, 1)
			ON CONFLICT (tenant, slug) DO UPDATE SET version = version + 1
			RETURNING version`, tenant, p.Slug).Scan(&res.Version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO pages (tenant, slug, id, name, title, document, is_public, is_homepage, version, content_hash, published_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			tenant, p.Slug, p.ID, p.Name, p.Title, string(in.Document), p.Public(), p.IsHomepage,
			res.Version, in.ContentHash, formatTime(now)); err != nil {
			return err
		}
		res.PublishedAt = now
		res.Generation, err = bumpGeneration(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// DeletePage unpublishes a page; ENOTFOUND when there is none.
func (s *Store) DeletePage(ctx context.Context, tenant, slug string) (int64, error) {
	var gen int64
	err := s.write(ctx, "delete page", func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM pages WHERE tenant = ? AND slug = ?`, tenantOrDefault(tenant), slug)
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return core.Errorf(core.ENOTFOUND, "page %q not found", slug)
		}
		gen, err = bumpGeneration(ctx, tx)
		return err
	})
	return gen, err
}

// SaveSettings replaces the tenant's settings.
func (s *Store) SaveSettings(ctx context.Context, tenant string, st *core.Settings) (int64, error) {
	if st == nil {
		return 0, core.Errorf(core.EINVALID, "settings are missing")
	}
	doc, err := json.Marshal(st)
	if err != nil {
		return 0, core.Errorf(core.EINVALID, "settings cannot be encoded: %v", err)
	}
	var gen int64
	err = s.write(ctx, "save settings", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO settings (tenant, document, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (tenant) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
			tenantOrDefault(tenant), string(doc), formatTime(time.Now())); err != nil {
			return err
		}
		gen, err = bumpGeneration(ctx, tx)
		return err
	})
	return gen, err
}

// SaveWorkflow stores a workflow and keeps every version of it.
func (s *Store) SaveWorkflow(ctx context.Context, w *core.Workflow) (int64, error) {
	if w == nil || w.ID == "" {
		return 0, core.Errorf(core.EINVALID, "a workflow needs an id")
	}
	doc, err := json.Marshal(w)
	if err != nil {
		return 0, core.Errorf(core.EINVALID, "workflow cannot be encoded: %v", err)
	}
	now := formatTime(time.Now())
	var version int64
	err = s.write(ctx, "save workflow", func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `
			INSERT INTO workflows (id, document, version, updated_at) VALUES (?, ?, 1, ?)
			ON CONFLICT (id) DO UPDATE SET document = excluded.document,
				version = version + 1, updated_at = excluded.updated_at
			RETURNING version`, w.ID, string(doc), now).Scan(&version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO workflow_versions (workflow_id, version, document, created_at) VALUES (?, ?, ?, ?)`,
			w.ID, version, string(doc), now); err != nil {
			return err
		}
		_, err := bumpGeneration(ctx, tx)
		return err
	})
	return version, err
}

// Workflow returns a stored workflow; ENOTFOUND when there is none.
func (s *Store) Workflow(ctx context.Context, id string) (*core.StoredWorkflow, error) {
	var (
		doc, updated string
		version      int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT document, version, updated_at FROM workflows WHERE id = ?`, id).
		Scan(&doc, &version, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.ENOTFOUND, "workflow %q not found", id)
	}
	if err != nil {
		return nil, dbError("read workflow", err)
	}
	var w core.Workflow
	if err := json.Unmarshal([]byte(doc), &w); err != nil {
		return nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored workflow", Err: err}
	}
	at, err := parseTime(updated)
	if err != nil {
		return nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored workflow", Err: err}
	}
	return &core.StoredWorkflow{Workflow: &w, Version: version, UpdatedAt: at}, nil
}

// write runs fn in one transaction. A *core.Error from fn (ENOTFOUND, say)
// rolls back and reaches the caller as it is; any other error is a
// database failure.
func (s *Store) write(ctx context.Context, what string, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return dbError(what, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		if _, ok := errors.AsType[*core.Error](err); ok {
			return err
		}
		return dbError(what, err)
	}
	if err := tx.Commit(); err != nil {
		return dbError(what, err)
	}
	return nil
}

func bumpGeneration(ctx context.Context, tx *sql.Tx) (int64, error) {
	var g int64
	err := tx.QueryRowContext(ctx, `UPDATE meta SET value = value + 1 WHERE key = 'generation' RETURNING value`).Scan(&g)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errNoGenerationRow
	}
	return g, err
}

// dbError hides the driver's message (it may quote SQL) behind a safe one
// and says whether trying again later could help.
func dbError(what string, err error) error {
	code := core.EINTERNAL
	if e, ok := errors.AsType[*sqlite.Error](err); ok {
		switch e.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_INTERRUPT:
			code = core.EUNAVAILABLE
		}
	} else if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, sql.ErrConnDone) {
		code = core.EUNAVAILABLE
	}
	return &core.Error{Code: code, Message: "state database: " + what + " failed", Err: err}
}

func tenantOrDefault(t string) string {
	if t == "" {
		return core.DefaultTenant
	}
	return t
}

// Fixed-width nanoseconds keep stored times sortable as text.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
