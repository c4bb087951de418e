package render

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/frontbase/edge/core"
	"github.com/gomarkdown/markdown"
	mdast "github.com/gomarkdown/markdown/ast"
	mdhtml "github.com/gomarkdown/markdown/html"
	mdparser "github.com/gomarkdown/markdown/parser"
)

// textComponents are the components that show text.
var textComponents = map[string]renderFunc{
	"Text":            leaf((*state).paragraph),
	"Paragraph":       leaf((*state).paragraph),
	"Heading":         leaf((*state).heading),
	"Badge":           leaf((*state).badge),
	"Label":           leaf((*state).label),
	"MarkdownContent": leaf((*state).markdownContent),
}

func (s *state) paragraph(c *core.Component) {
	b := &s.body
	s.open(c, "p", "", "", s.rule(c, typography(s, c.Props)))
	b.WriteByte('>')
	escape(b, s.text(c.Props, "text"))
	b.WriteString("</p>")
}

var headingTags = [...]string{"h2", "h1", "h2", "h3", "h4", "h5", "h6"}

func (s *state) heading(c *core.Component) {
	b := &s.body
	level := headingLevel(c.Props["level"])
	tag := headingTags[level]
	s.open(c, tag, "", "", s.rule(c, typography(s, c.Props)))
	b.WriteByte('>')
	escape(b, s.text(c.Props, "text"))
	closeTag(b, tag)
}

func headingLevel(v any) int {
	level := 2
	switch x := v.(type) {
	case string:
		x = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(x), "h"), "H")
		if n, err := strconv.Atoi(x); err == nil {
			level = n
		}
	default:
		if f, ok := toFloat(x); ok {
			if f < 1 {
				level = 1
			} else if f > 6 {
				level = 6
			} else {
				level = int(f)
			}
		}
	}
	return min(max(level, 1), 6)
}

func (s *state) badge(c *core.Component) {
	b := &s.body
	s.fixed |= fixedBadge
	variant := classToken(propString(c.Props, "variant"), "default")
	s.open(c, "span", "fb-badge fb-badge-", variant, s.rule(c, nil))
	b.WriteByte('>')
	escape(b, s.text(c.Props, "text"))
	b.WriteString("</span>")
}

func (s *state) label(c *core.Component) {
	b := &s.body
	s.open(c, "label", "fb-label", "", s.rule(c, nil))
	if f := anchorToken(propString(c.Props, "htmlFor")); f != "" {
		writeAttr(b, "for", f)
	}
	b.WriteByte('>')
	escape(b, s.text(c.Props, "text"))
	b.WriteString("</label>")
}

// markdownHTML renders MarkdownContent: CommonMark 0.31.2 with GitHub's
// tables, strikethrough and bare-URL links (gomarkdown's CommonMark mode,
// chosen over goldmark because goldmark's packages cost about 5 ms of every
// cold start at package init, see docs/performance.md). Raw HTML is left
// out, and link and image targets pass the checks every other component's
// URLs pass (safeHref, safeSrc); a refused target is left empty. ok is
// false when the library fails on the source (it has panicked on hostile
// input in the past); the caller then shows the source as text.
func markdownHTML(src []byte) (html []byte, ok bool) {
	defer func() {
		if recover() != nil {
			html, ok = nil, false
		}
	}()
	doc := markdown.Parse(src, mdparser.NewCommonMarkWithExtensions(mdparser.Tables|mdparser.Strikethrough|mdparser.Autolink))
	mdast.WalkFunc(doc, func(n mdast.Node, entering bool) mdast.WalkStatus {
		switch n := n.(type) {
		case *mdast.Link:
			n.Destination = checkedURL(n.Destination, safeHref)
		case *mdast.Image:
			n.Destination = checkedURL(n.Destination, safeSrc)
		}
		return mdast.GoToNext
	})
	return markdown.Render(doc, mdhtml.NewRenderer(mdhtml.RendererOptions{Flags: mdhtml.SkipHTML})), true
}

// checkedURL is dest when check accepts it, else empty.
func checkedURL(dest []byte, check func(string) (string, bool)) []byte {
	if u, ok := check(string(dest)); ok {
		return []byte(u)
	}
	return nil
}

// maxMarkdown bounds the Markdown source of one component.
const maxMarkdown = 256 << 10

func (s *state) markdownContent(c *core.Component) {
	b := &s.body
	src := s.text(c.Props, "content")
	if src == "" {
		src = s.text(c.Props, "markdown")
	}
	s.fixed |= fixedMarkdown
	s.open(c, "div", "fb-markdown", "", s.rule(c, nil))
	b.WriteByte('>')
	if len(src) <= maxMarkdown {
		if html, ok := markdownHTML([]byte(src)); ok {
			b.Write(html)
		} else {
			escape(b, src)
		}
	}
	b.WriteString("</div>")
}

// textSizes maps the builder's size tokens to font sizes.
var textSizes = map[string]string{
	"xs": "0.75rem", "sm": "0.875rem", "base": "1rem", "md": "1rem", "lg": "1.125rem", "xl": "1.25rem",
	"2xl": "1.5rem", "3xl": "1.875rem", "4xl": "2.25rem", "5xl": "3rem", "6xl": "3.75rem",
}

// typography turns the align, color and size props of text components into
// declarations; style values written after them win.
func typography(s *state, props map[string]any) func(*bytes.Buffer) {
	_, a := props["align"]
	_, c := props["color"]
	_, z := props["size"]
	if !a && !c && !z {
		return nil
	}
	return func(d *bytes.Buffer) {
		switch v := propString(props, "align"); v {
		case "left", "center", "right", "justify":
			d.WriteString("text-align:" + v + ";")
		}
		if v, ok := props["color"].(string); ok {
			s.writeDecl(d, "color", v)
		}
		if v, ok := textSizes[propString(props, "size")]; ok {
			d.WriteString("font-size:" + v + ";")
		}
	}
}
