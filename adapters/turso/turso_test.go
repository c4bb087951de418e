package turso

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/frontbase/edge/adapters/sqlstore"
	"github.com/frontbase/edge/adapters/sqlstore/storetest"
	"github.com/frontbase/edge/adapters/testservers"
	"github.com/frontbase/edge/core"
)

func open(t *testing.T) (*Store, *testservers.Turso) {
	t.Helper()
	srv := testservers.StartTurso(t)
	s, err := Open(srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, srv
}

func migrated(t *testing.T) (*Store, *testservers.Turso) {
	t.Helper()
	s, srv := open(t)
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, srv
}

func page(t *testing.T, id, slug string, home bool) core.PublishPageInput {
	t.Helper()
	doc := fmt.Sprintf(`{"id":%q,"slug":%q,"title":"T %s","isHomepage":%t,"future":{"x":1},"layoutData":{"content":[{"type":"Heading","props":{"text":"hi %s"}}]}}`,
		id, slug, slug, home, slug)
	var p core.Page
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(doc))
	return core.PublishPageInput{Page: &p, Document: []byte(doc), ContentHash: hex.EncodeToString(sum[:])}
}

func TestStartRefusesAnUnmigratedDatabaseUntilMigrate(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	_, err := s.LoadPage(ctx, core.PageQuery{Slug: "x"})
	if core.ErrorCode(err) != core.EUNAVAILABLE || !strings.Contains(core.ErrorMessage(err), "run `frontbase migrate`") ||
		!strings.Contains(core.ErrorMessage(err), "FRONTBASE_AUTO_MIGRATE is off") {
		t.Fatalf("before migrate: %v, want a message saying to run frontbase migrate", err)
	}
	applied, err := s.Migrate(ctx)
	all, rerr := sqlstore.ReadMigrations(sqlstore.Migrations)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if err != nil || len(applied) != len(all) || applied[0] != "0001_init.sql" {
		t.Fatalf("migrate = %v %v", applied, err)
	}
	if again, err := s.Migrate(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second migrate = %v %v, want nothing to do", again, err)
	}
	if _, err := s.LoadPage(ctx, core.PageQuery{Slug: "x"}); err != nil {
		t.Fatalf("after migrate: %v", err)
	}
}

func TestStoreRulesOverHTTP(t *testing.T) {
	s, _ := migrated(t)
	ctx := context.Background()

	first, err := s.PublishPage(ctx, page(t, "p1", "landing", true))
	if err != nil || first.Version != 1 || first.Generation != 1 {
		t.Fatalf("first publish = %+v %v", first, err)
	}
	if _, err := s.PublishPage(ctx, page(t, "nf", "404", false)); err != nil {
		t.Fatal(err)
	}
	// A second homepage takes the flag.
	if _, err := s.PublishPage(ctx, page(t, "p2", "home2", true)); err != nil {
		t.Fatal(err)
	}
	b, err := s.LoadPage(ctx, core.PageQuery{Homepage: true})
	if err != nil || b.Page == nil || b.Page.Page.ID != "p2" || b.Generation != 3 {
		t.Fatalf("homepage = %+v %v", b, err)
	}
	list, _ := s.ListPages(ctx, "")
	homes := 0
	for _, p := range list {
		if p.IsHomepage {
			homes++
		}
	}
	if homes != 1 || len(list) != 3 {
		t.Errorf("%d pages, %d homepages; want 3 and 1", len(list), homes)
	}
	// Same slug, new id: replaced, version goes up.
	res, err := s.PublishPage(ctx, page(t, "p3", "landing", false))
	if err != nil || res.ReplacedID != "p1" || res.Version != 2 {
		t.Fatalf("replace = %+v %v", res, err)
	}
	// Same content without force: unchanged, nothing written.
	same, err := s.PublishPage(ctx, page(t, "p3", "landing", false))
	if err != nil || !same.Unchanged || same.Generation != res.Generation {
		t.Fatalf("republish = %+v %v", same, err)
	}
	// The document comes back as sent.
	stored, err := s.Page(ctx, "", "landing")
	if err != nil || !strings.Contains(string(stored.Document), `"future":{"x":1}`) {
		t.Fatalf("stored = %v %v", stored, err)
	}
	// Missing page: the 404 page and settings in the same answer.
	if _, err := s.SaveSettings(ctx, "", &core.Settings{SiteName: "Acme"}); err != nil {
		t.Fatal(err)
	}
	b, err = s.LoadPage(ctx, core.PageQuery{Slug: "nope"})
	if err != nil || b.Page != nil || b.NotFound == nil || b.Settings.SiteName != "Acme" {
		t.Fatalf("missing = %+v %v", b, err)
	}
	// Delete, and a delete of nothing leaves the generation alone.
	gen, err := s.DeletePage(ctx, "", "landing")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeletePage(ctx, "", "landing"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("second delete = %v", err)
	}
	if g, _ := s.Generation(ctx); g != gen {
		t.Errorf("generation moved to %d after deleting nothing (was %d)", g, gen)
	}
	// Workflows keep versions.
	for i := 1; i <= 2; i++ {
		v, err := s.SaveWorkflow(ctx, &core.Workflow{ID: "wf", Name: fmt.Sprint(i)})
		if err != nil || v != int64(i) {
			t.Fatalf("save workflow %d = %d %v", i, v, err)
		}
	}
	if w, err := s.Workflow(ctx, "wf"); err != nil || w.Workflow.Name != "2" {
		t.Fatalf("workflow = %+v %v", w, err)
	}
}

