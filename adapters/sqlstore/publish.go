package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
)

// storedPage is what the unchanged check needs of a stored page.
type storedPage struct {
	id, hash, published string
	home                bool
	version             int64
	// docVersion is the control plane's version of the stored page (the
	// document's "version"), when it sent one.
	docVersion sql.NullFloat64
}

// PublishPages stores pages and settings in one batch; see core.Store. It
// makes at most two round trips: one read (the stored hashes of the slugs,
// the settings and the generation, in one statement) and, when anything
// changed, one batch. A concurrent publish between the two simply wins or
// loses as a forced publish would.
func (s *Store) PublishPages(ctx context.Context, in core.PublishPagesInput) (*core.PublishPagesResult, error) {
	tenant := tenantOrDefault(in.Tenant)
	slugs := make(map[string]bool, len(in.Pages))
	ids := make(map[string]bool, len(in.Pages))
	homes := 0
	for _, pi := range in.Pages {
		p := pi.Page
		switch {
		case p == nil || p.ID == "" || p.Slug == "":
			return nil, core.Errorf(core.EINVALID, "a page needs an id and a slug")
		case !json.Valid(pi.Document):
			return nil, core.Errorf(core.EINVALID, "the page document of %q is not valid JSON", p.Slug)
		case p.Tenant() != tenant:
			return nil, core.Errorf(core.EINVALID, "page %q belongs to tenant %q, not %q", p.Slug, p.Tenant(), tenant)
		case slugs[p.Slug]:
			return nil, core.Errorf(core.EINVALID, "two pages have the slug %q", p.Slug)
		case ids[p.ID]:
			return nil, core.Errorf(core.EINVALID, "two pages have the id %q", p.ID)
		}
		slugs[p.Slug], ids[p.ID] = true, true
		if p.IsHomepage {
			homes++
		}
	}
	if homes > 1 {
		return nil, core.Errorf(core.EINVALID, "%d pages ask to be the homepage; at most one may", homes)
	}
	var settingsDoc []byte
	if in.Settings != nil {
		var err error
		if settingsDoc, err = json.Marshal(in.Settings); err != nil {
			return nil, core.Errorf(core.EINVALID, "settings cannot be encoded: %v", err)
		}
	}
	ctx, cancel := s.publishDeadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}

	// A forced publish of pages alone needs no read: the batch says what
	// it replaced.
	needRead := in.Settings != nil || len(in.Pages) == 0
	for _, pi := range in.Pages {
		needRead = needRead || (!pi.Force && pi.ContentHash != "")
	}
	var (
		stored         map[string]storedPage
		storedSettings *core.Settings
		gen            int64
	)
	if needRead {
		var err error
		if stored, storedSettings, gen, err = s.readForPublish(ctx, tenant, in.Pages); err != nil {
			return nil, err
		}
	}
	res := &core.PublishPagesResult{Pages: make([]core.PublishResult, len(in.Pages)), Generation: gen}
	now := time.Now().UTC()
	var (
		stmts   []Stmt
		changed []int // indexes into in.Pages, in batch order
	)
	var conflicts []core.FieldError
	for i, pi := range in.Pages {
		p := pi.Page
		old, ok := stored[p.Slug]
		if ok && !pi.Force && pi.ContentHash != "" &&
			old.id == p.ID && old.hash == pi.ContentHash && old.home == p.IsHomepage {
			at, err := parseTime(old.published)
			if err != nil {
				return nil, &core.Error{Code: core.EINTERNAL, Message: publishOp, Err: err}
			}
			res.Pages[i] = core.PublishResult{Unchanged: true, Version: old.version, Generation: gen, PublishedAt: at}
			continue
		}
		// The control plane's versions: a page older than the stored one
		// is refused unless forced, as the TypeScript engine refuses it, so
		// that a late or replayed publish cannot overwrite a newer page.
		// Unlike the TypeScript engine, an equal version is not a conflict:
		// an identical republish was found unchanged above (a retry), and
		// an edited page republished under the same version (the command
		// line's directories) is told apart by its content hash.
		if ok && pi.CheckVersion && !pi.Force && p.Version != nil && old.docVersion.Valid && old.docVersion.Float64 > *p.Version {
			conflicts = append(conflicts, core.FieldError{Path: fmt.Sprintf("pages[%d].version", i), Message: fmt.Sprintf(
				"version conflict: the engine has version %s of %q and this page is version %s; send force: true to overwrite",
				formatVersion(old.docVersion.Float64), p.Slug, formatVersion(*p.Version))})
			continue
		}
		changed = append(changed, i)
		stmts = append(stmts, Stmt{`SELECT id FROM pages WHERE tenant = ? AND slug = ?`, []any{tenant, p.Slug}})
		stmts = append(stmts, pageStmts(tenant, pi, now)...)
		stmts = append(stmts, Stmt{`SELECT version FROM slug_versions WHERE tenant = ? AND slug = ?`, []any{tenant, p.Slug}})
	}
	if len(conflicts) > 0 {
		msg := conflicts[0].Message
		if len(conflicts) > 1 {
			msg = fmt.Sprintf("%s (and %d more conflicts)", msg, len(conflicts)-1)
		}
		return nil, &core.Error{Code: core.ECONFLICT, Message: msg, Details: conflicts}
	}
	const perPage = 6
	res.Settings = storedSettings
	if settingsDoc != nil && (storedSettings == nil || !sameSettings(storedSettings, settingsDoc)) {
		res.SettingsChanged, res.Settings = true, in.Settings
		stmts = append(stmts, Stmt{`INSERT INTO settings (tenant, document, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (tenant) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
			[]any{tenant, string(settingsDoc), FormatTime(now)}})
	}
	if len(stmts) == 0 {
		if res.Settings == nil {
			res.Settings = &core.Settings{}
		}
		return res, nil
	}
	written := make([]string, len(changed))
	for n, i := range changed {
		written[n] = in.Pages[i].Page.Slug
	}
	stmts = append(stmts, Stmt{bumpGeneration, nil})
	stmts = append(stmts, s.versionStmts(tenant, actionPublish, in.Source, 0, written, now, "")...)
	stmts = append(stmts, Stmt{`SELECT (` + selectGeneration + `), (SELECT document FROM settings WHERE tenant = ?)`, []any{tenant}})
	results, err := s.batch(ctx, publishOp, stmts)
	if err != nil {
		return nil, err
	}
	final := results[len(results)-1]
	if len(final) != 1 {
		return nil, &core.Error{Code: core.EINTERNAL, Message: publishOp, Err: errNoGenerationRow}
	}
	res.Changed, res.Generation = true, asInt(final[0][0])
	res.Settings = &core.Settings{}
	if doc := asString(final[0][1]); doc != "" {
		if err := json.Unmarshal([]byte(doc), res.Settings); err != nil {
			return nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored settings", Err: err}
		}
	}
	for n, i := range changed {
		if prev := results[n*perPage]; len(prev) == 1 {
			if id := asString(prev[0][0]); id != in.Pages[i].Page.ID {
				res.Pages[i].ReplacedID = id
			}
		}
		rows := results[n*perPage+perPage-1]
		if len(rows) != 1 {
			return nil, &core.Error{Code: core.EINTERNAL, Message: publishOp, Err: errors.New("no slug version row")}
		}
		res.Pages[i].Version, res.Pages[i].Generation, res.Pages[i].PublishedAt = asInt(rows[0][0]), res.Generation, now
	}
	return res, nil
}

// readForPublish reads, in one statement, what is stored for the pages'
// slugs, the tenant's settings (nil when none were saved) and the
// generation.
func (s *Store) readForPublish(ctx context.Context, tenant string, pages []core.PublishPageInput) (map[string]storedPage, *core.Settings, int64, error) {
	// The stored document's version is read only for the pages the
	// conflict check compares (CheckVersion, not forced, with a version):
	// reading it means parsing the document, which a site publish must
	// not pay for.
	var args []any
	var q strings.Builder
	q.WriteString(`SELECT 'page', slug, id, content_hash, is_homepage, version, published_at, `)
	var versioned []any
	for _, p := range pages {
		if p.CheckVersion && !p.Force && p.Page.Version != nil {
			versioned = append(versioned, p.Page.Slug)
		}
	}
	if len(versioned) == 0 {
		q.WriteString("NULL")
	} else {
		q.WriteString(`CASE WHEN slug IN (?` + strings.Repeat(", ?", len(versioned)-1) + `) THEN document ->> '$.version' END`)
		args = append(args, versioned...)
	}
	args = append(args, tenant)
	q.WriteString(` FROM pages WHERE tenant = ? AND slug IN (''`)
	for _, p := range pages {
		q.WriteString(", ?")
		args = append(args, p.Page.Slug)
	}
	q.WriteString(`)
UNION ALL
SELECT 'state', (SELECT document FROM settings WHERE tenant = ?), NULL, NULL, NULL, (` + selectGeneration + `), NULL, NULL`)
	args = append(args, tenant)
	rows, err := s.b.DB.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, nil, 0, s.dbError(publishOp, err)
	}
	defer rows.Close()
	stored := map[string]storedPage{}
	var (
		settings *core.Settings
		gen      int64
		sawState bool
	)
	for rows.Next() {
		var (
			kind                      string
			slug, id, hash, published sql.NullString
			home, version             sql.NullInt64
			docVersion                sql.NullFloat64
		)
		if err := rows.Scan(&kind, &slug, &id, &hash, &home, &version, &published, &docVersion); err != nil {
			return nil, nil, 0, s.dbError(publishOp, err)
		}
		if kind == "state" {
			sawState = true
			if !version.Valid {
				return nil, nil, 0, &core.Error{Code: core.EINTERNAL, Message: publishOp, Err: errNoGenerationRow}
			}
			gen = version.Int64
			if slug.Valid {
				settings = &core.Settings{}
				if err := json.Unmarshal([]byte(slug.String), settings); err != nil {
					return nil, nil, 0, &core.Error{Code: core.EINTERNAL, Message: "decode stored settings", Err: err}
				}
			}
			continue
		}
		stored[slug.String] = storedPage{id: id.String, hash: hash.String, published: published.String, home: home.Int64 == 1, version: version.Int64, docVersion: docVersion}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, 0, s.dbError(publishOp, err)
	}
	if !sawState {
		return nil, nil, 0, &core.Error{Code: core.EINTERNAL, Message: publishOp, Err: errors.New("no state row")}
	}
	return stored, settings, gen, nil
}

// sameSettings compares stored settings with a new document by their
// canonical encoding.
func sameSettings(stored *core.Settings, doc []byte) bool {
	old, err := json.Marshal(stored)
	return err == nil && string(old) == string(doc)
}

// pageStmts write one page as a publish does: the page that had its slug
// or its id goes, the homepage flag moves to it when it has it, the slug's
// version counts up and the row is inserted.
func pageStmts(tenant string, pi core.PublishPageInput, now time.Time) []Stmt {
	p := pi.Page
	return []Stmt{
		{`DELETE FROM pages WHERE tenant = ? AND (slug = ? OR id = ?)`, []any{tenant, p.Slug, p.ID}},
		{`UPDATE pages SET is_homepage = 0 WHERE tenant = ? AND is_homepage = 1 AND ? = 1`, []any{tenant, boolInt(p.IsHomepage)}},
		{`INSERT INTO slug_versions (tenant, slug, version) VALUES (?, ?, 1)
				ON CONFLICT (tenant, slug) DO UPDATE SET version = version + 1`, []any{tenant, p.Slug}},
		{`INSERT INTO pages (tenant, slug, id, name, title, document, is_public, is_homepage, version, content_hash, published_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, (SELECT version FROM slug_versions WHERE tenant = ? AND slug = ?), ?, ?)`,
			[]any{tenant, p.Slug, p.ID, p.Name, p.Title, string(pi.Document), boolInt(p.Public()), boolInt(p.IsHomepage),
				tenant, p.Slug, pi.ContentHash, FormatTime(now)}},
	}
}

// formatVersion writes a control-plane version as it was sent: 3, not 3.000000.
func formatVersion(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
