package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
)

// SetKeepVersions sets how many site versions each tenant keeps (at least
// 1; core.DefaultKeepVersions until set). Call it before the store is used.
func (s *Store) SetKeepVersions(n int) {
	s.keep.Store(int64(max(n, 1)))
}

func (s *Store) keepVersions() int64 {
	if n := s.keep.Load(); n > 0 {
		return n
	}
	return core.DefaultKeepVersions
}

// Version actions.
const (
	actionPublish   = "publish"
	actionUnpublish = "unpublish"
	actionSettings  = "settings"
	actionRollback  = "rollback"
)

// pruneSlack is how many versions past the kept ones may wait for the
// next prune; they are invisible (not listed, not restorable) meanwhile.
const pruneSlack = 10

const maxVersionSQL = `(SELECT MAX(version) FROM site_versions WHERE tenant = ?)`

// versionStmts are what every state-changing batch appends after it has
// written the pages and bumped the generation: the documents of the
// written slugs (deduplicated by slug and content hash), one version row
// that snapshots every page's (slug, content hash, homepage flag) and the
// settings with json_group_array, then the pruning of documents only the
// versions about to go name, and of those versions. Four statements,
// whatever the number of pages.
//
// when, if not empty, is an SQL condition (with its arguments) under which
// the version row is added at all.
func (s *Store) versionStmts(tenant, action, source string, restoredFrom int64, written []string, now time.Time, when string, whenArgs ...any) []Stmt {
	if source == "" {
		source = "api"
	}
	var restored any
	if restoredFrom > 0 {
		restored = restoredFrom
	}
	keep := s.keepVersions()
	var stmts []Stmt
	if len(written) > 0 {
		args := make([]any, 0, len(written)+1)
		args = append(args, tenant)
		for _, slug := range written {
			args = append(args, slug)
		}
		stmts = append(stmts, Stmt{`INSERT OR IGNORE INTO page_documents (tenant, slug, content_hash, document)
			SELECT tenant, slug, content_hash, document FROM pages
			WHERE tenant = ? AND slug IN (?` + strings.Repeat(", ?", len(written)-1) + `)`, args})
	}
	stmts = append(stmts,
		Stmt{`INSERT INTO site_versions (tenant, version, generation, action, source, restored_from, pages, settings, created_at)
			SELECT ?, COALESCE(` + maxVersionSQL + `, 0) + 1, (` + selectGeneration + `), ?, ?, ?,
				(SELECT json_group_array(json_array(slug, content_hash, is_homepage))
					FROM (SELECT slug, content_hash, is_homepage FROM pages WHERE tenant = ? ORDER BY slug)),
				(SELECT document FROM settings WHERE tenant = ?), ?` + where(when),
			append([]any{tenant, tenant, action, source, restored, tenant, tenant, FormatTime(now)}, whenArgs...)},
		// Versions are pruned in groups, once there are pruneSlack more
		// than kept: the documents check reads every kept version's JSON,
		// too much for every publish. A document can lose its last
		// reference only when versions go, so it runs under the same
		// condition, before them.
		Stmt{`DELETE FROM page_documents WHERE tenant = ?
			AND EXISTS (SELECT 1 FROM site_versions WHERE tenant = ? AND version <= ` + maxVersionSQL + ` - ?)
			AND json_array(slug, content_hash) NOT IN (
				SELECT json_array(j.value ->> 0, j.value ->> 1) FROM site_versions v, json_each(v.pages) j
				WHERE v.tenant = ? AND v.version > ` + maxVersionSQL + ` - ?)`,
			[]any{tenant, tenant, tenant, keep + pruneSlack, tenant, tenant, keep}},
		Stmt{`DELETE FROM site_versions WHERE tenant = ? AND version <= ` + maxVersionSQL + ` - ?
			AND EXISTS (SELECT 1 FROM site_versions WHERE tenant = ? AND version <= ` + maxVersionSQL + ` - ?)`,
			[]any{tenant, tenant, keep, tenant, tenant, keep + pruneSlack}},
	)
	return stmts
}

