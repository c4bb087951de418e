package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/frontbase/edge/adapters/sqlstore"
	"github.com/frontbase/edge/adapters/sqlstore/storetest"
	"github.com/frontbase/edge/core"
)

func openStore(t *testing.T) *Store {
	t.Helper()
	// A missing parent directory checks that Open creates it.
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "data", "pages.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pageDoc is a minimal page document; extra is spliced in as more
// top-level members.
func pageDoc(id, slug string, home bool, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return fmt.Sprintf(`{"id":%q,"slug":%q,"name":%q,"title":"T %s","isHomepage":%t,`+
		`"layoutData":{"content":[{"id":"h","type":"Heading","props":{"text":"hi"}}]}%s}`,
		id, slug, slug, slug, home, extra)
}

func publishDoc(t *testing.T, s *Store, doc string, force bool) *core.PublishResult {
	t.Helper()
	res, err := s.PublishPage(t.Context(), input(t, doc, force))
	if err != nil {
		t.Fatalf("publish %s: %v", doc, err)
	}
	return res
}

func input(t *testing.T, doc string, force bool) core.PublishPageInput {
	t.Helper()
	var p core.Page
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(doc))
	return core.PublishPageInput{Page: &p, Document: []byte(doc), ContentHash: hex.EncodeToString(sum[:]), Force: force}
}