func TestRoundTrips(t *testing.T) {
	s, srv := migrated(t)
	ctx := context.Background()
	if _, err := s.PublishPage(ctx, page(t, "p1", "about", false)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		do   func() error
		want int64
	}{
		{"page load", func() error { _, err := s.LoadPage(ctx, core.PageQuery{Slug: "about"}); return err }, 1},
		{"forced publish", func() error {
			in := page(t, "p2", "other", false)
			in.Force = true
			_, err := s.PublishPage(ctx, in)
			return err
		}, 1},
		{"generation", func() error { _, err := s.Generation(ctx); return err }, 1},
	}
	for _, tt := range tests {
		before := srv.Requests()
		if err := tt.do(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if n := srv.Requests() - before; n != tt.want {
			t.Errorf("%s: %d HTTP requests to the database, want %d", tt.name, n, tt.want)
		}
	}
}

func TestBatchIsAtomic(t *testing.T) {
	s, _ := migrated(t)
	ctx := context.Background()
	before, _ := s.Generation(ctx)
	_, err := s.runScript(ctx, `UPDATE meta SET value = value + 100 WHERE key = 'generation';
		INSERT INTO meta (key, value) VALUES ('generation', 1)`)
	if err == nil {
		t.Fatal("a batch with a failing statement succeeded")
	}
	if after, _ := s.Generation(ctx); after != before {
		t.Fatalf("generation %d after a failed batch, was %d: the first statement was not rolled back", after, before)
	}
}

func TestServerDownIsUnavailableAndFast(t *testing.T) {
	s, srv := migrated(t)
	srv.Stop()
	// Fast: the test server's front answers 502 for the stopped server,
	// reported as such, not after the timeout (no clock in the test: the
	// cause says which happened).
	_, err := s.LoadPage(context.Background(), core.PageQuery{Slug: "x"})
	if msg := core.ErrorMessage(err); core.ErrorCode(err) != core.EUNAVAILABLE || !strings.Contains(msg, "(HTTP 5xx)") || strings.Contains(msg, "timed out") {
		t.Fatalf("got %v (message %q), want unavailable saying the server failed", err, msg)
	}
	_, err = s.PublishPage(context.Background(), page(t, "p", "x", false))
	if core.ErrorCode(err) != core.EUNAVAILABLE || !strings.Contains(core.ErrorMessage(err), "the database server failed (HTTP 5xx)") {
		t.Fatalf("publish with the database down: %v (message %q), want unavailable with its cause", err, core.ErrorMessage(err))
	}
	if strings.Contains(core.ErrorMessage(err), srv.URL) {
		t.Errorf("the caller's message names the database's address: %q", core.ErrorMessage(err))
	}
}

func TestOpenValidates(t *testing.T) {
	for _, u := range []string{"postgres://x", "libsql://", "https://db.turso.io?authToken=secret", "::"} {
		if _, err := Open(u, "t"); err == nil {
			t.Errorf("Open(%q) accepted it", u)
		}
	}
	if _, err := Open("libsql://db.example.turso.io", "token"); err != nil {
		t.Errorf("a good URL was refused: %v", err)
	}
}

func TestStoreChecks(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *Store { s, _ := migrated(t); return s }, nil)
}

