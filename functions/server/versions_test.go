package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// TestRollbackRestoresTheSameBytes publishes the demo, changes a page and
// unpublishes another through the API, then rolls back: every page, the
// sitemap and the home page must be byte for byte what they were.
func TestRollbackRestoresTheSameBytes(t *testing.T) {
	eachMode(t, func(t *testing.T, mode string) {
		e := enginetest.Start(t, enginetest.Options{Mode: mode})
		e.PublishDemo(t)
		paths := []string{"/", "/about", "/pricing", "/docs/getting-started", "/sitemap.xml"}
		snapshot := func() map[string]string {
			out := map[string]string{}
			for _, p := range paths {
				resp, body := e.Do(t, "GET", p, nil)
				out[p] = strconv.Itoa(resp.StatusCode) + " " + resp.Header.Get("ETag") + "\n" + body
			}
			return out
		}
		before := snapshot()
		versions := func() []struct {
			Version int64  `json:"version"`
			Action  string `json:"action"`
			Source  string `json:"source"`
		} {
			resp, body := e.Manage(t, "GET", "/api/versions", "")
			var out struct {
				Versions []struct {
					Version int64  `json:"version"`
					Action  string `json:"action"`
					Source  string `json:"source"`
				} `json:"versions"`
			}
			if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &out) != nil || len(out.Versions) == 0 {
				t.Fatalf("GET /api/versions = %d %s", resp.StatusCode, body)
			}
			return out.Versions
		}
		published := versions()[0]

		about := strings.Replace(readDemo(t, "about.json"), `"title": "About Acme"`, `"title": "About Acme, changed"`, 1)
		if resp, body := e.Manage(t, "POST", "/api/import", about); resp.StatusCode != 200 {
			t.Fatalf("import: %d %s", resp.StatusCode, body)
		}
		if resp, body := e.Manage(t, "DELETE", "/api/import/pricing", ""); resp.StatusCode != 200 {
			t.Fatalf("unpublish: %d %s", resp.StatusCode, body)
		}
		// The unpublished page leaves every tier and the sitemap.
		if resp, _ := e.Do(t, "GET", "/pricing", nil); resp.StatusCode != 404 {
			t.Errorf("/pricing after unpublish = %d, want 404", resp.StatusCode)
		}
		if _, sitemap := e.Do(t, "GET", "/sitemap.xml", nil); strings.Contains(sitemap, "/pricing") {
			t.Errorf("the sitemap still lists /pricing:\n%s", sitemap)
		}
		if _, body := e.Do(t, "GET", "/about", nil); !strings.Contains(body, "About Acme, changed") {
			t.Fatalf("the changed /about is not served")
		}
		list := versions()
		if list[0].Action != "unpublish" || list[1].Action != "publish" || list[0].Source != "api" || list[0].Version != published.Version+2 {
			t.Errorf("versions = %+v, want unpublish then publish after version %d", list[:2], published.Version)
		}

		resp, body := e.Manage(t, "POST", "/api/rollback", `{"version": `+strconv.FormatInt(published.Version, 10)+`}`)
		if resp.StatusCode != 200 || !strings.Contains(body, `"restored":["about","pricing"]`) {
			t.Fatalf("rollback = %d %s", resp.StatusCode, body)
		}
		after := snapshot()
		for _, p := range paths {
			if after[p] != before[p] {
				t.Errorf("%s after rollback differs:\n%.300s\nwant\n%.300s", p, after[p], before[p])
			}
		}
		if v := versions()[0]; v.Action != "rollback" || v.Version != published.Version+3 {
			t.Errorf("newest version = %+v, want the rollback", v)
		}
		for _, bad := range []struct{ body, want string }{
			{`{"version": 0}`, `"path":"version"`},
			{`{"version": "x"}`, `"path":"$"`},
			{`{"version": 9999}`, "not kept"},
		} {
			if resp, body := e.Manage(t, "POST", "/api/rollback", bad.body); resp.StatusCode/100 != 4 || !strings.Contains(body, bad.want) {
				t.Errorf("rollback %s = %d %s, want a 4xx naming %s", bad.body, resp.StatusCode, body, bad.want)
			}
		}
	})
}
