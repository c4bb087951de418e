// Package render turns a published page into a complete HTML document on
// the server.
//
// This first cut renders the layout, text and media components, the page's
// SEO head and its styles. String props are written as escaped literal
// text: Liquid templates ({{ ... }}) are not evaluated yet. Components it
// does not know become a neutral placeholder that still holds their
// children. Rendering never fails on page content: unsafe URLs, styles or
// markup are dropped or neutralised, and trees deeper than maxDepth are
// cut.
package render

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"

	"github.com/frontbase/edge/core"
)

// maxDepth is how many levels of the component tree are rendered; deeper
// children are left out.
const maxDepth = 64

// maxRememberedTypes bounds the memory of unknown types already logged, so
// that hostile pages cannot grow it without limit.
const maxRememberedTypes = 1024

// Renderer renders pages. It is safe for concurrent use.
type Renderer struct {
	logger *slog.Logger

	mu      sync.Mutex
	unknown map[string]struct{} // unknown component types already logged
}

// New returns a Renderer that logs to logger (slog.Default() when nil).
func New(logger *slog.Logger) *Renderer {
	if logger == nil {
		logger = slog.Default()
	}
	return &Renderer{logger: logger, unknown: map[string]struct{}{}}
}

// Input is what one render needs.
type Input struct {
	Page     *core.Page
	Settings *core.Settings // may be nil
	Path     string         // canonical request path, "/" for the homepage
	BaseURL  string         // "https://host" without trailing slash, may be empty
}

// ErrNoPage is returned when Input.Page is nil.
var ErrNoPage = errors.New("render: no page")

// Render returns the HTML document of in.Page.
func (r *Renderer) Render(in Input) ([]byte, error) {
	if in.Page == nil {
		return nil, ErrNoPage
	}
	s := statePool.Get().(*state)
	s.r = r
	defer s.release()

	for i := range in.Page.LayoutData.Content {
		s.component(&in.Page.LayoutData.Content[i], 0)
	}

	out := &s.out
	out.Grow(len(in.Page.CSSBundle) + s.css.Len() + s.body.Len() + 1024)
	r.writeHead(s, in)
	out.WriteString(`<body><div class="fb-page fb-root">`)
	out.Write(s.body.Bytes())
	out.WriteString("</div></body></html>")

	html := make([]byte, out.Len())
	copy(html, out.Bytes())
	return html, nil
}

