// Package sqlstore is the state store on SQLite's dialect, shared by the
// local SQLite file (adapters/sqlite) and Turso/libSQL over HTTP
// (adapters/turso). It holds the schema (migrations/) and every query, so
// that both backends obey the same rules; an adapter supplies only the
// connection and how a batch of statements runs atomically.
//
// Every write is one batch: a list of statements that commits as a whole
// or not at all, with no reads in between that decide what to write. That
// is what Turso's HTTP API offers (a Hrana batch; no interactive
// transactions), and SQLite runs the same batch in one transaction.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/analytics"
	"github.com/frontbase/edge/core/workflow"
)

// Stmt is one statement of a batch, with positional (?) arguments.
type Stmt struct {
	SQL  string
	Args []any
}

// Rows are the rows one statement of a batch returned, as scanned values.
type Rows [][]any

// Backend is what an adapter provides.
type Backend struct {
	DB *sql.DB
	// Batch runs stmts atomically and returns the rows of each statement.
	Batch func(ctx context.Context, stmts []Stmt) ([]Rows, error)
	// Unavailable reports whether a database error may go away by itself
	// (busy, network, timeout), as opposed to a bug or a broken schema.
	Unavailable func(err error) bool
	// Ready, when set, is called before each use; the Turso adapter checks
	// the schema version there once, lazily, so a cold start does no I/O.
	Ready func(ctx context.Context) error
	// Timeout bounds every call (0: only the caller's context does). Remote
	// backends need it: a hung database must not hold a request forever.
	Timeout time.Duration
	// PublishTimeout bounds a publish of pages (0: Timeout): a site
	// publish carries megabytes in one batch and takes longer than a read.
	PublishTimeout time.Duration
}

// Store implements core.Store on a Backend.
type Store struct {
	b    Backend
	keep atomic.Int64 // site versions kept per tenant; see SetKeepVersions
}

// Every port the wiring (functions/internal/backend.State) takes from a
// state store; the rate-limit, secret and counter sinks are checked beside
// their code.
var (
	_ core.Store               = (*Store)(nil)
	_ analytics.Reader         = (*Store)(nil)
	_ workflow.CursorStore     = (*Store)(nil)
	_ workflow.ExecutionPruner = (*Store)(nil)
)

// New returns a store over b.
func New(b Backend) *Store { return &Store{b: b} }

// DB is the underlying connection pool.
func (s *Store) DB() *sql.DB { return s.b.DB }

// Close closes the connection pool.
func (s *Store) Close() error { return s.b.DB.Close() }

func (s *Store) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.b.Timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.b.Timeout)
}

// publishOp names the publish in errors, and gets PublishTimeout.
const publishOp = "publish pages"

func (s *Store) timeout(what string) time.Duration {
	if what == publishOp && s.b.PublishTimeout > 0 {
		return s.b.PublishTimeout
	}
	return s.b.Timeout
}

func (s *Store) publishDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if d := s.timeout(publishOp); d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return ctx, func() {}
}

func (s *Store) ready(ctx context.Context) error {
	if s.b.Ready == nil {
		return nil
	}
	return s.b.Ready(ctx)
}

// loadPageSQL answers a page view in one statement, so the page, the 404
// page, the settings and the generation all come from one snapshot and one
// round trip. Rows are tagged by kind; the "state" row carries the
// settings document and, in the version column, the generation. The 404
// page comes only when visitors cannot see the wanted page. %s selects the
// wanted page.
const loadPageSQL = `
WITH wanted AS (
	SELECT document, version, content_hash, published_at, is_homepage, is_public
	FROM pages WHERE tenant = ? AND %s
)
SELECT 'page', document, version, content_hash, published_at, is_homepage FROM wanted
UNION ALL
SELECT 'notfound', document, version, content_hash, published_at, is_homepage
FROM pages WHERE tenant = ? AND slug = ? AND NOT EXISTS (SELECT 1 FROM wanted WHERE is_public = 1)
UNION ALL
SELECT 'state', (SELECT document FROM settings WHERE tenant = ?),
	(SELECT value FROM meta WHERE key = 'generation'), NULL, NULL, NULL`

// The homepage variant names is_homepage = 1 literally so that SQLite can
// use the partial index pages_one_homepage.
var (
	loadBySlugSQL      = sprintf(loadPageSQL, "slug = ?")
	loadHomepageSQL    = sprintf(loadPageSQL, "is_homepage = 1")
	errNoGenerationRow = errors.New("meta has no generation row")
)

