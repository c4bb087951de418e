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
	"net/url"
	"strings"
	"sync"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/render/runtime"
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
	Request  *Request       // the request scopes of Liquid; nil: none (url, cookies, visitor empty)
	Preview  bool           // a preview render: never indexed
}

// Result is a rendered page and what its bytes depend on.
type Result struct {
	HTML []byte
	Deps Deps
}

// ErrNoPage is returned when Input.Page is nil.
var ErrNoPage = errors.New("render: no page")

// Render returns the HTML document of in.Page.
func (r *Renderer) Render(in Input) ([]byte, error) {
	res, err := r.RenderPage(in)
	return res.HTML, err
}

// RenderPage renders in.Page and reports what the output depends on.
func (r *Renderer) RenderPage(in Input) (Result, error) {
	if in.Page == nil {
		return Result{}, ErrNoPage
	}
	s := statePool.Get().(*state)
	s.r = r
	s.in = &in
	defer s.release()
	s.fixed = fixedBase

	for i := range in.Page.LayoutData.Content {
		s.component(&in.Page.LayoutData.Content[i], 0)
	}

	out := &s.out
	out.Grow(len(in.Page.CSSBundle) + s.css.Len() + s.body.Len() + 1024)
	r.writeHead(s, in)
	out.WriteString(`<body>`)
	writeTrackingBody(out, &in) // head.go
	out.WriteString(`<div class="fb-page fb-root">`)
	out.Write(s.body.Bytes())
	out.WriteString("</div>")
	if s.toast {
		out.WriteString(`<div class="fb-toasts" role="status" aria-live="polite"></div>`)
	}
	out.WriteString("</body></html>")

	html := make([]byte, out.Len())
	copy(html, out.Bytes())
	return Result{HTML: html, Deps: s.deps}, nil
}

func (r *Renderer) log() *slog.Logger {
	if r.logger == nil {
		return slog.Default()
	}
	return r.logger
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
	title, fromSEO, desc := s.titleAndDescription(p, seo)

	out := &s.out
	out.WriteString(`<!doctype html><html lang="`)
	out.WriteString(language(in.Settings))
	out.WriteString(`"><head><meta charset="utf-8">` +
		`<meta name="viewport" content="width=device-width,initial-scale=1"><title>`)
	escape(out, title)
	if !fromSEO && siteName != "" && siteName != title {
		if title != "" {
			out.WriteString(" | ")
		}
		escape(out, siteName)
	}
	out.WriteString("</title>")
	metaTag(out, "name", "description", desc)
	writeKeywords(out, seo.Keywords)
	if !p.Public() || in.Preview {
		out.WriteString(`<meta name="robots" content="noindex">`)
	}
	writeSocial(out, &in, seo, title, desc, siteName)
	if in.Settings != nil {
		if icon, ok := safeSrc(in.Settings.FaviconURL); ok {
			out.WriteString(`<link rel="icon" href="`)
			escape(out, icon)
			out.WriteString(`">`)
		}
	}
	s.writeStyles(&in)
	if s.runtime {
		out.WriteString(`<script src="` + runtime.JS.Path + `" defer></script>`)
	}
	writeTrackingHead(out, &in) // head.go
	out.WriteString("</head>")
}

// titleAndDescription are the page's title (the SEO title, else the
// page's title, else its name; fromSEO tells whether it was the first)
// and description (the SEO one, else the page's), Liquid evaluated.
func (s *state) titleAndDescription(p *core.Page, seo *core.SEOData) (title string, fromSEO bool, desc string) {
	title, fromSEO = strings.TrimSpace(s.liquidText(seo.Title)), true
	if title == "" {
		fromSEO = false
		title = strings.TrimSpace(s.liquidText(p.Title))
		if title == "" {
			title = strings.TrimSpace(p.Name)
		}
	}
	desc = strings.TrimSpace(s.liquidText(seo.Description))
	if desc == "" {
		desc = strings.TrimSpace(s.liquidText(p.Description))
	}
	return title, fromSEO, desc
}