func (r *Renderer) writeHead(s *state, in Input) {
	p := in.Page
	seo := p.SEOData
	if seo == nil {
		seo = &core.SEOData{}
	}
	siteName := ""
	if in.Settings != nil {
		siteName = strings.TrimSpace(in.Settings.SiteName)
	}

	title, fromSEO := strings.TrimSpace(seo.Title), true
	if title == "" {
		fromSEO = false
		title = strings.TrimSpace(p.Title)
		if title == "" {
			title = strings.TrimSpace(p.Name)
		}
	}
	desc := strings.TrimSpace(seo.Description)
	if desc == "" {
		desc = strings.TrimSpace(p.Description)
	}

	out := &s.out
	out.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8">` +
		`<meta name="viewport" content="width=device-width,initial-scale=1"><title>`)
	escape(out, title)
	if !fromSEO && siteName != "" && siteName != title {
		if title != "" {
			out.WriteString(" | ")
		}
		escape(out, siteName)
	}
	out.WriteString("</title>")
	if desc != "" {
		out.WriteString(`<meta name="description" content="`)
		escape(out, desc)
		out.WriteString(`">`)
	}
	if len(seo.Keywords) > 0 {
		mark := out.Len()
		out.WriteString(`<meta name="keywords" content="`)
		n := 0
		for _, k := range seo.Keywords {
			if k = strings.TrimSpace(k); k == "" {
				continue
			}
			if n > 0 {
				out.WriteString(", ")
			}
			escape(out, k)
			n++
		}
		if n == 0 {
			out.Truncate(mark)
		} else {
			out.WriteString(`">`)
		}
	}
	if !p.Public() {
		out.WriteString(`<meta name="robots" content="noindex">`)
	}

	canonical, ok := safeHTTP(seo.Canonical)
	if !ok && in.BaseURL != "" {
		path := in.Path
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		canonical, ok = safeHTTP(strings.TrimRight(in.BaseURL, "/") + path)
	}

	out.WriteString(`<meta property="og:type" content="website">`)
	if title != "" {
		out.WriteString(`<meta property="og:title" content="`)
		escape(out, title)
		out.WriteString(`">`)
	}
	if desc != "" {
		out.WriteString(`<meta property="og:description" content="`)
		escape(out, desc)
		out.WriteString(`">`)
	}
	if img, ok := safeHTTP(seo.OGImage); ok {
		out.WriteString(`<meta property="og:image" content="`)
		escape(out, img)
		out.WriteString(`">`)
	}
	if ok {
		out.WriteString(`<meta property="og:url" content="`)
		escape(out, canonical)
		out.WriteString(`"><link rel="canonical" href="`)
		escape(out, canonical)
		out.WriteString(`">`)
	}
	if in.Settings != nil {
		if icon, ok := safeSrc(in.Settings.FaviconURL); ok {
			out.WriteString(`<link rel="icon" href="`)
			escape(out, icon)
			out.WriteString(`">`)
		}
	}

	if p.CSSBundle != "" {
		out.WriteString("<style>")
		writeInertCSS(out, p.CSSBundle)
		out.WriteString("</style>")
	}
	if s.fixed != 0 || s.css.Len() > 0 || s.mobile.Len() > 0 || s.tablet.Len() > 0 || s.desktop.Len() > 0 {
		out.WriteString("<style>")
		for _, f := range fixedRules {
			if s.fixed&f.bit != 0 {
				out.WriteString(f.rule)
			}
		}
		out.Write(s.css.Bytes())
		writeMedia(out, mediaMobile, &s.mobile)
		writeMedia(out, mediaTablet, &s.tablet)
		writeMedia(out, mediaDesktop, &s.desktop)
		out.WriteString("</style>")
	}
	out.WriteString("</head>")
}

func writeMedia(out *bytes.Buffer, open string, rules *bytes.Buffer) {
	if rules.Len() == 0 {
		return
	}
	out.WriteString(open)
	out.Write(rules.Bytes())
	out.WriteByte('}')
}

// writeInertCSS writes a style sheet for a <style> element so that it
// cannot end the element or be read as a tag: "</" becomes "<\/" and "<s"
// becomes "<\s", which CSS reads the same (a backslash before a
// non-hex character stands for that character).
func writeInertCSS(out *bytes.Buffer, css string) {
	last := 0
	for i := 0; i < len(css)-1; i++ {
		if css[i] != '<' {
			continue
		}
		switch css[i+1] {
		case '/', 's', 'S':
			out.WriteString(css[last : i+1])
			out.WriteByte('\\')
			last = i + 1
		}
	}
	out.WriteString(css[last:])
}

// escape writes s HTML-escaped, as html.EscapeString does.
func escape(b *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '&':
			rep = "&amp;"
		case '"':
			rep = "&#34;"
		case '\'':
			rep = "&#39;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(rep)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// warnUnknown logs an unknown component type once per Renderer.
func (r *Renderer) warnUnknown(typ string) {
	if len(typ) > 64 {
		typ = typ[:64]
	}
	r.mu.Lock()
	if r.unknown == nil { // a zero Renderer
		r.unknown = map[string]struct{}{}
	}
	_, seen := r.unknown[typ]
	full := len(r.unknown) >= maxRememberedTypes
	if !seen && !full {
		r.unknown[strings.Clone(typ)] = struct{}{}
	}
	r.mu.Unlock()
	if !seen && !full {
		logger := r.logger
		if logger == nil {
			logger = slog.Default()
		}
		logger.Warn("render: unknown component type, rendered as a placeholder", "type", typ)
	}
}