// LoadPage returns the page a public request wants. It returns pages that
// are not public too: whether a visitor may see one is the caller's rule.
func (s *Store) LoadPage(ctx context.Context, q core.PageQuery) (*core.PageBundle, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	tenant := tenantOrDefault(q.Tenant)
	query, args := loadHomepageSQL, []any{tenant, tenant, core.NotFoundSlug, tenant}
	if !q.Homepage {
		query, args = loadBySlugSQL, []any{tenant, q.Slug, tenant, core.NotFoundSlug, tenant}
	}
	rows, err := s.b.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.dbError("load page", err)
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
			home      sql.NullInt64
		)
		if err := rows.Scan(&kind, &doc, &version, &hash, &published, &home); err != nil {
			return nil, s.dbError("load page", err)
		}
		switch kind {
		case "page", "notfound":
			p, err := decodePage(doc.String, version.Int64, hash.String, published.String, home.Int64 == 1)
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
			if !version.Valid {
				return nil, &core.Error{Code: core.EINTERNAL, Message: "load page", Err: errNoGenerationRow}
			}
			b.Generation = version.Int64
			if doc.Valid {
				if err := json.Unmarshal([]byte(doc.String), &b.Settings); err != nil {
					return nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored settings", Err: err}
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbError("load page", err)
	}
	if !sawState {
		return nil, &core.Error{Code: core.EINTERNAL, Message: "load page", Err: errors.New("no state row")}
	}
	return b, nil
}

// Page returns a page whether or not it is public.
func (s *Store) Page(ctx context.Context, tenant, slug string) (*core.StoredPage, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	var (
		doc, hash, published string
		version, home        int64
	)
	err := s.b.DB.QueryRowContext(ctx, `
		SELECT document, version, content_hash, published_at, is_homepage
		FROM pages WHERE tenant = ? AND slug = ?`, tenantOrDefault(tenant), slug,
	).Scan(&doc, &version, &hash, &published, &home)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.ENOTFOUND, "page %q not found", slug)
	}
	if err != nil {
		return nil, s.dbError("read page", err)
	}
	return decodePage(doc, version, hash, published, home == 1)
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
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := s.b.DB.QueryContext(ctx, `
		SELECT id, slug, tenant, name, title, is_public, is_homepage, version, content_hash, published_at
		FROM pages WHERE tenant = ? ORDER BY slug`, tenantOrDefault(tenant))
	if err != nil {
		return nil, s.dbError("list pages", err)
	}
	defer rows.Close()
	pages := []core.PageSummary{}
	for rows.Next() {
		var (
			p            core.PageSummary
			published    string
			public, home int64
		)
		if err := rows.Scan(&p.ID, &p.Slug, &p.TenantSlug, &p.Name, &p.Title, &public,
			&home, &p.Version, &p.ContentHash, &published); err != nil {
			return nil, s.dbError("list pages", err)
		}
		p.IsPublic, p.IsHomepage = public == 1, home == 1
		if p.PublishedAt, err = parseTime(published); err != nil {
			return nil, &core.Error{Code: core.EINTERNAL, Message: "list pages", Err: err}
		}
		pages = append(pages, p)
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbError("list pages", err)
	}
	return pages, nil
}

// Settings returns the tenant's settings, empty when none were saved.
func (s *Store) Settings(ctx context.Context, tenant string) (*core.Settings, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	var doc string
	err := s.b.DB.QueryRowContext(ctx, `SELECT document FROM settings WHERE tenant = ?`,
		tenantOrDefault(tenant)).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return &core.Settings{}, nil
	}
	if err != nil {
		return nil, s.dbError("read settings", err)
	}
	var st core.Settings
	if err := json.Unmarshal([]byte(doc), &st); err != nil {
		return nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored settings", Err: err}
	}
	return &st, nil
}