// writeKeywords writes the keywords meta tag, unless no keyword is left
// once blanks are dropped.
func writeKeywords(out *bytes.Buffer, keywords []string) {
	if len(keywords) == 0 {
		return
	}
	mark := out.Len()
	out.WriteString(`<meta name="keywords" content="`)
	n := 0
	for _, k := range keywords {
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

// writeSocial writes the Open Graph and Twitter card tags and the
// canonical link: the SEO canonical, else the base URL and path.
func writeSocial(out *bytes.Buffer, in *Input, seo *core.SEOData, title, desc, siteName string) {
	canonical, ok := safeHTTP(seo.Canonical)
	if !ok && in.BaseURL != "" {
		path := in.Path
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		canonical, ok = safeHTTP(strings.TrimRight(in.BaseURL, "/") + (&url.URL{Path: path}).EscapedPath())
	}

	out.WriteString(`<meta property="og:type" content="website">`)
	metaTag(out, "property", "og:title", title)
	metaTag(out, "property", "og:description", desc)
	metaTag(out, "property", "og:site_name", siteName)
	img, hasImg := safeHTTP(seo.OGImage)
	if hasImg {
		metaTag(out, "property", "og:image", img)
	}
	if ok {
		out.WriteString(`<meta property="og:url" content="`)
		escape(out, canonical)
		out.WriteString(`"><link rel="canonical" href="`)
		escape(out, canonical)
		out.WriteString(`">`)
	}
	if hasImg {
		out.WriteString(`<meta name="twitter:card" content="summary_large_image"><meta name="twitter:image" content="`)
		escape(out, img)
		out.WriteString(`">`)
	} else {
		out.WriteString(`<meta name="twitter:card" content="summary">`)
	}
	metaTag(out, "name", "twitter:title", title)
	metaTag(out, "name", "twitter:description", desc)
}

// writeStyles writes the page's cssBundle (linked or inlined), then the
// one style block of the base and component rules in use and the
// generated classes and media rules.
func (s *state) writeStyles(in *Input) {
	out := &s.out
	p := in.Page
	if p.CSSBundle != "" {
		// A preview's bundle is not served under its URL (only published
		// pages' bundles are), so a preview always inlines it.
		if href := BundleURL(p); href != "" && !in.Preview {
			out.WriteString(`<link rel="stylesheet" href="`)
			escape(out, href)
			out.WriteString(`">`)
		} else {
			out.WriteString("<style>")
			writeInertCSS(out, p.CSSBundle)
			out.WriteString("</style>")
		}
	}
	if s.toast {
		s.fixed |= fixedToast
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
	if s.fixed&fixedClientIf != 0 {
		// Without the runtime, client-decided elements show.
		out.WriteString(`<noscript><style>[data-fb-if]:not([data-fb-show]){display:revert!important}</style></noscript>`)
	}
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

// escape writes s HTML-escaped, as html.EscapeString does, without NUL
// and the other control characters (C0 but tab and line breaks, DEL, C1),
// which have no business in a page and which browsers render as boxes or
// not at all.
func escape(b *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var rep string
		switch {
		case c >= 0x20 && c < 0x7f && c != '<' && c != '>' && c != '&' && c != '"' && c != '\'':
			continue
		case c == '<':
			rep = "&lt;"
		case c == '>':
			rep = "&gt;"
		case c == '&':
			rep = "&amp;"
		case c == '"':
			rep = "&#34;"
		case c == '\'':
			rep = "&#39;"
		case c == '\t' || c == '\n' || c == '\r':
			continue
		case c < 0x20 || c == 0x7f:
			// dropped: rep is ""
		case c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f:
			// a C1 control (U+0080-U+009F), two bytes: dropped
			b.WriteString(s[last:i])
			i++
			last = i + 1
			continue
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

// metaTag writes <meta ATTR="NAME" content="VALUE"> with the value
// escaped, and nothing when the value is empty.
func metaTag(out *bytes.Buffer, attr, name, value string) {
	if value == "" {
		return
	}
	out.WriteString(`<meta `)
	out.WriteString(attr)
	out.WriteString(`="`)
	out.WriteString(name)
	out.WriteString(`" content="`)
	escape(out, value)
	out.WriteString(`">`)
}
