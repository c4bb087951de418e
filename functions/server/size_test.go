package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// sizedPage is a page document whose rendered HTML grows by exactly one
// byte per byte of pad (plain letters in a heading).
func sizedPage(id, slug string, pad int) string {
	return fmt.Sprintf(`{"id": %q, "slug": %q, "name": "Big", "title": "Big", "isPublic": true, "isHomepage": false,
		"layoutData": {"content": [{"id": "h1", "type": "Heading", "props": {"text": "x%s", "level": "h1"}}], "root": {}}}`,
		id, slug, strings.Repeat("a", pad))
}

const sizeLimit = 64 << 10 // FRONTBASE_MAX_PAGE_BYTES of these tests

// TestPublishRefusesPageOverRenderedLimit: a page whose rendered HTML is
// one byte over FRONTBASE_MAX_PAGE_BYTES is refused with 413, the page
// named, on every route that publishes or previews, and nothing is
// written; a page of exactly the limit passes.
func TestPublishRefusesPageOverRenderedLimit(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Env: map[string]string{"FRONTBASE_MAX_PAGE_BYTES": "64KiB"}})

	// The rendered size of a small page, as visitors get it, gives the
	// pad that makes a page exactly the limit, on this engine (its base
	// URL and the page's path are in the HTML: all slugs have 3 letters).
	if status, a, raw := manage(t, e, "POST", "/api/import", `{"page": `+sizedPage("probe", "prb", 0)+`}`); status != 200 || !a.Success {
		t.Fatalf("probe: %d %s", status, raw)
	}
	_, html := e.Do(t, "GET", "/prb", nil)
	atLimit := sizeLimit - len(html)
	previewPath, _ := makePreview(t, e, `{"page": `+sizedPage("probe-p", "prp", 0)+`}`)
	_, previewHTML := e.Do(t, "GET", previewPath, nil)
	previewAtLimit := sizeLimit - len(previewHTML)

	tests := []struct {
		name, path string
		body       func(pad int) string
		pad        int
		detail     string // the path of the refusal's detail
	}{
		{"import", "/api/import", func(pad int) string { return `{"page": ` + sizedPage("p1", "one", pad) + `}` }, atLimit, "page"},
		{"site", "/api/import/site", func(pad int) string {
			return `{"pages": [` + sizedPage("p2", "small", 0) + `,` + sizedPage("p3", "two", pad) + `]}`
		}, atLimit, "pages[1]"},
		{"preview", "/api/preview", func(pad int) string { return `{"page": ` + sizedPage("p4", "tri", pad) + `}` }, previewAtLimit, "page"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gen := generation(t, e)
			status, a, raw := manage(t, e, "POST", tc.path, tc.body(tc.pad+1))
			if status != http.StatusRequestEntityTooLarge || a.Success {
				t.Fatalf("one byte over: HTTP %d %s", status, raw)
			}
			var d struct{ Path, Message string }
			if len(a.Details) != 1 || json.Unmarshal(a.Details[0], &d) != nil || d.Path != tc.detail ||
				!strings.Contains(d.Message, "over the 64 KiB limit (FRONTBASE_MAX_PAGE_BYTES)") || !strings.Contains(a.Error, tc.detail+": rendered HTML is") {
				t.Fatalf("refusal does not name the page and the limit: %s", raw)
			}
			if g := generation(t, e); g != gen {
				t.Errorf("a refused publish moved the generation %v -> %v", gen, g)
			}
			for _, slug := range []string{"one", "small", "two", "tri"} {
				if resp, _ := e.Manage(t, "GET", "/api/manage/pages/"+slug, ""); resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s: HTTP %d after a refused publish, want 404", slug, resp.StatusCode)
				}
			}

			status, a, raw = manage(t, e, "POST", tc.path, tc.body(tc.pad))
			if status != 200 || !a.Success {
				t.Fatalf("exactly the limit: HTTP %d %s", status, raw)
			}
			if tc.name == "preview" {
				var link previewLink
				json.Unmarshal([]byte(raw), &link)
				if _, got := e.Do(t, "GET", strings.TrimPrefix(link.URL, e.URL), nil); len(got) != sizeLimit {
					t.Errorf("the preview at the limit is %d bytes, want %d", len(got), sizeLimit)
				}
				return
			}
			slug := map[string]string{"import": "one", "site": "two"}[tc.name]
			if _, got := e.Do(t, "GET", "/"+slug, nil); len(got) != sizeLimit {
				t.Errorf("the page at the limit is %d bytes, want %d", len(got), sizeLimit)
			}
			e.Manage(t, "DELETE", "/api/manage/pages/"+slug, "")
			e.Manage(t, "DELETE", "/api/manage/pages/small", "")
		})
	}
}