// Generation returns the publish generation.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	var g int64
	if err := s.b.DB.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'generation'`).Scan(&g); err != nil {
		return 0, s.dbError("read generation", err)
	}
	return g, nil
}

const (
	bumpGeneration   = `UPDATE meta SET value = value + 1 WHERE key = 'generation'`
	selectGeneration = `SELECT value FROM meta WHERE key = 'generation'`
)

// PublishPage stores a page; see core.Store. It is PublishPages with one
// page, so both follow the same rules.
func (s *Store) PublishPage(ctx context.Context, in core.PublishPageInput) (*core.PublishResult, error) {
	if in.Page == nil {
		return nil, core.Errorf(core.EINVALID, "a page needs an id and a slug")
	}
	res, err := s.PublishPages(ctx, core.PublishPagesInput{Tenant: in.Page.Tenant(), Pages: []core.PublishPageInput{in}})
	if err != nil {
		return nil, err
	}
	return &res.Pages[0], nil
}

// DeletePage unpublishes a page; ENOTFOUND when there is none, and then
// the generation is left alone.
func (s *Store) DeletePage(ctx context.Context, tenant, slug string) (int64, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	tenant = tenantOrDefault(tenant)
	exists := `(SELECT count(*) FROM pages WHERE tenant = ? AND slug = ?)`
	stmts := []Stmt{
		{`SELECT ` + exists, []any{tenant, slug}},
		{bumpGeneration + ` AND ` + exists + ` > 0`, []any{tenant, slug}},
		{`DELETE FROM pages WHERE tenant = ? AND slug = ?`, []any{tenant, slug}},
	}
	// The version is added only when the page was there: changes() is the
	// row count of the DELETE just before.
	stmts = append(stmts, s.versionStmts(tenant, actionUnpublish, "api", 0, nil, time.Now(), "changes() > 0")...)
	stmts = append(stmts, Stmt{selectGeneration, nil})
	results, err := s.batch(ctx, "delete page", stmts)
	if err != nil {
		return 0, err
	}
	if asInt(results[0][0][0]) == 0 {
		return 0, core.Errorf(core.ENOTFOUND, "page %q not found", slug)
	}
	return asInt(results[len(results)-1][0][0]), nil
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
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	tenant = tenantOrDefault(tenant)
	now := time.Now()
	stmts := []Stmt{
		{`INSERT INTO settings (tenant, document, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (tenant) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
			[]any{tenant, string(doc), FormatTime(now)}},
		{bumpGeneration, nil},
	}
	stmts = append(stmts, s.versionStmts(tenant, actionSettings, "api", 0, nil, now, "")...)
	stmts = append(stmts, Stmt{selectGeneration, nil})
	results, err := s.batch(ctx, "save settings", stmts)
	if err != nil {
		return 0, err
	}
	return asInt(results[len(results)-1][0][0]), nil
}

