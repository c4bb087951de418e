package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/frontbase/edge/core"
)

func settingsWith(t *testing.T, doc string) *core.Settings {
	t.Helper()
	var s core.Settings
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func renderWith(t *testing.T, settings *core.Settings, preview bool) string {
	t.Helper()
	page := &core.Page{ID: "p", Slug: "über uns", Title: "T", LayoutData: core.LayoutData{Content: []core.Component{{Type: "Text", Props: map[string]any{"text": "a\x00b\x1bc\u0085d\te"}}}}}
	html, err := New(nil).Render(Input{Page: page, Settings: settings, Path: "/über uns", BaseURL: "https://acme.example", Preview: preview})
	if err != nil {
		t.Fatal(err)
	}
	return string(html)
}

func TestTrackingTags(t *testing.T) {
	ga4 := settingsWith(t, `{"ga4MeasurementId": "G-ABC1234XYZ"}`)
	html := renderWith(t, ga4, false)
	head, body, _ := strings.Cut(html, "</head>")
	if !strings.Contains(head, `<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABC1234XYZ"></script>`) ||
		!strings.Contains(head, `gtag('config','G-ABC1234XYZ')`) || strings.Contains(body, "googletagmanager") {
		t.Errorf("GA4:\n%s", html)
	}
	if html := renderWith(t, ga4, true); strings.Contains(html, "googletagmanager") {
		t.Errorf("a preview carries the site's tracking:\n%s", html)
	}
	// GTM wins over GA4 (it loads GA4 itself); its noscript opens the body.
	both := settingsWith(t, `{"ga4MeasurementId": "G-ABC1234XYZ", "privacy": {"gtmContainerId": "GTM-AB12CD"}}`)
	html = renderWith(t, both, false)
	if !strings.Contains(html, `'dataLayer','GTM-AB12CD');</script></head><body><noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-AB12CD"`) ||
		strings.Contains(html, "gtag/js") {
		t.Errorf("GTM:\n%s", html)
	}
	// Ids that are not ids are never written (stored before validation, or
	// edited in the store).
	bad := settingsWith(t, `{"ga4MeasurementId": "G-1');alert(1)//", "gtmContainerId": "GTM-\"><script>"}`)
	if html := renderWith(t, bad, false); strings.Contains(html, "alert") || strings.Contains(html, "googletagmanager") {
		t.Errorf("malformed ids rendered:\n%s", html)
	}
	if html := renderWith(t, nil, false); strings.Contains(html, "googletagmanager") {
		t.Errorf("tracking without settings")
	}
}

func TestCustomHeadCannotBreakTheDocument(t *testing.T) {
	for in, want := range map[string]string{
		`<meta name="v" content="1">`:                `<meta name="v" content="1">`,
		`<script>a()</script></head><body>x`:         `<script>a()</script>x`,
		"<script>unclosed":                           "<script>unclosed</script>",
		"<!-- open":                                  "<!-- open-->",
		"<HTML lang=x><style>b{}</STYLE></Html>\x00": "<style>b{}</STYLE>",
	} {
		if got := customHead(in); got != want {
			t.Errorf("customHead(%q) = %q, want %q", in, got, want)
		}
	}
	s := settingsWith(t, `{"customHeadHtml": "<script>x()</head></body></html><body>"}`)
	html := renderWith(t, s, false)
	if strings.Count(html, "</head>") != 1 || strings.Count(html, "<body") != 1 || strings.Count(html, "</html>") != 1 {
		t.Errorf("document broken:\n%s", html)
	}
}

func TestRenderedTextHasNoControlCharacters(t *testing.T) {
	html := renderWith(t, nil, false)
	if !strings.Contains(html, "abcd\te") {
		t.Errorf("text %q", html)
	}
	for _, c := range []string{"\x00", "\x1b", "\u0085"} {
		if strings.Contains(html, c) {
			t.Errorf("rendered page holds %q", c)
		}
	}
	// Non-ASCII text around C1's lead byte is untouched.
	var b bytes.Buffer
	escape(&b, "Ünïcödé \u00a0 ok \u0080\u009f")
	if got := b.String(); got != "Ünïcödé \u00a0 ok " {
		t.Errorf("escape changed text: %q", got)
	}
	// The canonical URL of a page with a free-text slug is encoded.
	if !strings.Contains(html, `<link rel="canonical" href="https://acme.example/%C3%BCber%20uns">`) {
		t.Errorf("canonical not encoded:\n%s", html)
	}
}