// TestSizeCheckUsesTheStoredSettings: a publish without settings is
// measured with the site's stored ones (their custom head HTML is in
// every page), and one with settings with those.
func TestSizeCheckUsesTheStoredSettings(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Env: map[string]string{"FRONTBASE_MAX_PAGE_BYTES": "64KiB"}})
	head := fmt.Sprintf(`{"customHeadHtml": "<meta name=\"x\" content=\"%s\">"}`, strings.Repeat("b", 32<<10))
	page := `{"page": ` + sizedPage("p1", "one", 40<<10) + `}`
	if status, a, raw := manage(t, e, "POST", "/api/import", page); status != 200 || !a.Success {
		t.Fatalf("without settings: %d %s", status, raw)
	}
	if status, a, raw := manage(t, e, "POST", "/api/import/settings", head); status != 200 || !a.Success {
		t.Fatalf("settings: %d %s", status, raw)
	}
	page = `{"page": ` + sizedPage("p1", "one", 40<<10+1) + `}` // a change, so it is written if accepted
	if status, _, raw := manage(t, e, "POST", "/api/import", page); status != http.StatusRequestEntityTooLarge || !strings.Contains(raw, `"path":"page"`) {
		t.Errorf("with the stored custom head: %d %.300s", status, raw)
	}
	site := `{"pages": [` + sizedPage("p2", "two", 40<<10) + `], "settings": {}}`
	if status, a, raw := manage(t, e, "POST", "/api/import/site", site); status != 200 || !a.Success {
		t.Errorf("with the settings of the publish (none): %d %.300s", status, raw)
	}
	site = `{"pages": [` + sizedPage("p3", "tri", 40<<10) + `], "settings": ` + head + `}`
	if status, _, raw := manage(t, e, "POST", "/api/import/site", site); status != http.StatusRequestEntityTooLarge || !strings.Contains(raw, `"path":"pages[0]"`) {
		t.Errorf("with the settings of the publish: %d %.300s", status, raw)
	}
}

// TestListPagesWalksByCursor: GET /api/manage/pages with limit and cursor
// lists every page exactly once, in slug order, whatever the page size,
// and ends with nextCursor null; bad parameters are named.
func TestListPagesWalksByCursor(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	var pages []string
	for i := range 7 {
		slug := fmt.Sprintf("p%d", i)
		if i == 3 {
			slug = "docs/p3" // a nested slug sorts among the others
		}
		pages = append(pages, sizedPage("id"+strconv.Itoa(i), slug, 0))
	}
	if status, a, raw := manage(t, e, "POST", "/api/import/site", `{"pages": [`+strings.Join(pages, ",")+`]}`); status != 200 || !a.Success {
		t.Fatalf("publish: %d %s", status, raw)
	}
	want := []string{"docs/p3", "p0", "p1", "p2", "p4", "p5", "p6"}

	type listing struct {
		Success    bool
		Pages      []struct{ Slug string }
		NextCursor *string
	}
	for _, limit := range []string{"", "1", "2", "3", "6", "7", "500"} {
		t.Run("limit="+limit, func(t *testing.T) {
			var got []string
			cursor := ""
			for calls := 0; ; calls++ {
				if calls > len(want) {
					t.Fatalf("no end after %d calls: %v", calls, got)
				}
				q := "?limit=" + limit + "&cursor=" + cursor
				resp, raw := e.Manage(t, "GET", "/api/manage/pages"+q, "")
				var l listing
				if resp.StatusCode != 200 || json.Unmarshal([]byte(raw), &l) != nil || !l.Success {
					t.Fatalf("%s: %d %s", q, resp.StatusCode, raw)
				}
				if n, _ := strconv.Atoi(limit); n > 0 && len(l.Pages) > n {
					t.Fatalf("%s: %d pages, over the limit", q, len(l.Pages))
				}
				for _, p := range l.Pages {
					got = append(got, p.Slug)
				}
				if !strings.Contains(raw, `"nextCursor"`) {
					t.Fatalf("%s: no nextCursor member: %s", q, raw)
				}
				if l.NextCursor == nil {
					break
				}
				cursor = *l.NextCursor
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("walked %v, want %v", got, want)
			}
		})
	}
	for q, path := range map[string]string{"?limit=0": "limit", "?limit=501": "limit", "?limit=x": "limit", "?cursor=%25%25": "cursor"} {
		status, a, raw := manage(t, e, "GET", "/api/manage/pages"+q, "")
		if status != 400 || a.Success || !strings.Contains(a.Error, path+": ") {
			t.Errorf("%s: %d %s, want 400 naming %s", q, status, raw, path)
		}
	}
}

// TestGetPageGzip: GET /api/manage/pages/{slug} is gzipped for a client
// that accepts it (a page document may be MBs) and plain otherwise.
func TestGetPageGzip(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	if status, a, raw := manage(t, e, "POST", "/api/import", `{"page": `+sizedPage("big", "big", 1<<20)+`}`); status != 200 || !a.Success {
		t.Fatalf("publish: %d %s", status, raw)
	}
	plainResp, plain := e.Do(t, "GET", "/api/manage/pages/big", nil, "X-System-Key", e.Key)
	if plainResp.Header.Get("Content-Encoding") != "" || !strings.Contains(plain, `"success":true`) {
		t.Fatalf("without Accept-Encoding: %v %.200s", plainResp.Header, plain)
	}
	for _, accept := range []string{"gzip", "br, gzip;q=0.8", "gzip;q=0"} {
		resp, body := e.Do(t, "GET", "/api/manage/pages/big", nil, "X-System-Key", e.Key, "Accept-Encoding", accept)
		if accept == "gzip;q=0" {
			if resp.Header.Get("Content-Encoding") != "" || body != plain {
				t.Errorf("%s: not the plain document", accept)
			}
			continue
		}
		if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("%s: headers %v", accept, resp.Header)
		}
		zr, err := gzip.NewReader(bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		un, err := io.ReadAll(zr)
		if err != nil || string(un) != plain {
			t.Fatalf("%s: the gzipped body is not the document (%v)", accept, err)
		}
		t.Logf("GET /api/manage/pages/big: %d bytes plain, %d gzipped", len(plain), len(body))
	}
}
