package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/frontbase/edge/core"
)

func sitePage(id, slug, heading string, home bool) core.PublishPageInput {
	doc := fmt.Sprintf(`{"id":%q,"slug":%q,"isHomepage":%v,"layoutData":{"content":[{"type":"Heading","props":{"text":%q}}]}}`, id, slug, home, heading)
	return core.PublishPageInput{
		Page:        &core.Page{ID: id, Slug: slug, IsHomepage: home},
		Document:    []byte(doc),
		ContentHash: "h-" + heading, // the store compares hashes; it does not compute them
	}
}

// PublishPages checks the site publish: one generation bump per call,
// unchanged pages and settings skipped, nothing written when nothing
// changed, and inputs that cannot be one atomic write refused.
func PublishPages(t *testing.T, s Store) {
	ctx := context.Background()
	tests := []struct {
		name        string
		in          core.PublishPagesInput
		wantErr     string // substring; "" for success
		wantChanged bool
		wantBump    int64
		wantUnch    []bool // per page
		wantVersion []int64
		wantReplace []string
		wantSetting bool
	}{
		{name: "three pages and settings in one write",
			in: core.PublishPagesInput{Pages: []core.PublishPageInput{sitePage("a", "home", "A1", true), sitePage("b", "about", "B1", false), sitePage("c", "docs/x", "C1", false)},
				Settings: &core.Settings{SiteName: "One"}},
			wantChanged: true, wantBump: 1, wantUnch: []bool{false, false, false}, wantVersion: []int64{1, 1, 1}, wantReplace: []string{"", "", ""}, wantSetting: true},
		{name: "the same site again writes nothing",
			in: core.PublishPagesInput{Pages: []core.PublishPageInput{sitePage("a", "home", "A1", true), sitePage("b", "about", "B1", false), sitePage("c", "docs/x", "C1", false)},
				Settings: &core.Settings{SiteName: "One"}},
			wantBump: 0, wantUnch: []bool{true, true, true}, wantVersion: []int64{1, 1, 1}, wantReplace: []string{"", "", ""}},
		{name: "one changed page, one new id at a slug",
			in:          core.PublishPagesInput{Pages: []core.PublishPageInput{sitePage("a", "home", "A1", true), sitePage("b", "about", "B2", false), sitePage("c2", "docs/x", "C1", false)}},
			wantChanged: true, wantBump: 1, wantUnch: []bool{true, false, false}, wantVersion: []int64{1, 2, 2}, wantReplace: []string{"", "", "c"}},
		{name: "forced pages are written though unchanged",
			in: func() core.PublishPagesInput {
				p := sitePage("a", "home", "A1", true)
				p.Force = true
				return core.PublishPagesInput{Pages: []core.PublishPageInput{p}}
			}(),
			wantChanged: true, wantBump: 1, wantUnch: []bool{false}, wantVersion: []int64{2}, wantReplace: []string{""}},
		{name: "only changed settings",
			in:          core.PublishPagesInput{Settings: &core.Settings{SiteName: "Two"}},
			wantChanged: true, wantBump: 1, wantSetting: true},
		{name: "two pages with one slug",
			in:      core.PublishPagesInput{Pages: []core.PublishPageInput{sitePage("x", "same", "X", false), sitePage("y", "same", "Y", false)}},
			wantErr: `two pages have the slug "same"`},
		{name: "two pages with one id",
			in:      core.PublishPagesInput{Pages: []core.PublishPageInput{sitePage("x", "one", "X", false), sitePage("x", "two", "Y", false)}},
			wantErr: `two pages have the id "x"`},
		{name: "two homepages",
			in:      core.PublishPagesInput{Pages: []core.PublishPageInput{sitePage("x", "one", "X", true), sitePage("y", "two", "Y", true)}},
			wantErr: "at most one may"},
	}
	for _, tt := range tests {
		before, err := s.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.PublishPages(ctx, tt.in)
		after, gerr := s.Generation(ctx)
		if gerr != nil {
			t.Fatal(gerr)
		}
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
			}
			if after != before {
				t.Errorf("%s: a refused publish moved the generation %d -> %d", tt.name, before, after)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if after-before != tt.wantBump || res.Generation != after || res.Changed != tt.wantChanged || res.SettingsChanged != tt.wantSetting {
			t.Errorf("%s: generation %d -> %d (result %d), changed %v, settings %v; want bump %d, changed %v, settings %v",
				tt.name, before, after, res.Generation, res.Changed, res.SettingsChanged, tt.wantBump, tt.wantChanged, tt.wantSetting)
		}
		for i, r := range res.Pages {
			if r.Unchanged != tt.wantUnch[i] || r.Version != tt.wantVersion[i] || r.ReplacedID != tt.wantReplace[i] {
				t.Errorf("%s: page %d = unchanged %v v%d replaced %q; want %v v%d %q", tt.name, i,
					r.Unchanged, r.Version, r.ReplacedID, tt.wantUnch[i], tt.wantVersion[i], tt.wantReplace[i])
			}
		}
	}
	// What the last writes left behind.
	st, err := s.Settings(ctx, "")
	if err != nil || st.SiteName != "Two" {
		t.Errorf("settings = %+v, %v; want siteName Two", st, err)
	}
	p, err := s.Page(ctx, "", "docs/x")
	if err != nil || p.Page.ID != "c2" || p.Version != 2 {
		t.Errorf("docs/x = %+v, %v; want page c2 at v2", p, err)
	}
	b, err := s.LoadPage(ctx, core.PageQuery{Homepage: true})
	if err != nil || b.Page == nil || b.Page.Page.Slug != "home" {
		t.Errorf("homepage = %+v, %v", b, err)
	}
}
