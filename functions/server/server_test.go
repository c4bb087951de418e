package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// fixture is one demo page file, decoded just enough to check what it
// should look like once served.
type fixture struct {
	Page struct {
		Slug       string                   `json:"slug"`
		Title      string                   `json:"title"`
		IsPublic   *bool                    `json:"isPublic"`
		IsHomepage bool                     `json:"isHomepage"`
		LayoutData struct{ Content []node } `json:"layoutData"`
	} `json:"page"`
}

type node struct {
	Type     string         `json:"type"`
	Props    map[string]any `json:"props"`
	Children []node         `json:"children"`
}

// headings returns the heading texts of the tree as the page should show
// them: liquid replaces the templates the fixtures use by their values, so
// a heading still holding "{{" means a template the test does not know.
func (n node) headings(out []string, liquid *strings.Replacer) []string {
	if n.Type == "Heading" {
		if text, ok := n.Props["text"].(string); ok {
			out = append(out, liquid.Replace(text))
		}
	}
	for _, c := range n.Children {
		out = c.headings(out, liquid)
	}
	return out
}

func loadFixtures(t *testing.T) map[string]fixture {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(enginetest.DemoDir(), "pages", "*.json"))
	if len(files) < 6 {
		t.Fatalf("found %d demo pages, want the 6 fixtures", len(files))
	}
	out := map[string]fixture{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fx fixture
		if err := json.Unmarshal(data, &fx); err != nil {
			t.Fatal(err)
		}
		out[fx.Page.Slug] = fx
	}
	return out
}

func TestPublishedFixturesAreServed(t *testing.T) {
	eachMode(t, func(t *testing.T, mode string) {
		e := enginetest.Start(t, enginetest.Options{Mode: mode})
		e.PublishDemo(t)
		for slug, fx := range loadFixtures(t) {
			path := "/" + slug
			if fx.Page.IsHomepage {
				path = "/"
			}
			resp, body := e.Do(t, "GET", path, nil)
			var headings []string
			liquid := strings.NewReplacer("{{ page.title }}", fx.Page.Title, "{{ system.year }}", strconv.Itoa(time.Now().UTC().Year()))
			for _, n := range fx.Page.LayoutData.Content {
				headings = n.headings(headings, liquid)
			}
			if strings.Contains(body, "{{") || strings.Contains(body, "{%") {
				t.Errorf("%s: Liquid left unrendered in the HTML", path)
			}
			if fx.Page.IsPublic != nil && !*fx.Page.IsPublic {
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s (not public): status %d, want 404", path, resp.StatusCode)
				}
				for _, leak := range append(headings, fx.Page.Title) {
					if strings.Contains(body, html.EscapeString(leak)) {
						t.Errorf("%s (not public): response contains %q", path, leak)
					}
				}
				continue
			}
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("%s: status %d %s, want 200 HTML", path, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			// Every page shows its literal headings, and its title in <title>.
			for _, h := range append(headings, fx.Page.Title) {
				if !strings.Contains(body, html.EscapeString(h)) {
					t.Errorf("%s: heading %q missing from the HTML", path, h)
				}
			}
		}
	})
}

