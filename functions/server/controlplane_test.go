package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// Contract tests: page imports and settings pushes sent as the control
// plane's code builds them (fastapi-backend/app/routers/pages/publish.py,
// routers/auth.py push_security_to_edges, routers/auth_forms.py
// _sync_embeddable_forms_to_edge), to a real engine in every mode, and
// what the caller (the control plane, a visitor) reads back.

// controlPlanePage is ImportPagePayload(page=…, force=True).model_dump(
// by_alias=True, exclude_none=True) with the contentHash and tenantId the
// publish route adds.
func controlPlanePage(id, slug, text string, version int, force bool) string {
	return fmt.Sprintf(`{"page": {"id": %s, "slug": %s, "tenantSlug": "_default", "name": "Über uns", "title": "Über uns",
		"layoutData": {"content": [{"id": "h1", "type": "Heading", "props": {"text": %s, "level": "h1"}}], "root": {}},
		"seoData": {"title": "Über uns", "description": "Wer wir sind"},
		"version": %d, "publishedAt": "2026-12-03T10:00:00Z", "contentHash": "3f1c", "isPublic": true, "isHomepage": false,
		"tenantId": "5b8e"}, "force": %v}`, pyString(id), pyString(slug), pyString(text), version, force)
}

// pyString is s as a JSON string, as Python's json.dumps writes it.
func pyString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

type answer struct {
	Success    bool              `json:"success"`
	Error      string            `json:"error"`
	Message    string            `json:"message"`
	PreviewURL string            `json:"previewUrl"`
	Found      *bool             `json:"found"`
	Settings   map[string]any    `json:"settings"`
	Details    []json.RawMessage `json:"details"`
}

func manage(t *testing.T, e *enginetest.Engine, method, path, body string) (int, answer, string) {
	t.Helper()
	resp, raw := e.Manage(t, method, path, body)
	var a answer
	json.Unmarshal([]byte(raw), &a)
	return resp.StatusCode, a, raw
}

