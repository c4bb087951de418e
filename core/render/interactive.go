package render

import (
	"strconv"
	"strings"

	"github.com/frontbase/edge/core"
)

// interactiveComponents are the components a visitor acts on; each works
// without JavaScript, and the runtime enhances those that set s.runtime.
var interactiveComponents = map[string]renderFunc{
	"Button":    leaf((*state).button),
	"Link":      leaf((*state).link),
	"Tabs":      leaf((*state).tabs),
	"Accordion": (*state).accordion,
	"FAQ":       (*state).accordion,
	"Modal":     (*state).modal,
	"Dropdown":  leaf((*state).dropdown),
	"Toggle":    leaf((*state).toggle),
	"Tooltip":   (*state).tooltip,
}

func (s *state) link(c *core.Component) {
	b := &s.body
	href, ok := safeHref(s.text(c.Props, "href"))
	text := s.text(c.Props, "text")
	if text == "" {
		text = href
	}
	if !ok {
		href = "#"
	}
	s.open(c, "a", "", "", s.rule(c, nil))
	writeAttr(b, "href", href)
	if strings.EqualFold(propString(c.Props, "target"), "_blank") {
		b.WriteString(` target="_blank" rel="noopener noreferrer"`)
	}
	b.WriteByte('>')
	escape(b, text)
	b.WriteString("</a>")
}

// button renders a Button, as a link when it opens a page.
func (s *state) button(c *core.Component) {
	b := &s.body
	variant := classToken(propString(c.Props, "variant"), "default")
	size := classToken(propString(c.Props, "size"), "md")
	label := s.text(c.Props, "label")
	if label == "" {
		label = s.text(c.Props, "text")
	}
	acts := s.actionsOf(c.Props["actionBindings"])
	href, newTab := "", false
	if len(acts) > 0 {
		switch a := acts[0]; a.Type {
		case "openPage":
			href, newTab = a.URL, a.NewTab
		case "scrollToSection":
			href = "#" + a.Target
		}
		if len(acts) == 1 && href != "" {
			acts = nil // a plain link does it, with or without the runtime
		}
	}
	cls := s.rule(c, nil)
	s.fixed |= fixedButton
	onDark := variant == "default" && s.dark && !hasOwnBackground(c)
	if onDark {
		s.fixed |= fixedInvert
	}

	tag := "button"
	if href != "" {
		tag = "a"
	}
	s.open(c, tag, "", "", 0)
	// class written by hand: two sanitised tokens and the generated class.
	b.WriteString(` class="fb-button fb-button-`)
	b.WriteString(variant)
	b.WriteString(" fb-button-")
	b.WriteString(size)
	if onDark {
		b.WriteString(" fb-on-dark")
	}
	if cls != 0 {
		b.WriteString(" fb-c")
		b.Write(strconv.AppendInt(s.num[:0], int64(cls), 10))
	}
	b.WriteByte('"')
	if href != "" {
		writeAttr(b, "href", href)
		if newTab {
			b.WriteString(` target="_blank" rel="noopener noreferrer"`)
		}
	} else {
		b.WriteString(` type="button"`)
	}
	s.writeActions(b, acts)
	b.WriteByte('>')
	escape(b, label)
	closeTag(b, tag)
}

// toggle renders a pressed/unpressed button the runtime flips.
func (s *state) toggle(c *core.Component) {
	b := &s.body
	s.runtime = true
	s.fixed |= fixedButton
	s.open(c, "button", "fb-button fb-button-outline fb-button-md fb-toggle", "", s.rule(c, nil))
	pressed, _ := c.Props["pressed"].(bool)
	b.WriteString(` type="button" data-fb-toggle aria-pressed="`)
	b.WriteString(strconv.FormatBool(pressed))
	b.WriteString(`">`)
	escape(b, s.labelOf(c.Props))
	b.WriteString("</button>")
}

// tooltip renders its text (or children) with a tooltip shown on hover
// and focus, tied to it by aria-describedby.
func (s *state) tooltip(c *core.Component, depth int) {
	b := &s.body
	s.fixed |= fixedTooltip
	id := "fb-tip-" + strconv.Itoa(s.nextID())
	s.open(c, "span", "fb-tooltip", "", s.rule(c, nil))
	b.WriteString(` tabindex="0"`)
	writeAttr(b, "aria-describedby", id)
	b.WriteByte('>')
	if t := s.text(c.Props, "text"); t != "" && len(c.Children) == 0 {
		escape(b, t)
	}
	s.children(c, depth)
	b.WriteString(`<span role="tooltip"`)
	writeAttr(b, "id", id)
	b.WriteByte('>')
	tip := s.text(c.Props, "content")
	if tip == "" {
		tip = s.text(c.Props, "tooltip")
	}
	escape(b, tip)
	b.WriteString("</span></span>")
}