func TestPublicRouting(t *testing.T) {
	eachMode(t, func(t *testing.T, mode string) {
		e := enginetest.Start(t, enginetest.Options{Mode: mode})
		e.PublishDemo(t)
		tests := []struct {
			method, path string
			status       int
			location     string
		}{
			{"GET", "/docs/getting-started/", http.StatusPermanentRedirect, "/docs/getting-started"},
			{"GET", "/docs/getting-started/?ref=x", http.StatusPermanentRedirect, "/docs/getting-started?ref=x"},
			{"GET", "/landing", http.StatusMovedPermanently, "/"},
			{"GET", "/nope", http.StatusNotFound, ""},
			{"GET", "/members", http.StatusNotFound, ""},
			{"GET", "/docs/getting-started", http.StatusOK, ""},
			{"HEAD", "/", http.StatusOK, ""},
			{"GET", "/a%00b", http.StatusNotFound, ""},
			{"POST", "/about", http.StatusMethodNotAllowed, ""},
			{"GET", "/api/nothing-here", http.StatusNotFound, ""},
		}
		for _, tt := range tests {
			resp, body := e.Do(t, tt.method, tt.path, nil)
			if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.location {
				t.Errorf("%s %s = %d Location %q, want %d %q", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Location"), tt.status, tt.location)
			}
			if tt.method == "HEAD" && body != "" {
				t.Errorf("HEAD %s returned a body", tt.path)
			}
		}
	})
}

func TestSitemapAndRobots(t *testing.T) {
	eachMode(t, func(t *testing.T, mode string) {
		e := enginetest.Start(t, enginetest.Options{Mode: mode})
		e.PublishDemo(t)
		_, sitemap := e.Do(t, "GET", "/sitemap.xml", nil)
		for _, want := range []string{"<loc>https://www.acme.example/</loc>", "<loc>https://www.acme.example/docs/getting-started</loc>", "<loc>https://www.acme.example/pricing</loc>"} {
			if !strings.Contains(sitemap, want) {
				t.Errorf("sitemap lacks %s:\n%s", want, sitemap)
			}
		}
		for _, absent := range []string{"members", "/landing<"} {
			if strings.Contains(sitemap, absent) {
				t.Errorf("sitemap lists %s:\n%s", absent, sitemap)
			}
		}
		_, robots := e.Do(t, "GET", "/robots.txt", nil)
		if !strings.Contains(robots, "Sitemap: https://www.acme.example/sitemap.xml") {
			t.Errorf("robots.txt = %q", robots)
		}
	})
}

func TestSitemapUsesRequestHostWithoutAppURL(t *testing.T) {
	eachMode(t, func(t *testing.T, mode string) {
		e := enginetest.Start(t, enginetest.Options{Mode: mode})
		if resp, body := e.Manage(t, "POST", "/api/import", `{"page": {"id": "p1", "slug": "hello", "layoutData": {"content": []}}}`); resp.StatusCode != 200 {
			t.Fatalf("publish: %d %s", resp.StatusCode, body)
		}
		_, sitemap := e.Do(t, "GET", "/sitemap.xml", nil)
		if !strings.Contains(sitemap, "<loc>"+e.URL+"/hello</loc>") {
			t.Errorf("sitemap = %s", sitemap)
		}
	})
}

var managementRoutes = []struct{ method, path, body string }{
	{"POST", "/api/import", `{"page": {"id": "p1", "slug": "a", "layoutData": {"content": []}}}`},
	{"DELETE", "/api/import/a", ""},
	{"GET", "/api/manage/pages", ""},
	{"GET", "/api/manage/pages/a", ""},
	{"DELETE", "/api/manage/pages/a", ""},
	{"GET", "/api/import/settings", ""},
	{"POST", "/api/import/settings", `{"siteName": "x"}`},
}

func TestManagementRoutesNeedTheKey(t *testing.T) {
	eachMode(t, func(t *testing.T, mode string) { managementRoutesNeedTheKey(t, mode) })
}

func managementRoutesNeedTheKey(t *testing.T, mode string) {
	closed := enginetest.Start(t, enginetest.Options{Mode: mode, Env: map[string]string{"FRONTBASE_SYSTEM_KEY": ""}})
	open := enginetest.Start(t, enginetest.Options{Mode: mode})
	for _, r := range managementRoutes {
		resp, body := closed.Do(t, r.method, r.path, strings.NewReader(r.body), "X-System-Key", enginetest.Key)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "FRONTBASE_SYSTEM_KEY") {
			t.Errorf("no key configured: %s %s = %d %s, want 401 saying how to set the key", r.method, r.path, resp.StatusCode, body)
		}
		for _, wrong := range [][]string{{}, {"X-System-Key", "wrong-key-0123456789"}, {"Authorization", "Bearer " + enginetest.Key + "x"}, {"Authorization", "Basic " + enginetest.Key}} {
			resp, _ := open.Do(t, r.method, r.path, strings.NewReader(r.body), wrong...)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s with %v = %d, want 401", r.method, r.path, wrong, resp.StatusCode)
			}
		}
	}
	// Right key, either header: the route runs (the DELETEs of a page that is
	// gone answer 404, which is past the auth check).
	for i, r := range managementRoutes {
		header := []string{"X-System-Key", enginetest.Key}
		if i%2 == 1 {
			header = []string{"Authorization", "Bearer " + enginetest.Key}
		}
		resp, body := open.Do(t, r.method, r.path, strings.NewReader(r.body), header...)
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode >= 500 {
			t.Errorf("right key: %s %s = %d %s", r.method, r.path, resp.StatusCode, body)
		}
	}
	open.Manage(t, "POST", "/api/import", managementRoutes[0].body)
	if resp, body := open.Manage(t, "GET", "/api/manage/pages/a", ""); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"slug":"a"`) {
		t.Errorf("GET page with key: %d %s", resp.StatusCode, body)
	}
}

func TestLogsCarryRequestFieldsAndNoSecrets(t *testing.T) {
	eachMode(t, func(t *testing.T, mode string) {
		e := enginetest.Start(t, enginetest.Options{Mode: mode})
		e.PublishDemo(t)
		e.Do(t, "GET", "/about", nil, "X-Request-Id", "trace-123")
		e.Do(t, "GET", "/api/manage/pages", nil, "Authorization", "Bearer "+e.Key)
		logs := e.Logs.String()
		if strings.Contains(logs, e.Key) {
			t.Fatal("the system key appears in the logs")
		}
		var line map[string]any
		for _, l := range strings.Split(logs, "\n") {
			if strings.Contains(l, "trace-123") {
				json.Unmarshal([]byte(l), &line)
			}
		}
		for _, field := range []string{"requestId", "route", "status", "durationMs", "cacheTier"} {
			if _, ok := line[field]; !ok {
				t.Errorf("access log line lacks %s: %v", field, line)
			}
		}
	})
}

func TestBadInputIsRejectedAndChangesNothing(t *testing.T) {
	eachMode(t, func(t *testing.T, mode string) {
		e := enginetest.Start(t, enginetest.Options{Mode: mode})
		e.PublishDemo(t)
		snapshot := func() string {
			_, pages := e.Manage(t, "GET", "/api/manage/pages", "")
			_, about := e.Do(t, "GET", "/about", nil)
			_, home := e.Do(t, "GET", "/", nil)
			return pages + about + home
		}
		before := snapshot()
		valid := func(page string) string { return `{"page": ` + page + `}` }
		tests := []struct {
			name, method, path, body string
			status                   int
			detail                   string // a path that must be in details, if any
		}{
			{"invalid JSON", "POST", "/api/import", `{"page": {"id": "x",`, 400, ""},
			{"not an object", "POST", "/api/import", `[]`, 400, ""},
			{"missing id", "POST", "/api/import", valid(`{"slug": "about", "layoutData": {"content": []}}`), 400, "id"},
			{"missing slug", "POST", "/api/import", valid(`{"id": "x", "layoutData": {"content": []}}`), 400, "slug"},
			{"component without type", "POST", "/api/import", valid(`{"id": "x", "slug": "about", "layoutData": {"content": [{"id": "c", "children": [{"id": "d"}]}]}}`), 400, "layoutData.content[0].type"},
			{"slug with ..", "POST", "/api/import", valid(`{"id": "x", "slug": "../about", "layoutData": {"content": []}}`), 400, "slug"},
			{"slug with NUL", "POST", "/api/import", valid(`{"id": "x", "slug": "ab\u0000out", "layoutData": {"content": []}}`), 400, "slug"},
			{"10 MiB body", "POST", "/api/import", valid(`{"id": "x", "slug": "about", "layoutData": {"content": []}, "pad": "` + strings.Repeat("x", 10<<20) + `"}`), 413, ""},
			{"bad settings", "POST", "/api/import/settings", `{"appUrl": "javascript:alert(1)"}`, 400, "appUrl"},
			{"delete slug with NUL", "DELETE", "/api/import/ab%00out", "", 400, ""},
			// An unknown page's unpublish succeeds, as the TypeScript engine
			// answers it: TestControlPlanePublishContract.
		}
		for _, tt := range tests {
			resp, body := e.Manage(t, tt.method, tt.path, tt.body)
			var out wire.Error
			if err := json.Unmarshal([]byte(body), &out); err != nil {
				t.Errorf("%s: body is not JSON: %q", tt.name, body)
			}
			if resp.StatusCode != tt.status || out.Success || out.Error == "" {
				t.Errorf("%s: %d %s, want %d with an error message", tt.name, resp.StatusCode, body, tt.status)
			}
			if tt.detail != "" {
				found := false
				for _, d := range out.Details {
					found = found || d.Path == tt.detail
				}
				if !found {
					t.Errorf("%s: details %v lack %q", tt.name, out.Details, tt.detail)
				}
			}
		}
		if after := snapshot(); after != before {
			t.Error("rejected requests changed the published state")
		}
	})
}

func TestL1ServesRepeatsWithoutStoreReads(t *testing.T) {
	eachMode(t, func(t *testing.T, mode string) {
		e := enginetest.Start(t, enginetest.Options{Mode: mode})
		e.PublishDemo(t)
		first, body1 := e.Do(t, "GET", "/about", nil)
		reads := e.Store.Reads()
		second, body2 := e.Do(t, "GET", "/about", nil)
		if e.Store.Reads() != reads {
			t.Errorf("second GET read the store %d times, want 0", e.Store.Reads()-reads)
		}
		if second.Header.Get("X-Frontbase-Cache") != "l1-hit" || body1 != body2 || first.Header.Get("ETag") == "" {
			t.Errorf("second GET: cache %q, same body %v, etag %q", second.Header.Get("X-Frontbase-Cache"), body1 == body2, first.Header.Get("ETag"))
		}
		if cc := first.Header.Get("Cache-Control"); !strings.Contains(cc, "s-maxage=") || !strings.Contains(cc, "stale-while-revalidate=") {
			t.Errorf("Cache-Control = %q", cc)
		}

		// 304 for a matching validator, for either encoding's ETag.
		notModified, body := e.Do(t, "GET", "/about", nil, "If-None-Match", first.Header.Get("ETag"))
		if notModified.StatusCode != http.StatusNotModified || body != "" {
			t.Errorf("If-None-Match: %d with %d bytes, want 304 and no body", notModified.StatusCode, len(body))
		}

		// gzip: decodes to the very same bytes.
		gz, zipped := e.Do(t, "GET", "/about", nil, "Accept-Encoding", "gzip")
		if gz.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("Content-Encoding = %q", gz.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(strings.NewReader(zipped))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		if !bytes.Equal(plain, []byte(body1)) {
			t.Error("gzip body does not decode to the uncompressed body")
		}
		if gz.Header.Get("ETag") == first.Header.Get("ETag") {
			t.Error("gzip and identity share a strong ETag")
		}
		if resp, _ := e.Do(t, "GET", "/about", nil, "If-None-Match", gz.Header.Get("ETag"), "Accept-Encoding", "gzip"); resp.StatusCode != http.StatusNotModified {
			t.Errorf("gzip ETag revalidation: %d, want 304", resp.StatusCode)
		}
		if resp, _ := e.Do(t, "GET", "/about", nil, "Accept-Encoding", "gzip;q=0"); resp.Header.Get("Content-Encoding") != "" {
			t.Error("gzip sent to a client that refused it with q=0")
		}

		// A publish changes what the very next GET returns.
		republished := strings.ReplaceAll(readDemo(t, "about.json"), `"About Acme"`, `"About Acme, revised"`)
		if !strings.Contains(republished, "revised") {
			t.Fatal("fixture changed: cannot find the about heading to edit")
		}
		if resp, body := e.Manage(t, "POST", "/api/import", republished); resp.StatusCode != 200 {
			t.Fatalf("republish: %d %s", resp.StatusCode, body)
		}
		after, body3 := e.Do(t, "GET", "/about", nil)
		if !strings.Contains(body3, "About Acme, revised") || after.Header.Get("ETag") == first.Header.Get("ETag") {
			t.Error("the GET after a publish still serves the old page")
		}
		if resp, _ := e.Do(t, "GET", "/about", nil, "If-None-Match", first.Header.Get("ETag")); resp.StatusCode != http.StatusOK {
			t.Errorf("old ETag after publish: %d, want 200", resp.StatusCode)
		}
	})
}

func TestPublishRules(t *testing.T) {
	eachMode(t, func(t *testing.T, mode string) {
		e := enginetest.Start(t, enginetest.Options{Mode: mode})
		e.PublishDemo(t)
		publish := func(page string) map[string]any {
			t.Helper()
			resp, body := e.Manage(t, "POST", "/api/import", `{"page": `+page+`, "force": true}`)
			if resp.StatusCode != 200 {
				t.Fatalf("publish %s: %d %s", page, resp.StatusCode, body)
			}
			var out map[string]any
			json.Unmarshal([]byte(body), &out)
			return out
		}
		// A new homepage takes the flag from the old one.
		publish(`{"id": "new-home", "slug": "welcome", "isHomepage": true, "layoutData": {"content": [{"type": "Heading", "props": {"text": "New home"}}]}}`)
		if _, body := e.Do(t, "GET", "/", nil); !strings.Contains(body, "New home") {
			t.Error("/ does not serve the new homepage")
		}
		if resp, _ := e.Do(t, "GET", "/landing", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("the old homepage's slug answers %d, want 200 now that it is not the homepage", resp.StatusCode)
		}
		_, list := e.Manage(t, "GET", "/api/manage/pages", "")
		if n := strings.Count(list, `"isHomepage":true`); n != 1 {
			t.Errorf("%d homepages after publishing a second one, want 1", n)
		}

		// Same slug, new page id: the new page replaces the old.
		out := publish(`{"id": "other-about", "slug": "about", "layoutData": {"content": [{"type": "Heading", "props": {"text": "Replaced"}}]}}`)
		if msg, _ := out["message"].(string); !strings.Contains(msg, "replacing") {
			t.Errorf("message = %q, want it to say the old page was replaced", msg)
		}
		_, list = e.Manage(t, "GET", "/api/manage/pages", "")
		if n := strings.Count(list, `"slug":"about"`); n != 1 {
			t.Errorf("%d pages with slug about, want 1", n)
		}

		// A published "404" page is the not-found page.
		publish(`{"id": "nf", "slug": "404", "layoutData": {"content": [{"type": "Heading", "props": {"text": "Lost in space"}}]}}`)
		if resp, body := e.Do(t, "GET", "/nope", nil); resp.StatusCode != 404 || !strings.Contains(body, "Lost in space") {
			t.Errorf("/nope = %d, want the published 404 page", resp.StatusCode)
		}
		if resp, body := e.Do(t, "GET", "/members", nil); resp.StatusCode != 404 || !strings.Contains(body, "Lost in space") || strings.Contains(body, "Members") {
			t.Errorf("/members = %d, want the published 404 page and nothing of the private page", resp.StatusCode)
		}

		// Unpublish.
		if resp, body := e.Manage(t, "DELETE", "/api/manage/pages/pricing", ""); resp.StatusCode != 200 {
			t.Fatalf("delete: %d %s", resp.StatusCode, body)
		}
		if resp, _ := e.Do(t, "GET", "/pricing", nil); resp.StatusCode != 404 {
			t.Errorf("/pricing after delete = %d, want 404", resp.StatusCode)
		}
	})
}

func TestRepublishingSameContentIsUnchanged(t *testing.T) {
	eachMode(t, func(t *testing.T, mode string) {
		e := enginetest.Start(t, enginetest.Options{Mode: mode})
		body := strings.Replace(readDemo(t, "about.json"), `"force": true`, `"force": false`, 1)
		for i, want := range []bool{false, true} {
			resp, out := e.Manage(t, "POST", "/api/import", body)
			if resp.StatusCode != 200 || strings.Contains(out, `"unchanged":true`) != want {
				t.Errorf("publish %d: %d %s, want unchanged=%v", i, resp.StatusCode, out, want)
			}
		}
	})
}

func TestSettingsRoundTrip(t *testing.T) {
	eachMode(t, func(t *testing.T, mode string) {
		e := enginetest.Start(t, enginetest.Options{Mode: mode})
		e.Manage(t, "POST", "/api/import/settings", `{"siteName": "Acme", "appUrl": "https://acme.example", "brandColor": "#fff"}`)
		resp, body := e.Manage(t, "GET", "/api/import/settings", "")
		if resp.StatusCode != 200 || !strings.Contains(body, `"siteName":"Acme"`) || !strings.Contains(body, `"brandColor":"#fff"`) {
			t.Errorf("settings = %d %s", resp.StatusCode, body)
		}
	})
}

func TestHealth(t *testing.T) {
	eachMode(t, func(t *testing.T, mode string) {
		e := enginetest.Start(t, enginetest.Options{Mode: mode})
		_, public := e.Do(t, "GET", "/api/health", nil)
		if public != "{\"status\":\"ok\"}\n" {
			t.Errorf("public health = %q, want only the status", public)
		}
		_, detailed := e.Do(t, "GET", "/api/health", nil, "X-System-Key", e.Key)
		cache := `"cache":{"status":"none"}`
		if mode != "local" {
			cache = `"cache":{"status":"ok"`
		}
		for _, want := range []string{`"store":{"status":"ok"`, cache, `"generation":`, `"l1":`} {
			if !strings.Contains(detailed, want) {
				t.Errorf("health with key lacks %s: %s", want, detailed)
			}
		}
	})
}

func TestRunServesAndStopsOnCancel(t *testing.T) {
	env := map[string]string{
		"FRONTBASE_LOCAL_DB_PATH": filepath.Join(t.TempDir(), "pages.db"),
		"PORT":                    freePort(t),
		"FRONTBASE_LOG_LEVEL":     "error",
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run ended early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}
	resp, err := http.Get("http://" + addr + "/api/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run returned %v after cancel", err)
	}
}

func TestRunRejectsBadConfigInOneLine(t *testing.T) {
	err := run(context.Background(), func(k string) string { return map[string]string{"PORT": "eighty"}[k] }, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "PORT:") || strings.Contains(err.Error(), "\n") {
		t.Errorf("got %v, want one line naming PORT", err)
	}
}

// freePort asks the kernel for a port that is free right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// eachMode runs a page test in every deployment: local SQLite, and cloud
// mode on real tursodb with Redis or the Upstash REST front as L2.
func eachMode(t *testing.T, test func(t *testing.T, mode string)) {
	for _, mode := range enginetest.Modes {
		t.Run(mode, func(t *testing.T) { test(t, mode) })
	}
}

func readDemo(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(enginetest.DemoDir(), "pages", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