func TestControlPlanePublishContract(t *testing.T) {
	eachMode(t, func(t *testing.T, mode string) {
		e := enginetest.Start(t, enginetest.Options{Mode: mode})

		// Slugs the builder's free-text field produces.
		for _, slug := range []string{"über uns", "my page", "会社概要"} {
			status, a, raw := manage(t, e, "POST", "/api/import", controlPlanePage("id-"+slug, slug, "Hallo\x00 Welt\u0085!", 1, true))
			if status != 200 || !a.Success {
				t.Fatalf("import %q: %d %s", slug, status, raw)
			}
			path := (&urlPath{slug}).String()
			if !strings.HasSuffix(a.PreviewURL, path) {
				t.Errorf("previewUrl %q, want it to end with %s", a.PreviewURL, path)
			}
			resp, html := e.Do(t, "GET", path, nil)
			if resp.StatusCode != 200 || !strings.Contains(html, "Hallo Welt!") {
				t.Errorf("GET %s: %d, control characters left in the text: %q", path, resp.StatusCode, between(html, "<h1", "</h1>"))
			}
			if strings.ContainsAny(html, "\x00\u0085") {
				t.Errorf("GET %s: the page holds control characters", path)
			}
		}
		_, sitemap := e.Do(t, "GET", "/sitemap.xml", nil)
		for _, want := range []string{"/%C3%BCber%20uns</loc>", "/my%20page</loc>"} {
			if !strings.Contains(sitemap, want) {
				t.Errorf("sitemap lacks %s:\n%s", want, sitemap)
			}
		}
		for _, bad := range []string{"a\x01b", "a/../b", "./x", strings.Repeat("ü", 101)} {
			if status, _, raw := manage(t, e, "POST", "/api/import", controlPlanePage("bad", bad, "x", 1, true)); status != 400 || !strings.Contains(raw, `"path":"slug"`) {
				t.Errorf("slug %q: %d %s, want 400 naming slug", bad, status, raw)
			}
		}

		// Versions: the control plane sends force=True; without it an
		// older or equal version of a different page conflicts.
		if status, _, raw := manage(t, e, "POST", "/api/import", controlPlanePage("v", "versioned", "five", 5, true)); status != 200 {
			t.Fatalf("v5: %d %s", status, raw)
		}
		status, a, raw := manage(t, e, "POST", "/api/import", controlPlanePage("v", "versioned", "three", 3, false))
		if status != http.StatusConflict || a.Success || !strings.Contains(raw, `"path":"version"`) || !strings.Contains(a.Error, "force") {
			t.Errorf("older version without force: %d %s", status, raw)
		}
		if status, a, raw := manage(t, e, "POST", "/api/import", controlPlanePage("v", "versioned", "five", 5, false)); status != 200 || !a.Success {
			t.Errorf("the same page again without force: %d %s", status, raw)
		}
		if status, _, raw := manage(t, e, "POST", "/api/import", controlPlanePage("v", "versioned", "three", 3, true)); status != 200 {
			t.Errorf("older version with force: %d %s", status, raw)
		}

		// Unpublish from every target, published here or not.
		status, a, raw = manage(t, e, "DELETE", "/api/import/never-published", "")
		if status != 200 || !a.Success || a.Found == nil || *a.Found {
			t.Errorf("unpublish of a missing page: %d %s", status, raw)
		}
		if status, a, raw := manage(t, e, "DELETE", "/api/import/my%20page", ""); status != 200 || a.Found == nil || !*a.Found {
			t.Errorf("unpublish of my page: %d %s", status, raw)
		}
		if resp, _ := e.Do(t, "GET", "/my%20page", nil); resp.StatusCode != 404 {
			t.Errorf("unpublished page: %d", resp.StatusCode)
		}

		// Settings pushes, each as its call site builds it.
		pushes := []string{
			// publish.py _sync_settings_to_engine
			`{"faviconUrl": null, "logoUrl": null, "siteName": "Acme GmbH", "siteDescription": null, "appUrl": null,
			  "usersConfig": {"contactsTable": "contacts", "authUserIdColumn": "auth_user_id"}}`,
			// auth.py push_security_to_edges: _build_security_config
			`{"securityConfig": {"ipBlocklist": {"_default": ["203.0.113.7", "198.51.100.0/24"], "other-tenant": ["192.0.2.1"]},
			  "botProtection": {"enabled": true, "provider": "cloudflare", "siteKey": "k", "secretKey": "s", "protectLogin": true, "protectForgotPassword": true}}}`,
			// auth_forms.py: json.dumps(forms_map)
			`{"authForms": "{\"f1\": {\"type\": \"sign_in\", \"title\": \"Login\"}}"}`,
		}
		for _, body := range pushes {
			if status, a, raw := manage(t, e, "POST", "/api/import/settings", body); status != 200 || !a.Success {
				t.Fatalf("push %s: %d %s", body, status, raw)
			}
		}
		_, a, raw = manage(t, e, "GET", "/api/import/settings", "")
		for _, k := range []string{"siteName", "usersConfig", "securityConfig", "authForms"} {
			if a.Settings[k] == nil {
				t.Errorf("after the three pushes, settings lack %s: %s", k, raw)
			}
		}
		if !strings.Contains(raw, `"secretKey":"[redacted]"`) {
			t.Errorf("the bot protection secret is shown back: %s", raw)
		}

		// The blocklist, with the client address rate limits use: the
		// test client connects from loopback, which is not trusted here,
		// so X-Forwarded-For is not believed.
		if resp, _ := e.Do(t, "GET", "/%C3%BCber%20uns", nil, "X-Forwarded-For", "203.0.113.7"); resp.StatusCode != 200 {
			t.Errorf("an untrusted X-Forwarded-For was believed: %d", resp.StatusCode)
		}
		if status, _, raw := manage(t, e, "POST", "/api/import/settings", `{"securityConfig": {"ipBlocklist": {"_default": ["127.0.0.1", "::1"]}}}`); status != 200 {
			t.Fatalf("blocking loopback: %d %s", status, raw)
		}
		if resp, body := e.Do(t, "GET", "/%C3%BCber%20uns", nil); resp.StatusCode != 403 || !strings.Contains(body, "blocked") {
			t.Errorf("a blocked address: %d %s", resp.StatusCode, body)
		}
		// The management API stays open to the control plane.
		if status, _, raw := manage(t, e, "POST", "/api/import/settings", `{"securityConfig": {"ipBlocklist": {}}}`); status != 200 {
			t.Fatalf("unblocking: %d %s", status, raw)
		}
		if resp, _ := e.Do(t, "GET", "/%C3%BCber%20uns", nil); resp.StatusCode != 200 {
			t.Errorf("after unblocking: %d", resp.StatusCode)
		}

		// Security headers.
		resp, _ := e.Do(t, "GET", "/%C3%BCber%20uns", nil)
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") || strings.Contains(csp, "script-src") {
			t.Errorf("CSP %q", csp)
		}
		if resp.Header.Get("X-Frame-Options") != "SAMEORIGIN" || resp.Header.Get("Referrer-Policy") != "strict-origin-when-cross-origin" {
			t.Errorf("headers %v", resp.Header)
		}
		manage(t, e, "POST", "/api/import/settings", `{"securityHeaders": {"frameAncestors": ["'self'", "https://builder.example.com"], "referrerPolicy": "same-origin"}}`)
		resp, _ = e.Do(t, "GET", "/%C3%BCber%20uns", nil)
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self' https://builder.example.com") ||
			resp.Header.Get("X-Frame-Options") != "" || resp.Header.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("with securityHeaders: %v", resp.Header)
		}

		// Tracking: the control plane's PrivacySettings shape.
		manage(t, e, "POST", "/api/import/settings", `{"privacy": {"enableVisitorTracking": false, "cookieExpiryDays": 365, "requireCookieConsent": true,
			"ga4MeasurementId": "G-ABC1234XYZ", "gtmContainerId": null, "customHeadHtml": "<meta name=\"verify\" content=\"v1\"></head><body><script>var x=1"}}`)
		_, html := e.Do(t, "GET", "/%C3%BCber%20uns", nil)
		head := between(html, "<head>", "</head>")
		for _, want := range []string{`<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABC1234XYZ"></script>`, `gtag('config','G-ABC1234XYZ')`,
			`<meta name="verify" content="v1">`, `<script>var x=1</script>`} {
			if !strings.Contains(head, want) {
				t.Errorf("head lacks %s:\n%s", want, head)
			}
		}
		if strings.Count(html, "</head>") != 1 || strings.Count(html, "<body") != 1 {
			t.Errorf("customHeadHtml broke the document: %s", html)
		}
		manage(t, e, "POST", "/api/import/settings", `{"gtmContainerId": "GTM-AB12CD"}`)
		_, html = e.Do(t, "GET", "/%C3%BCber%20uns", nil)
		if !strings.Contains(between(html, "<head>", "</head>"), `'dataLayer','GTM-AB12CD'`) || strings.Contains(html, "gtag/js") ||
			!strings.Contains(html, `<body><noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-AB12CD"`) {
			t.Errorf("GTM (which loads GA4 itself) not rendered as the TS engine does:\n%s", html)
		}
	})
}