// tabs renders an ARIA tab set. Every panel's content is in the document;
// without the runtime the first panel shows and each tab is a link that
// shows its panel through :target.
func (s *state) tabs(c *core.Component) {
	b := &s.body
	s.runtime = true
	s.fixed |= fixedTabs
	n := s.nextID()
	prefix := "fb-tabs-" + strconv.Itoa(n) + "-"
	items := listOf(c.Props["tabs"])
	if len(items) == 0 {
		items = listOf(c.Props["items"])
	}
	s.open(c, "div", "fb-tabs", "", s.rule(c, nil))
	b.WriteString(` data-fb-tabs><div role="tablist">`)
	for i, t := range items {
		id := prefix + strconv.Itoa(i)
		// A link to its panel: without the runtime, :target shows it.
		b.WriteString(`<a href="#` + id + `" role="tab" id="` + id + `-tab" aria-controls="` + id + `" aria-selected="` + strconv.FormatBool(i == 0) + `"`)
		if i != 0 {
			b.WriteString(` tabindex="-1"`)
		}
		b.WriteByte('>')
		l := s.text(t, "label")
		if l == "" {
			l = s.text(t, "title")
		}
		escape(b, l)
		b.WriteString("</a>")
	}
	b.WriteString("</div>")
	for i, t := range items {
		id := prefix + strconv.Itoa(i)
		b.WriteString(`<div role="tabpanel" id="` + id + `" aria-labelledby="` + id + `-tab" tabindex="0"`)
		if i != 0 {
			b.WriteString(" hidden")
		}
		b.WriteByte('>')
		escape(b, s.text(t, "content"))
		b.WriteString("</div>")
	}
	b.WriteString("</div>")
}

// accordion renders Accordion and FAQ items as <details>, which open and
// close without the runtime; the runtime keeps one open at a time when the
// accordion says type "single".
func (s *state) accordion(c *core.Component, depth int) {
	b := &s.body
	s.fixed |= fixedAccordion
	tag, cls := "div", "fb-accordion"
	if c.Type == "FAQ" {
		tag, cls = "section", "fb-accordion fb-faq"
		s.fixed |= fixedSections
	}
	s.open(c, tag, cls, "", s.rule(c, nil))
	if propString(c.Props, "type") == "single" {
		s.runtime = true
		b.WriteString(` data-fb-single`)
	}
	b.WriteByte('>')
	if c.Type == "FAQ" {
		s.sectionHeading(c.Props, "h2")
	}
	for _, it := range listOf(c.Props["items"]) {
		title := s.text(it, "title")
		if title == "" {
			title = s.text(it, "question")
		}
		content := s.text(it, "content")
		if content == "" {
			content = s.text(it, "answer")
		}
		b.WriteString("<details")
		if open, _ := it["open"].(bool); open {
			b.WriteString(" open")
		}
		b.WriteString("><summary>")
		escape(b, title)
		b.WriteString("</summary><div>")
		escape(b, content)
		b.WriteString("</div></details>")
	}
	s.children(c, depth)
	closeTag(b, tag)
}

// modal renders a <dialog> that openModal actions (or its own trigger
// button) open.
func (s *state) modal(c *core.Component, depth int) {
	b := &s.body
	s.runtime = true
	s.fixed |= fixedModal | fixedButton
	id := anchorToken(propString(c.Props, "modalId"))
	if id == "" {
		id = anchorToken(propString(c.Props, "anchor"))
	}
	if id == "" {
		id = "fb-modal-" + strconv.Itoa(s.nextID())
	}
	if t := s.text(c.Props, "triggerLabel"); t != "" {
		b.WriteString(`<button type="button" class="fb-button fb-button-default fb-button-md"`)
		writeAttr(b, "data-fb-open", id)
		b.WriteByte('>')
		escape(b, t)
		b.WriteString("</button>")
	}
	cc := *c
	cc.Props = withoutAnchor(c.Props)
	s.open(&cc, "dialog", "fb-modal", "", s.rule(c, nil))
	writeAttr(b, "id", id)
	writeAttr(b, "aria-labelledby", id+"-title")
	b.WriteString(`><form method="dialog" class="fb-modal-close"><button aria-label="Close">&#215;</button></form><h2`)
	writeAttr(b, "id", id+"-title")
	b.WriteByte('>')
	escape(b, s.text(c.Props, "title"))
	b.WriteString("</h2>")
	if t := s.text(c.Props, "content"); t != "" {
		b.WriteString("<p>")
		escape(b, t)
		b.WriteString("</p>")
	}
	s.children(c, depth)
	b.WriteString("</dialog>")
}

func withoutAnchor(p map[string]any) map[string]any {
	if _, ok := p["anchor"]; !ok {
		return p
	}
	q := make(map[string]any, len(p))
	for k, v := range p {
		if k != "anchor" {
			q[k] = v
		}
	}
	return q
}

// dropdown renders a menu in <details>, which works without the runtime;
// the runtime closes it on an outside click or Escape.
func (s *state) dropdown(c *core.Component) {
	b := &s.body
	s.runtime = true
	s.fixed |= fixedDropdown
	s.open(c, "details", "fb-dropdown", "", s.rule(c, nil))
	b.WriteString(" data-fb-dropdown><summary>")
	escape(b, s.labelOf(c.Props))
	b.WriteString(`</summary><ul role="list">`)
	items := listOf(c.Props["items"])
	if len(items) == 0 {
		items = listOf(c.Props["options"])
	}
	s.links(items)
	b.WriteString("</ul></details>")
}