func where(cond string) string {
	if cond == "" {
		return ""
	}
	return " WHERE " + cond
}

// Versions lists the tenant's kept site versions, newest first.
func (s *Store) Versions(ctx context.Context, tenant string) ([]core.SiteVersion, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := s.b.DB.QueryContext(ctx, `
		SELECT version, generation, action, source, restored_from, pages, created_at
		FROM site_versions WHERE tenant = ? AND version > `+maxVersionSQL+` - ? ORDER BY version DESC`,
		tenantOrDefault(tenant), tenantOrDefault(tenant), s.keepVersions())
	if err != nil {
		return nil, s.dbError("list versions", err)
	}
	defer rows.Close()
	out := []core.SiteVersion{}
	for rows.Next() {
		var (
			v              core.SiteVersion
			restored       sql.NullInt64
			pages, created string
		)
		if err := rows.Scan(&v.Version, &v.Generation, &v.Action, &v.Source, &restored, &pages, &created); err != nil {
			return nil, s.dbError("list versions", err)
		}
		v.RestoredFrom = restored.Int64
		if v.CreatedAt, err = parseTime(created); err != nil {
			return nil, &core.Error{Code: core.EINTERNAL, Message: "list versions", Err: err}
		}
		if v.Pages, err = decodeVersionPages(pages); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbError("list versions", err)
	}
	return out, nil
}

func decodeVersionPages(doc string) ([]core.VersionPage, error) {
	var raw [][3]any
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, &core.Error{Code: core.EINTERNAL, Message: "decode site version", Err: err}
	}
	pages := make([]core.VersionPage, 0, len(raw))
	for _, r := range raw {
		slug, _ := r[0].(string)
		hash, _ := r[1].(string)
		home, _ := r[2].(float64)
		pages = append(pages, core.VersionPage{Slug: slug, ContentHash: hash, IsHomepage: home == 1})
	}
	return pages, nil
}

