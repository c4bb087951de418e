package core

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeImportReportsEveryProblemWithItsPath(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // "path: message" prefixes, all of which must be reported
	}{
		{"missing page", `{}`, []string{"page: required"}},
		{"page not object", `{"page": 3}`, []string{"page: must be an object"}},
		{"missing id and slug", `{"page": {"layoutData": {"content": []}}}`, []string{"id: required", "slug: required"}},
		{"blank id", `{"page": {"id": "  ", "slug": "a", "layoutData": {"content": []}}}`, []string{"id: required"}},
		{"component without type", `{"page": {"id": "p", "slug": "a", "layoutData": {"content": [
			{"type": "Section"}, {"type": "Row"}, {"type": "Text"},
			{"type": "Section", "children": [{"id": "x"}]}]}}}`,
			[]string{"layoutData.content[3].children[0].type: required"}},
		{"slug climbs", `{"page": {"id": "p", "slug": "../etc", "layoutData": {"content": []}}}`, []string{"slug: must not contain empty, . or .. segments"}},
		{"slug with NUL", `{"page": {"id": "p", "slug": "a\u0000b", "layoutData": {"content": []}}}`, []string{"slug: must not contain control characters"}},
		{"slug with leading slash", `{"page": {"id": "p", "slug": "/a", "layoutData": {"content": []}}}`, []string{"slug: must not start or end with /"}},
		{"wrong types", `{"force": "yes", "page": {"id": 7, "slug": "a", "isPublic": "no", "seoData": {"keywords": [1]},
			"layoutData": {"content": [{"type": "Text", "props": [], "children": {}, "visibility": {"mobile": 1}}]}}}`,
			[]string{"force: must be a boolean", "id: must be a string", "isPublic: must be a boolean", "seoData.keywords[0]: must be a string",
				"layoutData.content[0].props: must be an object", "layoutData.content[0].children: must be an array",
				"layoutData.content[0].visibility.mobile: must be a boolean"}},
		{"missing layout", `{"page": {"id": "p", "slug": "a"}}`, []string{"layoutData: required"}},
		{"missing content", `{"page": {"id": "p", "slug": "a", "layoutData": {}}}`, []string{"layoutData.content: required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeImport([]byte(tt.body))
			if ErrorCode(err) != EINVALID {
				t.Fatalf("code = %q (%v), want %q", ErrorCode(err), err, EINVALID)
			}
			details := ErrorDetails(err)
			for _, want := range tt.want {
				found := false
				for _, d := range details {
					if strings.HasPrefix(d.String(), want) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing %q in %v", want, details)
				}
			}
		})
	}
}

func TestDecodeImportRejectsMalformedJSON(t *testing.T) {
	for _, body := range []string{``, `{`, `{"page": {}} trailing`, `[1,2`, `nul`} {
		_, err := DecodeImport([]byte(body))
		if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "invalid JSON") {
			t.Errorf("%q: got %v, want an invalid JSON error", body, err)
		}
	}
}

func TestDecodeImportLimitsHostileTrees(t *testing.T) {
	deep := strings.Repeat(`{"type":"Box","children":[`, MaxComponentDepth+2) + `{"type":"Text"}` + strings.Repeat(`]}`, MaxComponentDepth+2)
	_, err := DecodeImport([]byte(`{"page": {"id": "p", "slug": "a", "layoutData": {"content": [` + deep + `]}}}`))
	if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "deeper than") {
		t.Fatalf("deep tree: got %v", err)
	}
	wide := strings.TrimSuffix(strings.Repeat(`{"type":"Text"},`, MaxComponents+1), ",")
	_, err = DecodeImport([]byte(`{"page": {"id": "p", "slug": "a", "layoutData": {"content": [` + wide + `]}}}`))
	if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "more than") {
		t.Fatalf("wide tree: got %v", err)
	}
}

func TestDecodeImportKeepsUnknownFields(t *testing.T) {
	body := `{"page": {"id": "p", "slug": "a", "futureFlag": {"x": 1},
		"layoutData": {"content": [{"type": "Text", "aiHint": "keep me", "children": [{"type": "Box", "z": [1]}]}], "grid": true}}}`
	req, err := DecodeImport([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if req.Page.TenantSlug != DefaultTenant {
		t.Errorf("tenant = %q, want the default", req.Page.TenantSlug)
	}
	out := req.Document
	for _, want := range []string{`"futureFlag":{"x":1}`, `"aiHint":"keep me"`, `"z":[1]`, `"grid":true`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("re-encoded page lost %s: %s", want, out)
		}
	}
}

func TestDecodeImportAcceptsEveryFixture(t *testing.T) {
	files, _ := filepath.Glob("../scripts/demo/pages/*.json")
	if len(files) == 0 {
		t.Fatal("no fixtures found")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		req, err := DecodeImport(data)
		if err != nil {
			t.Errorf("%s: %v %v", f, err, ErrorDetails(err))
			continue
		}
		if req.Page.Slug == "" || len(req.Page.LayoutData.Content) == 0 {
			t.Errorf("%s: decoded an empty page", f)
		}
	}
}

func TestValidSlug(t *testing.T) {
	tests := []struct {
		slug string
		ok   bool
	}{
		{"about", true}, {"docs/getting-started", true}, {"v1.2", true}, {"404", true},
		// The builder's slug field is free text: any script, spaces, punctuation.
		{"über-uns", true}, {"my page", true}, {"会社概要", true}, {"a?b", true}, {"a%2e", true},
		{strings.Repeat("é", MaxSlugLength), true},
		{"", false}, {"a//b", false}, {"a/../b", false}, {"..", false}, {"a/./b", false}, {"a/", false}, {"/a", false},
		{"a\x00", false}, {"a\nb", false}, {"a\x7fb", false}, {"a\u0085b", false}, {"a\u202eb", false}, {"   ", false},
		{"a\xffb", false}, {strings.Repeat("é", MaxSlugLength+1), false},
	}
	for _, tt := range tests {
		if got := ValidSlug(tt.slug) == ""; got != tt.ok {
			t.Errorf("ValidSlug(%q) ok = %v, want %v", tt.slug, got, tt.ok)
		}
	}
}

func TestSlugPath(t *testing.T) {
	for slug, want := range map[string]string{
		"about": "/about", "über uns": "/%C3%BCber%20uns", "docs/a b": "/docs/a%20b", "a?b#c": "/a%3Fb%23c", "100%": "/100%25",
	} {
		if got := SlugPath(slug); got != want {
			t.Errorf("SlugPath(%q) = %q, want %q", slug, got, want)
		}
	}
}

func TestDecodeSettings(t *testing.T) {
	s, err := DecodeSettings([]byte(`{"siteName": "Acme", "appUrl": "https://acme.example/", "theme": "dark"}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.AppURL != "https://acme.example" || s.Extra["theme"] == nil {
		t.Errorf("got %+v", s)
	}
	for _, body := range []string{`{"appUrl": "javascript:alert(1)"}`, `{"siteName": 3}`, `[]`} {
		if _, err := DecodeSettings([]byte(body)); ErrorCode(err) != EINVALID {
			t.Errorf("%s: got %v, want invalid", body, err)
		}
	}
}

func BenchmarkDecodeImportLanding(b *testing.B) {
	data, err := os.ReadFile("../scripts/demo/pages/landing.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeImport(data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSettingsKeepUnknownMembersThroughARoundTrip(t *testing.T) {
	var s Settings
	if err := json.Unmarshal([]byte(`{"siteName":"Acme","theme":{"dark":true}}`), &s); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"siteName":"Acme","theme":{"dark":true}}` {
		t.Errorf("round trip = %s", out)
	}
}
