package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/frontbase/edge/core"
)

// tenantPage is a page of tenant whose document carries extra bytes
// (spacing, an unknown field) that a rollback must bring back exactly.
func tenantPage(tenant, id, slug, heading string, home bool) core.PublishPageInput {
	doc := fmt.Sprintf(`{"id":%q,"slug":%q,"tenantSlug":%q,  "isHomepage":%v,"future":{"kept":true},"layoutData":{"content":[{"type":"Heading","props":{"text":%q}}]}}`,
		id, slug, tenant, home, heading)
	return core.PublishPageInput{
		Page:        &core.Page{ID: id, Slug: slug, TenantSlug: tenant, IsHomepage: home},
		Document:    []byte(doc),
		ContentHash: "h-" + slug + "-" + heading,
	}
}

// siteState is what a visitor could see of a tenant: every page's stored
// document and homepage flag, and the site name.
func siteState(t *testing.T, s Store, tenant string) string {
	t.Helper()
	ctx := context.Background()
	list, err := s.ListPages(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, p := range list {
		full, err := s.Page(ctx, tenant, p.Slug)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s home=%v %s\n", p.Slug, p.IsHomepage, full.Document)
	}
	st, err := s.Settings(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "site=%q\n", st.SiteName)
	return b.String()
}

// Versions checks site versions: one per write that changed something
// (publish, unpublish, settings, rollback), none for a write that changed
// nothing, a rollback that restores pages and settings byte for byte in
// one generation bump, and pruning to the kept number.
func Versions(t *testing.T, s Store) {
	t.Helper()
	ctx := context.Background()
	const tenant = "versions"
	gen := func() int64 {
		g, err := s.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	publish := func(source string, settings *core.Settings, pages ...core.PublishPageInput) {
		t.Helper()
		if _, err := s.PublishPages(ctx, core.PublishPagesInput{Tenant: tenant, Pages: pages, Settings: settings, Source: source}); err != nil {
			t.Fatal(err)
		}
	}
	versions := func() []core.SiteVersion {
		t.Helper()
		v, err := s.Versions(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	publish("cli:local", &core.Settings{SiteName: "First"},
		tenantPage(tenant, "a", "home", "A1", true), tenantPage(tenant, "b", "about", "B1", false))
	first := siteState(t, s, tenant)
	publish("api", &core.Settings{SiteName: "First"},
		tenantPage(tenant, "a", "home", "A1", true), tenantPage(tenant, "b", "about", "B1", false)) // unchanged
	publish("api", &core.Settings{SiteName: "Second"},
		tenantPage(tenant, "b", "about", "B2", false), tenantPage(tenant, "c", "blog", "C1", true))
	if _, err := s.DeletePage(ctx, tenant, "home"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeletePage(ctx, tenant, "home"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("second delete: %v, want not found", err)
	}
	last := siteState(t, s, tenant)

	got := versions()
	type row struct {
		action, source string
		pages          string
	}
	want := []row{
		{"unpublish", "api", "about@h-about-B2 blog@h-blog-C1*"},
		{"publish", "api", "about@h-about-B2 blog@h-blog-C1* home@h-home-A1"},
		{"publish", "cli:local", "about@h-about-B1 home@h-home-A1*"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d versions, want %d (no version for a publish that changed nothing, or a failed delete): %+v", len(got), len(want), got)
	}
	for i, v := range got {
		var pages []string
		for _, p := range v.Pages {
			star := ""
			if p.IsHomepage {
				star = "*"
			}
			pages = append(pages, p.Slug+"@"+p.ContentHash+star)
		}
		g := row{v.Action, v.Source, strings.Join(pages, " ")}
		if g != want[i] || v.Version != int64(len(got)-i) || v.CreatedAt.IsZero() || v.Generation == 0 {
			t.Errorf("version %d = %+v %+v, want %+v", v.Version, v, g, want[i])
		}
	}
	oldest := got[len(got)-1].Version

	// Rolling back restores the first state exactly, as one more version.
	before := gen()
	res, err := s.Rollback(ctx, core.RollbackInput{Tenant: tenant, Version: oldest, Source: "cli:turso"})
	if err != nil {
		t.Fatal(err)
	}
	if after := gen(); after != before+1 || res.Generation != after {
		t.Errorf("rollback moved the generation %d -> %d (result %d), want one bump", before, after, res.Generation)
	}
	if res.RestoredFrom != oldest || res.Version != oldest+3 ||
		!slices.Equal(res.Restored, []string{"about", "home"}) || !slices.Equal(res.Removed, []string{"blog"}) || len(res.Unchanged) != 0 ||
		!res.SettingsChanged { // Second -> First
		t.Errorf("rollback = %+v", res)
	}
	if now := siteState(t, s, tenant); now != first {
		t.Errorf("after rollback the site is\n%s\nwant exactly\n%s", now, first)
	}
	if v := versions()[0]; v.Action != "rollback" || v.Source != "cli:turso" || v.RestoredFrom != oldest || v.Version != res.Version {
		t.Errorf("newest version = %+v, want the rollback", v)
	}
	// And back again to the newest state before the rollback.
	if res, err = s.Rollback(ctx, core.RollbackInput{Tenant: tenant, Version: oldest + 2}); err != nil {
		t.Fatal(err)
	}
	if now := siteState(t, s, tenant); now != last {
		t.Errorf("after rolling forward the site is\n%s\nwant\n%s", now, last)
	}

	for _, tt := range []struct {
		version int64
		code    string
	}{{0, core.EINVALID}, {999, core.ENOTFOUND}} {
		before := gen()
		if _, err := s.Rollback(ctx, core.RollbackInput{Tenant: tenant, Version: tt.version}); core.ErrorCode(err) != tt.code {
			t.Errorf("rollback to %d: %v, want %s", tt.version, err, tt.code)
		}
		if gen() != before {
			t.Errorf("a refused rollback to %d moved the generation", tt.version)
		}
	}

	// Only the last N versions are listed and restorable.
	s.SetKeepVersions(3)
	defer s.SetKeepVersions(core.DefaultKeepVersions)
	for i := range 15 {
		publish("api", nil, tenantPage(tenant, "b", "about", fmt.Sprint("N", i), false))
	}
	got = versions()
	if len(got) != 3 || got[0].Version != res.Version+15 {
		t.Fatalf("kept versions = %d (newest %d), want 3 ending at %d", len(got), got[0].Version, res.Version+15)
	}
	if _, err := s.Rollback(ctx, core.RollbackInput{Tenant: tenant, Version: got[2].Version - 1}); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("rollback to a version no longer kept: %v, want not found", err)
	}
	if r, err := s.Rollback(ctx, core.RollbackInput{Tenant: tenant, Version: got[2].Version}); err != nil || r.SettingsChanged {
		t.Errorf("rollback to the oldest kept version: %+v %v, want the settings unchanged", r, err)
	}
	if p, err := s.Page(ctx, tenant, "about"); err != nil || !strings.Contains(string(p.Document), `"N12"`) {
		t.Errorf("about after rollback = %v %v, want heading N12", p, err)
	}
}