// Rollback restores a kept version; see core.Store. It reads, in one
// statement, the version's pages with their documents, the current pages
// and the version's settings, then writes in one batch: the pages absent
// from the version are deleted, the pages that differ are written again
// as a publish writes them, the settings are restored, the generation is
// bumped and a new version (action rollback) is added.
func (s *Store) Rollback(ctx context.Context, in core.RollbackInput) (*core.RollbackResult, error) {
	if in.Version <= 0 {
		return nil, core.Errorf(core.EINVALID, "version must be a positive number")
	}
	tenant := tenantOrDefault(in.Tenant)
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := s.b.DB.QueryContext(ctx, `
		SELECT 'page', j.value ->> 0, j.value ->> 1, j.value ->> 2, d.document
		FROM site_versions v, json_each(v.pages) j
		LEFT JOIN page_documents d ON d.tenant = v.tenant AND d.slug = j.value ->> 0 AND d.content_hash = j.value ->> 1
		WHERE v.tenant = ? AND v.version = ?
		UNION ALL
		SELECT 'current', slug, content_hash, is_homepage, id FROM pages WHERE tenant = ?
		UNION ALL
		SELECT 'version', settings, NULL, NULL, NULL FROM site_versions
		WHERE tenant = ? AND version = ? AND version > `+maxVersionSQL+` - ?
		UNION ALL
		SELECT 'settings', document, NULL, NULL, NULL FROM settings WHERE tenant = ?`,
		tenant, in.Version, tenant, tenant, in.Version, tenant, s.keepVersions(), tenant)
	if err != nil {
		return nil, s.dbError("rollback", err)
	}
	type cur struct {
		hash, id string
		home     bool
	}
	var (
		want     []core.PublishPageInput
		current  = map[string]cur{}
		found    bool
		settings sql.NullString
		stored   sql.NullString // the settings now
		missing  error
	)
	for rows.Next() {
		var (
			kind                string
			slug, hash, docOrID sql.NullString
			home                sql.NullInt64
		)
		if err := rows.Scan(&kind, &slug, &hash, &home, &docOrID); err != nil {
			rows.Close()
			return nil, s.dbError("rollback", err)
		}
		switch kind {
		case "version":
			found, settings = true, slug
		case "settings":
			stored = slug
		case "current":
			current[slug.String] = cur{hash: hash.String, id: docOrID.String, home: home.Int64 == 1}
		case "page":
			if !docOrID.Valid {
				if missing == nil {
					missing = core.Errorf(core.ECONFLICT, "version %d cannot be restored: the document of %q at %s is no longer stored", in.Version, slug.String, hash.String)
				}
				continue
			}
			var p core.Page
			if err := json.Unmarshal([]byte(docOrID.String), &p); err != nil {
				rows.Close()
				return nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored page", Err: err}
			}
			p.Slug, p.IsHomepage = slug.String, home.Int64 == 1
			want = append(want, core.PublishPageInput{Page: &p, Document: []byte(docOrID.String), ContentHash: hash.String})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.dbError("rollback", err)
	}
	if !found {
		return nil, core.Errorf(core.ENOTFOUND, "site version %d is not kept (the last %d versions are; see GET /api/versions)", in.Version, s.keepVersions())
	}
	if missing != nil {
		return nil, missing
	}

	// The same document: what visitors see of the settings cannot change
	// (a different spelling of the same settings counts as a change).
	res := &core.RollbackResult{RestoredFrom: in.Version, SettingsChanged: settings != stored}
	now := time.Now().UTC()
	var stmts []Stmt
	inVersion := map[string]bool{}
	var written []string
	for _, pi := range want {
		inVersion[pi.Page.Slug] = true
		if c, ok := current[pi.Page.Slug]; ok && c.hash == pi.ContentHash && c.home == pi.Page.IsHomepage && c.id == pi.Page.ID {
			res.Unchanged = append(res.Unchanged, pi.Page.Slug)
			continue
		}
		res.Restored = append(res.Restored, pi.Page.Slug)
		written = append(written, pi.Page.Slug)
		stmts = append(stmts, pageStmts(tenant, pi, now)...)
	}
	for slug := range current {
		if !inVersion[slug] {
			res.Removed = append(res.Removed, slug)
		}
	}
	slices.Sort(res.Removed)
	// Deleting first frees slugs, ids and the homepage flag for the pages
	// written after.
	stmts = append([]Stmt{{`DELETE FROM pages WHERE tenant = ? AND slug NOT IN (
		SELECT j.value ->> 0 FROM site_versions v, json_each(v.pages) j WHERE v.tenant = ? AND v.version = ?)`,
		[]any{tenant, tenant, in.Version}}}, stmts...)
	if settings.Valid {
		stmts = append(stmts, Stmt{`INSERT INTO settings (tenant, document, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (tenant) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`, []any{tenant, settings.String, FormatTime(now)}})
	} else {
		stmts = append(stmts, Stmt{`DELETE FROM settings WHERE tenant = ?`, []any{tenant}})
	}
	stmts = append(stmts, Stmt{bumpGeneration, nil})
	stmts = append(stmts, s.versionStmts(tenant, actionRollback, in.Source, in.Version, written, now, "")...)
	stmts = append(stmts, Stmt{`SELECT (` + selectGeneration + `), ` + maxVersionSQL, []any{tenant}})
	results, err := s.batch(ctx, "rollback", stmts)
	if err != nil {
		return nil, err
	}
	final := results[len(results)-1]
	if len(final) != 1 {
		return nil, &core.Error{Code: core.EINTERNAL, Message: "rollback", Err: errors.New("no version row")}
	}
	res.Generation, res.Version = asInt(final[0][0]), asInt(final[0][1])
	return res, nil
}