// TestBadManagementBodies sends what issue 15 found accepted.
func TestBadManagementBodies(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	if status, _, raw := manage(t, e, "POST", "/api/import/settings", `{"siteName": "Kept", "theme": {"dark": true}}`); status != 200 {
		t.Fatalf("good push: %d %s", status, raw)
	}
	deep := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	for name, tt := range map[string]struct{ body, path string }{
		"depth 10000":     {`{"x": ` + deep + `}`, `"path":"$"`},
		"1e400":           {`{"custom": {"n": 1e400}}`, `"path":"custom.n"`},
		"settings: 7":     {`{"settings": 7}`, `"path":"settings"`},
		"siteName: 7":     {`{"siteName": 7}`, `"path":"siteName"`},
		"bad blocklist":   {`{"securityConfig": {"ipBlocklist": {"_default": ["not an ip"]}}}`, `"path":"securityConfig.ipBlocklist._default[0]"`},
		"bad GA4 id":      {`{"ga4MeasurementId": "G-1');alert(1);//"}`, `"path":"ga4MeasurementId"`},
		"bad frame":       {`{"securityHeaders": {"frameAncestors": ["https://x.example; script-src *"]}}`, `"path":"securityHeaders.frameAncestors[0]"`},
		"not an object":   {`[1, 2]`, `"path":"$"`},
		"null":            {`null`, `"path":"$"`},
		"nothing to push": {`{}`, `no members`},
	} {
		status, a, raw := manage(t, e, "POST", "/api/import/settings", tt.body)
		if status != 400 || a.Success || !strings.Contains(raw, tt.path) {
			t.Errorf("%s: %d %.300s, want 400 naming %s", name, status, raw, tt.path)
		}
	}
	if _, a, raw := manage(t, e, "GET", "/api/import/settings", ""); a.Settings["siteName"] != "Kept" || a.Settings["theme"] == nil {
		t.Errorf("a refused push changed the settings: %s", raw)
	}

	if status, _, raw := manage(t, e, "PUT", "/api/ratelimits", `{"rules": [{"id": "r1", "pathPattern": "/*", "limit": 1000, "windowSeconds": 60, "key": "ip"}]}`); status != 200 {
		t.Fatalf("rules: %d %s", status, raw)
	}
	if status, _, raw := manage(t, e, "PUT", "/api/ratelimits", `null`); status != 400 || !strings.Contains(raw, `"path":"$"`) {
		t.Errorf("PUT null: %d %s, want 400", status, raw)
	}
	if _, _, raw := manage(t, e, "GET", "/api/ratelimits", ""); !strings.Contains(raw, `"r1"`) {
		t.Errorf("PUT null deleted the rules: %s", raw)
	}
}

