package render

import (
	"bytes"

	"github.com/frontbase/edge/core"
)

// layoutComponents are the plain elements that hold children, the boxes
// (titled surfaces) and the separators.
var layoutComponents = map[string]renderFunc{
	"Container": layout("div", "fb-container", fixedContainer),
	"Box":       layout("div", "", 0),
	"Row":       layout("div", "fb-row", fixedRow),
	"Column":    layout("div", "fb-column", fixedColumn),
	"Stack":     layout("div", "fb-stack", fixedStack),
	"Flex":      layout("div", "fb-flex", fixedFlex),
	"Grid":      layout("div", "fb-grid", fixedGrid),
	"Section":   layout("section", "", 0),

	"Paper": box("div", "fb-paper", true),
	"Panel": box("div", "fb-panel", false),
	"Group": box("div", "fb-group", false),
	"Card": func(s *state, c *core.Component, depth int) {
		if len(c.Binding) > 0 && string(c.Binding) != "null" {
			s.dataPlaceholder(c, "card")
			return
		}
		s.box(c, depth, "article", "fb-card", true)
	},

	"Divider": leaf((*state).divider),
	"Spacer":  leaf((*state).spacer),
}

// layout renders a plain element with its children, with a fixed class
// and the fixedRules bit of its base rule (none when 0).
func layout(tag, class string, bit int) renderFunc {
	return func(s *state, c *core.Component, depth int) {
		b := &s.body
		s.fixed |= bit
		s.open(c, tag, class, "", s.rule(c, nil))
		b.WriteByte('>')
		pop := s.pushBackground(c)
		s.children(c, depth)
		s.dark = pop
		closeTag(b, tag)
	}
}

// box renders a surface with an optional title and description above its
// children; a white one (Paper, Card) is light unless styled otherwise.
func box(tag, class string, white bool) renderFunc {
	return func(s *state, c *core.Component, depth int) { s.box(c, depth, tag, class, white) }
}

func (s *state) box(c *core.Component, depth int, tag, class string, white bool) {
	b := &s.body
	s.fixed |= fixedBoxes
	s.open(c, tag, class, "", s.rule(c, nil))
	b.WriteByte('>')
	if t := s.text(c.Props, "title"); t != "" {
		b.WriteString(`<h3 class="fb-card-title">`)
		escape(b, t)
		b.WriteString("</h3>")
	}
	if d := s.text(c.Props, "description"); d != "" {
		b.WriteString(`<p class="fb-muted">`)
		escape(b, d)
		b.WriteString("</p>")
	}
	// Paper and Card are white unless styled otherwise.
	prev := s.dark
	if white {
		s.dark = false
	}
	s.pushBackground(c)
	s.children(c, depth)
	s.dark = prev
	closeTag(b, tag)
}

func (s *state) divider(c *core.Component) {
	s.open(c, "hr", "", "", s.rule(c, nil))
	s.body.WriteByte('>')
}

// spacer renders an empty block of its height (or size), 24px by default.
func (s *state) spacer(c *core.Component) {
	cls := s.rule(c, func(d *bytes.Buffer) {
		v, ok := c.Props["height"]
		if !ok {
			v = c.Props["size"]
		}
		if v == nil || !s.writeDeclProp(d, cssProp{name: "height", length: true}, v) {
			d.WriteString("height:24px;")
		}
	})
	s.open(c, "div", "", "", cls)
	s.body.WriteString(` aria-hidden="true"></div>`)
}