func generation(t *testing.T, s *Store) int64 {
	t.Helper()
	g, err := s.Generation(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func count(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := core.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func TestOpenMigratesOnceAndConfiguresEveryConnection(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "nested", "dir", "pages.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}
	all, err := sqlstore.ReadMigrations(sqlstore.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, s.db, `SELECT count(*) FROM schema_migrations`); n != len(all) {
		t.Fatalf("schema_migrations has %d rows, want %d (one per migration)", n, len(all))
	}
	var appliedAt string
	if err := s.db.QueryRowContext(ctx, `SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&appliedAt); err != nil {
		t.Fatal(err)
	}

	// Hold two connections at once so that the pool has to open a second
	// one: the pragmas must hold on each, not only on the first.
	var conns []*sql.Conn
	for range 2 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		for _, tc := range []struct{ pragma, want string }{
			{"journal_mode", "wal"},
			{"busy_timeout", "15000"},
			{"foreign_keys", "1"},
			{"synchronous", "1"}, // NORMAL
		} {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("connection %d: PRAGMA %s = %q, want %q", i, tc.pragma, got, tc.want)
			}
		}
		c.Close()
	}

	publishDoc(t, s, pageDoc("p1", "a", false, ""), false)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	var appliedAgain string
	if err := s.db.QueryRowContext(ctx, `SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&appliedAgain); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s.db, `SELECT count(*) FROM schema_migrations`); n != len(all) || appliedAgain != appliedAt {
		t.Fatalf("reopen re-applied migrations: %d rows, applied_at %s then %s", n, appliedAt, appliedAgain)
	}
	if g := generation(t, s); g != 1 {
		t.Fatalf("generation after reopen = %d, want 1", g)
	}
	if _, err := s.Page(ctx, "", "a"); err != nil {
		t.Fatalf("page after reopen: %v", err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pages.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(t.Context(), `INSERT INTO schema_migrations VALUES (99, 'later')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(t.Context(), path)
	if err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("Open of a newer schema: err = %v, want one naming version 99", err)
	}
}

func rawDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "raw.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func tableExists(t *testing.T, db *sql.DB, name string) bool {
	return count(t, db, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name) > 0
}

// An up-to-date file is checked with one read: a start takes no write
// lock, so it neither waits behind another process's publish nor fails
// when that publish holds the lock (busy_timeout 0 here makes a wait an
// error at once), and reads no migration file.
func TestMigrateUpToDateOnlyReads(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "pages.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writer, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if _, err := writer.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer writer.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)

	db, err := sql.Open("sqlite", dsn(path)+"&_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files := &openCounter{FS: sqlstore.Migrations}
	if err := migrate(ctx, db, files); err != nil {
		t.Fatalf("migrate of an up-to-date file while another connection writes: %v", err)
	}
	if files.sql != 0 {
		t.Fatalf("migrate of an up-to-date file read %d migration files; the names say enough", files.sql)
	}
}

// openCounter counts the .sql files opened in FS.
type openCounter struct {
	fs.FS
	sql int
}

func (c *openCounter) Open(name string) (fs.File, error) {
	if strings.HasSuffix(name, ".sql") {
		c.sql++
	}
	return c.FS.Open(name)
}

func TestMigrateBrokenMigrationLeavesNoTrace(t *testing.T) {
	ctx := t.Context()
	db := rawDB(t)
	good := &fstest.MapFile{Data: []byte(`CREATE TABLE first (x INTEGER);`)}
	broken := fstest.MapFS{
		"0001_first.sql": good,
		// The first statement succeeds; the second fails, so only a
		// transaction keeps the table out.
		"0002_broken.sql": {Data: []byte(`CREATE TABLE half (x INTEGER);
INSERT INTO no_such_table VALUES (1);`)},
	}
	err := migrate(ctx, db, broken)
	if err == nil {
		t.Fatal("broken migration set applied without error")
	}
	if !strings.Contains(err.Error(), "0002_broken.sql") {
		t.Fatalf("error %q does not name the file", err)
	}
	if !tableExists(t, db, "first") {
		t.Fatal("the good migration before the broken one was not kept")
	}
	if tableExists(t, db, "half") {
		t.Fatal("broken migration left a partial table")
	}
	if n := count(t, db, `SELECT count(*) FROM schema_migrations WHERE version = 2`); n != 0 {
		t.Fatal("broken migration was recorded as applied")
	}

	fixed := fstest.MapFS{
		"0001_first.sql": good,
		"0002_fixed.sql": {Data: []byte(`CREATE TABLE half (x INTEGER);`)},
	}
	if err := migrate(ctx, db, fixed); err != nil {
		t.Fatalf("fixed set: %v", err)
	}
	if !tableExists(t, db, "half") || count(t, db, `SELECT count(*) FROM schema_migrations`) != 2 {
		t.Fatal("fixed migration was not applied")
	}
}

func TestMigrateRejects(t *testing.T) {
	tests := []struct {
		name    string
		applied fstest.MapFS // applied first, must succeed
		fsys    fstest.MapFS
		want    string
	}{
		{
			name: "name without version",
			fsys: fstest.MapFS{"init.sql": {Data: []byte(`SELECT 1;`)}},
			want: "init.sql",
		},
		{
			name: "duplicate version",
			fsys: fstest.MapFS{
				"0001_a.sql": {Data: []byte(`SELECT 1;`)},
				"1_b.sql":    {Data: []byte(`SELECT 1;`)},
			},
			want: "same version 1",
		},
		{
			name: "database newer than binary",
			applied: fstest.MapFS{
				"0001_a.sql": {Data: []byte(`SELECT 1;`)},
				"0002_b.sql": {Data: []byte(`SELECT 1;`)},
			},
			fsys: fstest.MapFS{"0001_a.sql": {Data: []byte(`SELECT 1;`)}},
			want: "version 2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := rawDB(t)
			if tt.applied != nil {
				if err := migrate(t.Context(), db, tt.applied); err != nil {
					t.Fatal(err)
				}
			}
			err := migrate(t.Context(), db, tt.fsys)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestPublishLoadKeepsUnknownFields(t *testing.T) {
	s := openStore(t)
	doc := `{"id":"p1","slug":"about","title":"About","futureTopLevel":{"nested":[1,2,3]},` +
		`"layoutData":{"content":[{"id":"c1","type":"Text","props":{"text":"x"},"futureComponentField":"kept"}]}}`
	publishDoc(t, s, doc, false)

	var stored string
	if err := s.db.QueryRowContext(t.Context(), `SELECT document FROM pages WHERE slug = 'about'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != doc {
		t.Fatalf("document not stored verbatim:\n got %s\nwant %s", stored, doc)
	}

	b, err := s.LoadPage(t.Context(), core.PageQuery{Slug: "about"})
	if err != nil {
		t.Fatal(err)
	}
	if b.Page == nil {
		t.Fatal("page not loaded")
	}
	if string(b.Page.Document) != doc {
		t.Errorf("loaded document differs:\n got %s\nwant %s", b.Page.Document, doc)
	}
	if b.Page.Page.Title != "About" || b.Page.Page.LayoutData.Content[0].Type != "Text" {
		t.Errorf("typed view not decoded: %+v", b.Page.Page)
	}
}

type row struct {
	slug, id string
	home     bool
}

func listRows(t *testing.T, s *Store, tenant string) []row {
	t.Helper()
	pages, err := s.ListPages(t.Context(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	var rows []row
	for _, p := range pages {
		rows = append(rows, row{p.Slug, p.ID, p.IsHomepage})
	}
	return rows
}

func TestPublishReplaces(t *testing.T) {
	tests := []struct {
		name         string
		docs         []string
		wantRows     []row
		wantReplaced string
		wantVersion  int64
	}{
		{
			name:         "same slug new id replaces the old page",
			docs:         []string{pageDoc("old", "about", false, ""), pageDoc("new", "about", false, "")},
			wantRows:     []row{{"about", "new", false}},
			wantReplaced: "old",
			wantVersion:  2,
		},
		{
			name:        "same id new slug moves the page",
			docs:        []string{pageDoc("p1", "old-slug", false, ""), pageDoc("p1", "new-slug", false, "")},
			wantRows:    []row{{"new-slug", "p1", false}},
			wantVersion: 1,
		},
		{
			name: "second homepage takes the flag",
			docs: []string{
				pageDoc("a", "home-a", true, ""), pageDoc("b", "home-b", true, ""), pageDoc("c", "other", false, ""),
			},
			wantRows:    []row{{"home-a", "a", false}, {"home-b", "b", true}, {"other", "c", false}},
			wantVersion: 1,
		},
		{
			name: "slug of one page and id of another replace both",
			docs: []string{
				pageDoc("a", "x", false, ""), pageDoc("b", "y", false, ""), pageDoc("a", "y", false, ""),
			},
			wantRows:     []row{{"y", "a", false}},
			wantReplaced: "b",
			wantVersion:  2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			var last *core.PublishResult
			for _, d := range tt.docs {
				last = publishDoc(t, s, d, false)
			}
			if got := listRows(t, s, ""); !slices.Equal(got, tt.wantRows) {
				t.Errorf("pages = %v, want %v", got, tt.wantRows)
			}
			if last.ReplacedID != tt.wantReplaced {
				t.Errorf("ReplacedID = %q, want %q", last.ReplacedID, tt.wantReplaced)
			}
			if last.Version != tt.wantVersion {
				t.Errorf("Version = %d, want %d", last.Version, tt.wantVersion)
			}
			if g := generation(t, s); g != int64(len(tt.docs)) || last.Generation != g {
				t.Errorf("generation = %d (result %d), want %d", g, last.Generation, len(tt.docs))
			}
		})
	}
}

func TestHomepageFlagComesFromTheStore(t *testing.T) {
	s := openStore(t)
	a := pageDoc("a", "a", true, "")
	publishDoc(t, s, a, false)
	publishDoc(t, s, pageDoc("b", "b", true, ""), false)

	// a's document still says isHomepage; the store must not.
	p, err := s.Page(t.Context(), "", "a")
	if err != nil {
		t.Fatal(err)
	}
	if p.Page.IsHomepage {
		t.Fatal("page a still claims to be the homepage")
	}
	// Publishing a again unforced is a real change: it takes the flag back.
	res := publishDoc(t, s, a, false)
	if res.Unchanged {
		t.Fatal("republishing a former homepage as homepage was treated as unchanged")
	}
	b, err := s.LoadPage(t.Context(), core.PageQuery{Homepage: true})
	if err != nil {
		t.Fatal(err)
	}
	if b.Page == nil || b.Page.Page.ID != "a" {
		t.Fatalf("homepage = %+v, want a", b.Page)
	}
}

func TestPublishUnchanged(t *testing.T) {
	s := openStore(t)
	doc := pageDoc("p1", "pricing", false, "")
	first := publishDoc(t, s, doc, false)

	same := publishDoc(t, s, doc, false)
	if !same.Unchanged || same.Version != first.Version || same.Generation != first.Generation {
		t.Fatalf("unforced same content = %+v, want Unchanged at version %d generation %d", same, first.Version, first.Generation)
	}
	if !same.PublishedAt.Equal(first.PublishedAt) {
		t.Errorf("PublishedAt = %v, want the stored %v", same.PublishedAt, first.PublishedAt)
	}
	if g := generation(t, s); g != first.Generation {
		t.Fatalf("generation bumped to %d by an unchanged publish", g)
	}

	forced := publishDoc(t, s, doc, true)
	if forced.Unchanged || forced.Version != first.Version+1 || forced.Generation != first.Generation+1 {
		t.Fatalf("forced publish = %+v, want version %d generation %d", forced, first.Version+1, first.Generation+1)
	}

	changed := publishDoc(t, s, pageDoc("p1", "pricing", false, `"description":"new"`), false)
	if changed.Unchanged || changed.Generation != forced.Generation+1 {
		t.Fatalf("changed content = %+v, want a write", changed)
	}
}

func TestDeletePage(t *testing.T) {
	ctx := t.Context()
	s := openStore(t)
	publishDoc(t, s, pageDoc("p1", "about", false, ""), false)
	before := generation(t, s)

	gen, err := s.DeletePage(ctx, "", "about")
	if err != nil {
		t.Fatal(err)
	}
	if gen != before+1 || generation(t, s) != gen {
		t.Fatalf("delete returned generation %d (store %d), want %d", gen, generation(t, s), before+1)
	}
	_, err = s.Page(ctx, "", "about")
	wantCode(t, err, core.ENOTFOUND)

	_, err = s.DeletePage(ctx, "", "about")
	wantCode(t, err, core.ENOTFOUND)
	_, err = s.DeletePage(ctx, "", "never-was")
	wantCode(t, err, core.ENOTFOUND)
	if g := generation(t, s); g != gen {
		t.Fatalf("deleting a missing page bumped the generation to %d", g)
	}

	// The slug's version survives the delete.
	if res := publishDoc(t, s, pageDoc("p1", "about", false, ""), false); res.Version != 2 {
		t.Fatalf("version after delete and republish = %d, want 2", res.Version)
	}
}

func TestLoadPage(t *testing.T) {
	ctx := t.Context()
	s := openStore(t)
	publishDoc(t, s, pageDoc("home", "landing", true, ""), false)
	publishDoc(t, s, pageDoc("nf", core.NotFoundSlug, false, ""), false)
	publishDoc(t, s, pageDoc("priv", "private", false, `"isPublic":false`), false)
	publishDoc(t, s, pageDoc("t2", "only-t2", true, `"tenantSlug":"t2"`), false)
	if _, err := s.SaveSettings(ctx, "", &core.Settings{SiteName: "Acme"}); err != nil {
		t.Fatal(err)
	}
	gen := generation(t, s)

	tests := []struct {
		name         string
		q            core.PageQuery
		wantPage     string // page id, "" for none
		wantNotFound string
		wantSite     string
	}{
		{"by slug", core.PageQuery{Slug: "landing"}, "home", "", "Acme"},
		{"homepage", core.PageQuery{Homepage: true}, "home", "", "Acme"},
		{"missing slug gets the 404 page", core.PageQuery{Slug: "nope"}, "", "nf", "Acme"},
		{"non-public pages are returned, with the 404 page", core.PageQuery{Slug: "private"}, "priv", "nf", "Acme"},
		{"the 404 page itself", core.PageQuery{Slug: core.NotFoundSlug}, "nf", "", "Acme"},
		{"other tenant", core.PageQuery{Tenant: "t2", Homepage: true}, "t2", "", ""},
		{"other tenant without a 404 page", core.PageQuery{Tenant: "t2", Slug: "landing"}, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := s.LoadPage(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			id := func(p *core.StoredPage) string {
				if p == nil {
					return ""
				}
				return p.Page.ID
			}
			if id(b.Page) != tt.wantPage || id(b.NotFound) != tt.wantNotFound {
				t.Errorf("page %q, not found %q; want %q, %q", id(b.Page), id(b.NotFound), tt.wantPage, tt.wantNotFound)
			}
			if b.Settings.SiteName != tt.wantSite {
				t.Errorf("site name %q, want %q", b.Settings.SiteName, tt.wantSite)
			}
			if b.Generation != gen {
				t.Errorf("generation %d, want %d", b.Generation, gen)
			}
			if b.Page != nil && (b.Page.Version != 1 || b.Page.ContentHash == "" || b.Page.PublishedAt.IsZero()) {
				t.Errorf("stored fields missing: %+v", b.Page)
			}
		})
	}

	b, err := s.LoadPage(ctx, core.PageQuery{Slug: "private"})
	if err != nil {
		t.Fatal(err)
	}
	if b.Page.Page.Public() {
		t.Error("private page decoded as public")
	}
}

func TestSettings(t *testing.T) {
	ctx := t.Context()
	s := openStore(t)
	empty, err := s.Settings(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(empty, &core.Settings{}) {
		t.Fatalf("settings before any save = %+v, want empty", empty)
	}

	var in core.Settings
	if err := json.Unmarshal([]byte(`{"siteName":"Acme","faviconUrl":"/f.ico","themeColor":"#123456"}`), &in); err != nil {
		t.Fatal(err)
	}
	before := generation(t, s)
	gen, err := s.SaveSettings(ctx, "", &in)
	if err != nil {
		t.Fatal(err)
	}
	if gen != before+1 {
		t.Fatalf("SaveSettings generation = %d, want %d", gen, before+1)
	}
	got, err := s.Settings(ctx, core.DefaultTenant)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, &in) {
		t.Fatalf("settings = %+v, want %+v", got, &in)
	}

	if _, err := s.SaveSettings(ctx, "", &core.Settings{SiteName: "Renamed"}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Settings(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.SiteName != "Renamed" || got.Extra != nil {
		t.Fatalf("settings after replace = %+v", got)
	}
	if other, err := s.Settings(ctx, "t2"); err != nil || other.SiteName != "" {
		t.Fatalf("other tenant's settings = %+v, %v", other, err)
	}
}

func TestWorkflow(t *testing.T) {
	ctx := t.Context()
	s := openStore(t)
	_, err := s.Workflow(ctx, "missing")
	wantCode(t, err, core.ENOTFOUND)

	var w core.Workflow
	if err := json.Unmarshal([]byte(`{"id":"wf-1","name":"First","nodes":[{"id":"n1"}],"edges":[],"futureField":true}`), &w); err != nil {
		t.Fatal(err)
	}
	gen := generation(t, s)
	for i, name := range []string{"First", "Second"} {
		w.Name = name
		v, err := s.SaveWorkflow(ctx, &w)
		if err != nil {
			t.Fatal(err)
		}
		if v != int64(i+1) {
			t.Fatalf("save %d: version %d", i+1, v)
		}
	}
	if g := generation(t, s); g != gen+2 {
		t.Errorf("generation = %d, want %d", g, gen+2)
	}
	if n := count(t, s.db, `SELECT count(*) FROM workflow_versions WHERE workflow_id = 'wf-1'`); n != 2 {
		t.Fatalf("workflow_versions has %d rows, want 2", n)
	}
	var firstDoc string
	if err := s.db.QueryRowContext(ctx, `SELECT document FROM workflow_versions WHERE workflow_id = 'wf-1' AND version = 1`).Scan(&firstDoc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(firstDoc, `"First"`) {
		t.Errorf("version 1 document = %s, want the first save", firstDoc)
	}

	got, err := s.Workflow(ctx, "wf-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.Workflow.Name != "Second" || string(got.Workflow.Extra["futureField"]) != "true" || got.UpdatedAt.IsZero() {
		t.Fatalf("workflow = %+v (%+v)", got, got.Workflow)
	}
}

func TestConcurrentPublishes(t *testing.T) {
	s := openStore(t)
	// Enough contention that deferred transactions (no _txlock=immediate)
	// reliably fail with SQLITE_BUSY here.
	const writers, each = 16, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				doc := pageDoc(fmt.Sprintf("id-%d", w), fmt.Sprintf("slug-%d", w), i%2 == 0, fmt.Sprintf(`"n":%d`, i))
				var p core.Page
				if err := json.Unmarshal([]byte(doc), &p); err != nil {
					errs <- err
					return
				}
				_, err := s.PublishPage(context.Background(), core.PublishPageInput{
					// Unforced publishes read before they write: that needs
					// transactions that take the write lock up front.
					Page: &p, Document: []byte(doc), ContentHash: fmt.Sprint(i), Force: i%3 == 0,
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if g := generation(t, s); g != writers*each {
		t.Fatalf("generation = %d, want %d", g, writers*each)
	}
	pages, err := s.ListPages(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	homes := 0
	for _, p := range pages {
		if p.Version != each {
			t.Errorf("%s: version %d, want %d", p.Slug, p.Version, each)
		}
		if p.IsHomepage {
			homes++
		}
	}
	if len(pages) != writers || homes > 1 {
		t.Fatalf("%d pages with %d homepages, want %d pages and at most one homepage", len(pages), homes, writers)
	}
}

func TestDemoFixtures(t *testing.T) {
	ctx := t.Context()
	files, err := filepath.Glob("../../scripts/demo/pages/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no demo fixtures found")
	}
	s := openStore(t)
	var slugs []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Page  json.RawMessage `json:"page"`
			Force bool            `json:"force"`
		}
		if err := json.Unmarshal(data, &body); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		in := input(t, string(body.Page), body.Force)
		if _, err := s.PublishPage(ctx, in); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		slugs = append(slugs, in.Page.Slug)

		got, err := s.Page(ctx, in.Page.TenantSlug, in.Page.Slug)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !reflect.DeepEqual(got.Page, in.Page) {
			t.Errorf("%s: page decoded from the store differs from the published one", f)
		}
		var stored []byte
		if err := s.db.QueryRowContext(ctx, `SELECT document FROM pages WHERE slug = ?`, in.Page.Slug).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(stored, body.Page) {
			t.Errorf("%s: document not stored verbatim", f)
		}
	}
	slices.Sort(slugs)

	pages, err := s.ListPages(ctx, core.DefaultTenant)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, p := range pages {
		listed = append(listed, p.Slug)
	}
	if !slices.Equal(listed, slugs) {
		t.Fatalf("listed %v, want %v", listed, slugs)
	}

	b, err := s.LoadPage(ctx, core.PageQuery{Homepage: true})
	if err != nil {
		t.Fatal(err)
	}
	if b.Page == nil || b.Page.Page.Slug != "landing" {
		t.Fatalf("homepage = %+v, want landing", b.Page)
	}
	b, err = s.LoadPage(ctx, core.PageQuery{Slug: "members"})
	if err != nil {
		t.Fatal(err)
	}
	if b.Page == nil || b.Page.Page.Public() {
		t.Fatalf("members page = %+v, want it returned and not public", b.Page)
	}
	if g := generation(t, s); g != int64(len(files)) {
		t.Fatalf("generation = %d, want %d", g, len(files))
	}
}

func TestErrors(t *testing.T) {
	s := openStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.LoadPage(ctx, core.PageQuery{Slug: "x"})
	wantCode(t, err, core.EUNAVAILABLE)
	_, err = s.PublishPage(ctx, input(t, pageDoc("p", "x", false, ""), true))
	wantCode(t, err, core.EUNAVAILABLE)
	if g := generation(t, s); g != 0 {
		t.Fatalf("a cancelled publish wrote: generation %d", g)
	}

	_, err = s.PublishPage(t.Context(), core.PublishPageInput{Page: &core.Page{ID: "p"}, Document: []byte(`{}`)})
	wantCode(t, err, core.EINVALID)
	_, err = s.PublishPage(t.Context(), core.PublishPageInput{Page: &core.Page{ID: "p", Slug: "x"}, Document: []byte(`{`)})
	wantCode(t, err, core.EINVALID)

	// The caller-safe message must not carry SQL.
	if _, err := s.db.ExecContext(t.Context(), `DROP TABLE settings`); err != nil {
		t.Fatal(err)
	}
	_, err = s.Settings(t.Context(), "")
	wantCode(t, err, core.EINTERNAL)
	if msg := core.ErrorMessage(err); strings.Contains(strings.ToLower(msg), "select") || strings.Contains(msg, "settings WHERE") {
		t.Fatalf("message leaks SQL: %q", msg)
	}
	if !bytes.Contains([]byte(err.Error()), []byte("no such table")) {
		t.Fatalf("cause lost: %v", err)
	}
}

func TestStoreChecks(t *testing.T) {
	storetest.Run(t, openStore, map[string]func(*testing.T, *Store){"Versions": noOrphanDocuments})
}

// noOrphanDocuments: every stored document is named by a version row, and
// every page a version names has its document: pruning left no orphan and
// lost nothing a kept version needs.
func noOrphanDocuments(t *testing.T, s *Store) {
	orphans := count(t, s.db, `SELECT count(*) FROM page_documents d WHERE NOT EXISTS (
		SELECT 1 FROM site_versions v, json_each(v.pages) j
		WHERE v.tenant = d.tenant AND j.value ->> 0 = d.slug AND j.value ->> 1 = d.content_hash)`)
	missing := count(t, s.db, `SELECT count(*) FROM site_versions v, json_each(v.pages) j WHERE NOT EXISTS (
		SELECT 1 FROM page_documents d WHERE d.tenant = v.tenant AND d.slug = j.value ->> 0 AND d.content_hash = j.value ->> 1)`)
	docs := count(t, s.db, `SELECT count(*) FROM page_documents`)
	if orphans != 0 || missing != 0 || docs > 3+10+3 {
		t.Fatalf("%d documents, %d named by no version, %d missing", docs, orphans, missing)
	}
}

// A database published before site versions existed starts with version
// 1, its pages as they are, restorable.
func TestMigrationToSiteVersionsKeepsWhatIsPublished(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "pages.db")
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	old := fstest.MapFS{}
	for _, name := range []string{"0001_init.sql", "0002_analytics_counters.sql"} {
		data, err := fs.ReadFile(sqlstore.Migrations, name)
		if err != nil {
			t.Fatal(err)
		}
		old[name] = &fstest.MapFile{Data: data}
	}
	if err := migrate(ctx, db, old); err != nil {
		t.Fatal(err)
	}
	doc := pageDoc("p1", "about", true, `"n":1`)
	if _, err := db.ExecContext(ctx, `INSERT INTO pages (tenant, slug, id, document, is_homepage, version, content_hash, published_at)
		VALUES ('_default', 'about', 'p1', ?, 1, 1, 'h1', '2026-01-01T00:00:00.000000000Z')`, doc); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	versions, err := s.Versions(ctx, "")
	if err != nil || len(versions) != 1 || versions[0].Version != 1 || versions[0].Action != "migrate" ||
		len(versions[0].Pages) != 1 || versions[0].Pages[0] != (core.VersionPage{Slug: "about", ContentHash: "h1", IsHomepage: true}) {
		t.Fatalf("versions after the migration = %+v, %v", versions, err)
	}
	publishDoc(t, s, pageDoc("p1", "about", true, `"n":2`), false)
	if _, err := s.Rollback(ctx, core.RollbackInput{Version: 1}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Page(ctx, "", "about"); err != nil || string(p.Document) != doc {
		t.Fatalf("about after rollback = %s, %v; want %s", p.Document, err, doc)
	}
}