type urlPath struct{ slug string }

func (u *urlPath) String() string {
	var b strings.Builder
	for _, seg := range strings.Split(u.slug, "/") {
		b.WriteString("/")
		for _, c := range []byte(seg) {
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
	}
	return b.String()
}

func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	out, _, _ := strings.Cut(rest, to)
	return out
}

// TestIPBlocklistBehindTrustedProxies: behind a trusted proxy the
// blocklist reads the client from X-Forwarded-For as rate limits do
// (ratelimit.ClientIP), single addresses and CIDR ranges alike, on pages
// and public workflow routes, never on the management API.
func TestIPBlocklistBehindTrustedProxies(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Env: map[string]string{"FRONTBASE_TRUSTED_PROXIES": "127.0.0.1/32, ::1/128"}})
	if status, _, raw := manage(t, e, "POST", "/api/import", controlPlanePage("p", "about", "About", 1, true)); status != 200 {
		t.Fatalf("import: %d %s", status, raw)
	}
	if status, _, raw := manage(t, e, "POST", "/api/import/settings",
		`{"securityConfig": {"ipBlocklist": {"_default": ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"], "other": ["192.0.2.1"]}}}`); status != 200 {
		t.Fatalf("push: %d %s", status, raw)
	}
	for xff, want := range map[string]int{
		"203.0.113.7":             403,
		"198.51.100.200":          403,
		"2001:db8::1":             403,
		"::ffff:203.0.113.7":      403, // IPv4-mapped: the same client
		"203.0.113.8":             200,
		"192.0.2.1":               200, // another tenant's list
		"203.0.113.7, 198.18.0.1": 200, // the right-most untrusted hop is the client
		"198.18.0.1, 203.0.113.7": 403,
		"":                        200, // the proxy itself
	} {
		headers := []string{}
		if xff != "" {
			headers = []string{"X-Forwarded-For", xff}
		}
		if resp, _ := e.Do(t, "GET", "/about", nil, headers...); resp.StatusCode != want {
			t.Errorf("X-Forwarded-For %q: %d, want %d", xff, resp.StatusCode, want)
		}
	}
	resp, body := e.Do(t, "POST", "/api/public/execute/wf-1", strings.NewReader(`{}`), "X-Forwarded-For", "203.0.113.7", "Content-Type", "application/json")
	if resp.StatusCode != 403 || !strings.Contains(body, `"success":false`) {
		t.Errorf("public workflow route from a blocked client: %d %s", resp.StatusCode, body)
	}
	resp, _ = e.Do(t, "GET", "/api/import/settings", nil, "X-Forwarded-For", "203.0.113.7", "X-System-Key", e.Key)
	if resp.StatusCode != 200 {
		t.Errorf("management API from a blocked address: %d", resp.StatusCode)
	}
}