func TestNewerSchemaIsRefused(t *testing.T) {
	s, srv := migrated(t)
	ctx := context.Background()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'later')`); err != nil {
		t.Fatal(err)
	}
	again, err := Open(srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	_, err = again.LoadPage(ctx, core.PageQuery{Slug: "x"})
	if err == nil || !strings.Contains(err.Error(), "schema is at version 99") || !strings.Contains(err.Error(), "run a newer release") {
		t.Fatalf("a newer schema: %v, want a refusal naming version 99", err)
	}
	if _, err := again.PublishPage(ctx, page(t, "p", "x", false)); err == nil {
		t.Fatal("a publish into a newer schema was accepted")
	}
	if _, err := again.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("migrate of a newer schema: %v", err)
	}
}

// TestInstancesStartingTogetherMigrateAFreshDatabase: engines started at
// once on a new database (a deploy scaling out) each migrate on first use;
// every one of them works, and every migration is applied exactly once.
func TestInstancesStartingTogetherMigrateAFreshDatabase(t *testing.T) {
	srv := testservers.StartTurso(t)
	const instances = 4
	stores := make([]*Store, instances)
	for i := range stores {
		s, err := OpenWith(srv.URL, "", Options{AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	ctx := context.Background()
	start := make(chan struct{})
	errs := make(chan error, instances)
	for i, s := range stores {
		go func() {
			<-start
			_, err := s.PublishPage(ctx, page(t, fmt.Sprintf("p%d", i), fmt.Sprintf("page-%d", i), false))
			errs <- err
		}()
	}
	close(start)
	for range stores {
		if err := <-errs; err != nil {
			t.Errorf("an instance's first publish: %v", err)
		}
	}
	all, err := sqlstore.ReadMigrations(sqlstore.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	var rows, distinct, latest int64
	if err := stores[0].db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT version), max(version) FROM schema_migrations`).Scan(&rows, &distinct, &latest); err != nil {
		t.Fatal(err)
	}
	if rows != int64(len(all)) || distinct != rows || latest != sqlstore.Latest(all) {
		t.Errorf("schema_migrations has %d rows (%d versions, latest %d), want each of the %d migrations once", rows, distinct, latest, len(all))
	}
	list, err := stores[1].ListPages(ctx, "")
	if err != nil || len(list) != instances {
		t.Errorf("pages after the concurrent start: %d %v, want %d", len(list), err, instances)
	}
	if again, err := stores[2].Migrate(ctx); err != nil || len(again) != 0 {
		t.Errorf("frontbase migrate after the auto-migration: %v %v, want nothing to do", again, err)
	}
}

// TestFirstGenerationChecksTheSchemaInTheSameRequest: a cold start's first
// call (a tick, a health check) reads the generation; on an up-to-date
// database that and the schema check are one request, and what follows
// needs no check. Any other schema takes the usual way.
func TestFirstGenerationChecksTheSchemaInTheSameRequest(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		prepare  func(t *testing.T, s *Store, srv *testservers.Turso)
		auto     bool
		wantGen  int64
		wantErr  string // in the error's message; "" for none
		requests int64  // by the first Generation
	}{
		{"current schema", func(t *testing.T, s *Store, _ *testservers.Turso) {
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := s.PublishPage(ctx, page(t, "p1", "about", false)); err != nil {
				t.Fatal(err)
			}
		}, false, 1, "", 1},
		{"new database, migrated on first use", func(*testing.T, *Store, *testservers.Turso) {}, true, 0, "", -1},
		{"new database, no migration", func(*testing.T, *Store, *testservers.Turso) {}, false, 0, "run `frontbase migrate`", -1},
		{"newer schema", func(t *testing.T, s *Store, _ *testservers.Turso) {
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := s.db.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'later')`); err != nil {
				t.Fatal(err)
			}
		}, false, 0, "schema is at version 99", -1},
		{"server down: one attempt", func(t *testing.T, s *Store, srv *testservers.Turso) {
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			srv.Stop()
		}, false, 0, "state database unreachable", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, srv := open(t)
			tt.prepare(t, first, srv)
			s, err := OpenWith(srv.URL, "", Options{AutoMigrate: tt.auto}) // a new process
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			before := srv.Requests()
			gen, err := s.Generation(ctx)
			n := srv.Requests() - before
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(core.ErrorMessage(err), tt.wantErr) {
					t.Fatalf("generation = %d, %v; want an error saying %q", gen, err, tt.wantErr)
				}
			} else if err != nil || gen != tt.wantGen {
				t.Fatalf("generation = %d, %v; want %d", gen, err, tt.wantGen)
			}
			if tt.requests >= 0 && n != tt.requests {
				t.Errorf("the first generation took %d requests, want %d", n, tt.requests)
			}
			if err != nil {
				return
			}
			before = srv.Requests()
			if _, err := s.LoadPage(ctx, core.PageQuery{Slug: "about"}); err != nil && core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatal(err)
			}
			if n := srv.Requests() - before; n != 1 {
				t.Errorf("a page load after it took %d requests, want 1 (no second schema check)", n)
			}
		})
	}
}
