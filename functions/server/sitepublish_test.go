package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// demoSiteBody is the demo directory as one POST /api/import/site body.
func demoSiteBody(t *testing.T, extra string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(enginetest.DemoDir(), "pages", "*.json"))
	sort.Strings(files)
	var pages []string
	for _, f := range files {
		var body struct {
			Page json.RawMessage `json:"page"`
		}
		data, err := os.ReadFile(f)
		if err != nil || json.Unmarshal(data, &body) != nil {
			t.Fatalf("%s: %v", f, err)
		}
		pages = append(pages, string(body.Page))
	}
	settings, err := os.ReadFile(filepath.Join(enginetest.DemoDir(), "settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`{"pages": [%s], "settings": %s%s}`, strings.Join(pages, ","), settings, extra)
}

func postSite(t *testing.T, e *enginetest.Engine, body string) (int, wire.SiteResponse) {
	t.Helper()
	resp, raw := e.Manage(t, "POST", "/api/import/site", body)
	var out wire.SiteResponse
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("HTTP %d: %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// TestSitePublishIsOneAtomicPublish publishes the demo in one request:
// every page and the settings are written, the generation moves once, the
// site serves; the same body again writes nothing (generation unchanged,
// no site version added).
func TestSitePublishIsOneAtomicPublish(t *testing.T) {
	eachMode(t, func(t *testing.T, mode string) {
		e := enginetest.Start(t, enginetest.Options{Mode: mode})
		body := demoSiteBody(t, `, "source": "test"`)
		var tursoBefore int64
		if e.Servers != nil {
			tursoBefore = e.Servers.Turso.Requests()
		}
		status, first := postSite(t, e, body)
		if status != 200 || !first.Success || !first.Changed || !first.SettingsChanged || len(first.Pages) != 6 {
			t.Fatalf("first publish = %d %+v", status, first)
		}
		if e.Servers != nil {
			// The schema check, one read of what is stored, one batch:
			// never one per page.
			if n := e.Servers.Turso.Requests() - tursoBefore; n > 3 {
				t.Errorf("the site publish cost %d Turso requests, want at most 3", n)
			}
		}
		for _, p := range first.Pages {
			if p.Unchanged || p.Version != 1 {
				t.Errorf("page %+v: want version 1, written", p)
			}
		}
		if resp, html := e.Do(t, "GET", "/about", nil); resp.StatusCode != 200 || !strings.Contains(html, "About") {
			t.Errorf("GET /about = %d", resp.StatusCode)
		}
		_, versions := e.Manage(t, "GET", "/api/versions", "")
		if !strings.Contains(versions, `"source":"api:test"`) || strings.Count(versions, `"version":`) != 1 {
			t.Errorf("versions after one site publish: %s", versions)
		}

		status, second := postSite(t, e, body)
		if status != 200 || second.Changed || second.SettingsChanged || second.Generation != first.Generation {
			t.Fatalf("second publish = %d %+v, want nothing changed at generation %d", status, second, first.Generation)
		}
		for _, p := range second.Pages {
			if !p.Unchanged {
				t.Errorf("page %s was written again", p.Slug)
			}
		}
		if _, v := e.Manage(t, "GET", "/api/versions", ""); strings.Count(v, `"version":`) != 1 {
			t.Errorf("an unchanged publish added a site version: %s", v)
		}

		status, forced := postSite(t, e, strings.TrimSuffix(body, "}")+`, "force": true}`)
		if status != 200 || !forced.Changed || forced.Generation != first.Generation+1 || forced.Pages[0].Version != 2 {
			t.Errorf("forced publish = %d %+v, want every page at version 2, generation %d", status, forced, first.Generation+1)
		}
	})
}

// TestSitePublishRefusesBadBodies: auth, validation with the page's index
// in every path, duplicates, two homepages, the body limit.
func TestSitePublishRefusesBadBodies(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Env: map[string]string{"FRONTBASE_MAX_BODY_BYTES": "100000"}})
	page := func(id, slug, extra string) string {
		return fmt.Sprintf(`{"id": %q, "slug": %q, "layoutData": {"content": [{"id": "h", "type": "Heading", "props": {"text": "x"}}]}%s}`, id, slug, extra)
	}
	good := `{"pages": [` + page("a", "a", "") + `]}`
	for _, tc := range []struct {
		name    string
		headers []string
		body    string
		status  int
		paths   []string // every one must be named in details
		message string   // part of the error
	}{
		{name: "no key", body: good, status: 401},
		{name: "wrong key", headers: []string{"X-System-Key", "wrong-key-0123456789"}, body: good, status: 401},
		{name: "bearer", headers: []string{"Authorization", "Bearer " + enginetest.Key}, body: good, status: 200},
		{name: "not JSON", body: `{"pages": [`, status: 400},
		{name: "unknown field", body: `{"page": {}}`, status: 400, message: "unknown field"},
		{name: "no pages", body: `{"pages": []}`, status: 400, paths: []string{"pages"}},
		{name: "pages not an array", body: `{"pages": {}}`, status: 400, paths: []string{"pages"}},
		{name: "invalid pages named by index", status: 400,
			body:  `{"pages": [` + page("a", "a", "") + `, {"id": "b"}, ` + strings.Replace(page("c", "c", ""), `"type": "Heading"`, `"type": 3`, 1) + `]}`,
			paths: []string{"pages[1].slug", "pages[2].layoutData.content[0].type"}},
		{name: "bad settings", status: 400, body: `{"pages": [` + page("a", "a", "") + `], "settings": {"appUrl": "ftp://x"}}`, paths: []string{"settings.appUrl"}},
		{name: "duplicate slug", status: 400, body: `{"pages": [` + page("a", "same", "") + `,` + page("b", "same", "") + `]}`, paths: []string{"pages[1].slug"}, message: "pages[0]"},
		{name: "duplicate id", status: 400, body: `{"pages": [` + page("a", "a", "") + `,` + page("a", "b", "") + `]}`, paths: []string{"pages[1].id"}},
		{name: "two homepages", status: 400, body: `{"pages": [` + page("a", "a", `, "isHomepage": true`) + `,` + page("b", "b", `, "isHomepage": true`) + `]}`, paths: []string{"pages[1].isHomepage"}},
		{name: "too large", status: 413, body: `{"pages": [` + page("a", "a", `, "description": "`+strings.Repeat("x", 100001)+`"`) + `]}`, message: "CLI splits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			headers := tc.headers
			if headers == nil && !strings.HasPrefix(tc.name, "no key") {
				headers = []string{"X-System-Key", enginetest.Key}
			}
			resp, raw := e.Do(t, "POST", "/api/import/site", strings.NewReader(tc.body), append(headers, "Content-Type", "application/json")...)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, raw)
			}
			var out wire.Error
			json.Unmarshal([]byte(raw), &out)
			for _, p := range tc.paths {
				found := false
				for _, d := range out.Details {
					found = found || d.Path == p
				}
				if !found {
					t.Errorf("no detail at %s: %s", p, raw)
				}
			}
			if tc.message != "" && !strings.Contains(raw, tc.message) {
				t.Errorf("the error does not say %q: %s", tc.message, raw)
			}
		})
	}
	// Nothing of the refused bodies was written: only the bearer case's page.
	_, list := e.Manage(t, "GET", "/api/manage/pages", "")
	if strings.Contains(list, `"same"`) || strings.Contains(list, `"slug":"c"`) {
		t.Errorf("a refused body was partly written: %s", list)
	}
}

// TestOnePageImportIsUnchanged: POST /api/import still takes one page.
func TestOnePageImportIsUnchanged(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	resp, body := e.Manage(t, "POST", "/api/import", readDemo(t, "about.json"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"slug":"about"`) {
		t.Fatalf("POST /api/import = %d %s", resp.StatusCode, body)
	}
}