// MergeSettings changes the members of the tenant's settings that patch
// names and keeps the others, in one statement, so that two pushes of
// different members (the security sync and the auth forms sync) cannot
// undo each other. It bumps the generation and adds a site version as
// SaveSettings does, and returns the settings after the change.
func (s *Store) MergeSettings(ctx context.Context, tenant string, patch *core.SettingsPatch) (int64, *core.Settings, error) {
	if patch == nil || len(patch.Set)+len(patch.Remove) == 0 {
		return 0, nil, core.Errorf(core.EINVALID, "the settings push names no members")
	}
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return 0, nil, err
	}
	tenant = tenantOrDefault(tenant)
	// json_set(doc, '$."k"', json(?), ...), then json_remove(..., '$."k"').
	// Member names were checked against core's key pattern: no quotes.
	keys := make([]string, 0, len(patch.Set))
	for k := range patch.Set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	expr := `COALESCE((SELECT document FROM settings WHERE tenant = ?), '{}')`
	args := []any{tenant}
	if len(keys) > 0 {
		var b strings.Builder
		b.WriteString("json_set(" + expr)
		for _, k := range keys {
			b.WriteString(`, '$."` + k + `"', json(?)`)
			args = append(args, string(patch.Set[k]))
		}
		b.WriteString(")")
		expr = b.String()
	}
	if len(patch.Remove) > 0 {
		var b strings.Builder
		b.WriteString("json_remove(" + expr)
		for _, k := range patch.Remove {
			b.WriteString(`, '$."` + k + `"'`)
		}
		b.WriteString(")")
		expr = b.String()
	}
	now := time.Now()
	stmts := []Stmt{
		{`INSERT INTO settings (tenant, document, updated_at) VALUES (?, ` + expr + `, ?)
			ON CONFLICT (tenant) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
			append(append([]any{tenant}, args...), FormatTime(now))},
		{bumpGeneration, nil},
	}
	stmts = append(stmts, s.versionStmts(tenant, actionSettings, "api", 0, nil, now, "")...)
	stmts = append(stmts, Stmt{`SELECT (` + selectGeneration + `), (SELECT document FROM settings WHERE tenant = ?)`, []any{tenant}})
	results, err := s.batch(ctx, "save settings", stmts)
	if err != nil {
		return 0, nil, err
	}
	final := results[len(results)-1]
	if len(final) != 1 {
		return 0, nil, &core.Error{Code: core.EINTERNAL, Message: "save settings", Err: errNoGenerationRow}
	}
	out := &core.Settings{}
	if doc := asString(final[0][1]); doc != "" {
		if err := json.Unmarshal([]byte(doc), out); err != nil {
			return 0, nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored settings", Err: err}
		}
	}
	return asInt(final[0][0]), out, nil
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
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	now := FormatTime(time.Now())
	version := `(SELECT version FROM workflows WHERE id = ?)`
	results, err := s.batch(ctx, "save workflow", []Stmt{
		{`INSERT INTO workflows (id, document, version, updated_at) VALUES (?, ?, 1, ?)
			ON CONFLICT (id) DO UPDATE SET document = excluded.document,
				version = version + 1, updated_at = excluded.updated_at`, []any{w.ID, string(doc), now}},
		{`INSERT INTO workflow_versions (workflow_id, version, document, created_at) VALUES (?, ` + version + `, ?, ?)`,
			[]any{w.ID, w.ID, string(doc), now}},
		{bumpGeneration, nil},
		{`SELECT ` + version, []any{w.ID}},
	})
	if err != nil {
		return 0, err
	}
	return asInt(results[3][0][0]), nil
}

// Workflow returns a stored workflow; ENOTFOUND when there is none.
func (s *Store) Workflow(ctx context.Context, id string) (*core.StoredWorkflow, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	var (
		doc, updated string
		version      int64
	)
	err := s.b.DB.QueryRowContext(ctx, `SELECT document, version, updated_at FROM workflows WHERE id = ?`, id).
		Scan(&doc, &version, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.ENOTFOUND, "workflow %q not found", id)
	}
	if err != nil {
		return nil, s.dbError("read workflow", err)
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

// batch runs stmts atomically and checks that every SELECT answered.
func (s *Store) batch(ctx context.Context, what string, stmts []Stmt) ([]Rows, error) {
	results, err := s.b.Batch(ctx, stmts)
	if err != nil {
		return nil, s.dbError(what, err)
	}
	if len(results) != len(stmts) {
		return nil, &core.Error{Code: core.EINTERNAL, Message: "state database: " + what + " failed",
			Err: errors.New("batch returned a result count that does not match its statements")}
	}
	return results, nil
}

// dbError hides the driver's message (it may quote SQL) behind a safe one
// and says whether trying again later could help.
func (s *Store) dbError(what string, err error) error {
	if _, ok := errors.AsType[*core.Error](err); ok {
		return err
	}
	code := core.EINTERNAL
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, sql.ErrConnDone) || (s.b.Unavailable != nil && s.b.Unavailable(err)) {
		code = core.EUNAVAILABLE
	}
	return &core.Error{Code: code, Message: "state database: " + what + " failed: " + Cause(err, s.timeout(what)), Err: err}
}

// causes name, in words safe to show to a caller, what a driver error
// means. The driver's own message is never shown: it may quote SQL,
// values or the database's address.
var causes = []struct{ match, cause string }{
	{"database is locked", "the database is busy (locked by another writer); try again"},
	{"SQLITE_BUSY", "the database is busy (locked by another writer); try again"},
	{"busy", "the database is busy; try again"},
	{"connection refused", "cannot reach the database (connection refused)"},
	{"connection reset", "the connection to the database was reset"},
	{"no such host", "cannot reach the database (host not found)"},
	{"i/o timeout", "cannot reach the database (network timeout)"},
	{"EOF", "the database closed the connection early"},
	{"error code 401", "the database refused the token (HTTP 401): check FRONTBASE_STATE_DB_TOKEN"},
	{"error code 403", "the database refused the token (HTTP 403): check FRONTBASE_STATE_DB_TOKEN"},
	{"error code 404", "the database was not found (HTTP 404): check FRONTBASE_STATE_DB_URL"},
	{"error code 413", "the request is too large for the database (HTTP 413)"},
	{"error code 429", "the database is rate limiting (HTTP 429); try again"},
	{"error code 5", "the database server failed (HTTP 5xx); try again"},
	{"no such table", "the schema is missing a table: run `frontbase migrate`"},
	{"no such column", "the schema is missing a column: run `frontbase migrate`"},
	{"UNIQUE constraint failed", "a uniqueness rule of the schema refused the write"},
	{"FOREIGN KEY constraint failed", "a reference rule of the schema refused the write"},
	{"too big", "a value or statement is too large for the database"},
	{"disk", "the database is out of disk space or cannot write"},
	{"readonly", "the database is read-only"},
}

// Cause says in a few safe words why a database call failed (timeout is
// the call's bound, named when it ran out); the full error goes to the log.
func Cause(err error, timeout time.Duration) string {
	switch {
	case err == nil:
		return "no error"
	case errors.Is(err, context.DeadlineExceeded):
		if timeout > 0 {
			return "timed out after " + timeout.String() + " (the database is slow or overloaded; FRONTBASE_STATE_DB_TIMEOUT raises the bound)"
		}
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "the request was canceled before the database answered"
	case errors.Is(err, sql.ErrConnDone):
		return "the connection to the database was closed"
	}
	msg := err.Error()
	for _, c := range causes {
		if strings.Contains(msg, c.match) {
			return c.cause
		}
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		if netErr.Timeout() {
			return "cannot reach the database (network timeout)"
		}
		return "cannot reach the database (network error)"
	}
	return "unexpected database error (the engine's log has it)"
}
