package render

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/frontbase/edge/core"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// markdown renders MarkdownContent. goldmark without html.WithUnsafe is
// safe mode: raw HTML is left out and javascript:/vbscript:/data: (other
// than images) link targets are dropped. It is built on first use, not
// when the package loads (its extensions' parsers cost milliseconds of
// every cold start, and most pages have no Markdown).
var markdown = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough))
})

// maxMarkdown bounds the Markdown source of one component.
const maxMarkdown = 256 << 10

// catalogue renders the component types beyond the basic layout, text and
// media ones. It reports false for an unknown type.
func (s *state) catalogue(c *core.Component, depth int) bool {
	b := &s.body
	switch c.Type {
	case "Paper", "Panel", "Group", "Card":
		if c.Type == "Card" && len(c.Binding) > 0 && string(c.Binding) != "null" {
			s.dataPlaceholder(c, "card")
			return true
		}
		cls := map[string]string{"Paper": "fb-paper", "Panel": "fb-panel", "Group": "fb-group", "Card": "fb-card"}[c.Type]
		s.fixed |= fixedBoxes
		tag := "div"
		if c.Type == "Card" {
			tag = "article"
		}
		s.open(c, tag, cls, "", s.rule(c, nil))
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
		if c.Type == "Paper" || c.Type == "Card" {
			s.dark = false
		}
		s.pushBackground(c)
		s.children(c, depth)
		s.dark = prev
		closeTag(b, tag)

	case "Icon":
		s.fixed |= fixedIcon
		name := s.text(c.Props, "name")
		if name == "" {
			name = s.text(c.Props, "icon")
		}
		s.open(c, "span", "fb-icon", "", s.rule(c, nil))
		if label := s.text(c.Props, "label"); label != "" {
			b.WriteString(` role="img"`)
			writeAttr(b, "aria-label", label)
		} else {
			b.WriteString(` aria-hidden="true"`)
		}
		writeAttr(b, "data-fb-icon", classToken(name, "circle"))
		b.WriteString("></span>")

	case "Avatar":
		s.fixed |= fixedAvatar
		name := s.text(c.Props, "name")
		if name == "" {
			name = s.text(c.Props, "alt")
		}
		if src, ok := safeSrc(s.text(c.Props, "src")); ok {
			s.open(c, "img", "fb-avatar", "", s.rule(c, nil))
			writeAttr(b, "src", src)
			writeAttr(b, "alt", name)
			b.WriteString(` loading="lazy" decoding="async">`)
			return true
		}
		fallback := s.text(c.Props, "fallback")
		if fallback == "" {
			fallback = initials(name)
		}
		s.open(c, "span", "fb-avatar", "", s.rule(c, nil))
		b.WriteString(` role="img"`)
		writeAttr(b, "aria-label", name)
		b.WriteByte('>')
		escape(b, fallback)
		b.WriteString("</span>")

	case "Label":
		s.open(c, "label", "fb-label", "", s.rule(c, nil))
		if f := anchorToken(propString(c.Props, "htmlFor")); f != "" {
			writeAttr(b, "for", f)
		}
		b.WriteByte('>')
		escape(b, s.text(c.Props, "text"))
		b.WriteString("</label>")

	case "Logo":
		s.fixed |= fixedNav
		s.open(c, "a", "fb-logo", "", s.rule(c, nil))
		href, ok := safeHref(s.text(c.Props, "href"))
		if !ok {
			href = "/"
		}
		writeAttr(b, "href", href)
		b.WriteByte('>')
		s.logo(c.Props)
		b.WriteString("</a>")

	case "MarkdownContent":
		src := s.text(c.Props, "content")
		if src == "" {
			src = s.text(c.Props, "markdown")
		}
		s.open(c, "div", "fb-markdown", "", s.rule(c, nil))
		b.WriteByte('>')
		if len(src) <= maxMarkdown {
			if err := markdown().Convert([]byte(src), b); err != nil {
				escape(b, src)
			}
		}
		b.WriteString("</div>")

	case "Embed":
		s.fixed |= fixedEmbed
		src, ok := safeHTTP(s.text(c.Props, "url"))
		if !ok {
			src, ok = safeHTTP(s.text(c.Props, "src"))
		}
		title := s.text(c.Props, "title")
		if title == "" {
			title = "Embedded content"
		}
		cls := s.rule(c, func(d *bytes.Buffer) {
			if h, ok := c.Props["height"]; ok {
				s.writeDeclProp(d, cssProp{name: "height", length: true}, h)
			}
		})
		if !ok || !strings.HasPrefix(strings.ToLower(src), "https:") {
			s.open(c, "div", "fb-embed fb-placeholder", "", cls)
			b.WriteString(` role="note">`)
			escape(b, title)
			b.WriteString(": no secure (https) address to embed.</div>")
			return true
		}
		s.open(c, "iframe", "fb-embed", "", cls)
		writeAttr(b, "src", src)
		writeAttr(b, "title", title)
		b.WriteString(` sandbox="allow-scripts allow-popups allow-forms allow-presentation" loading="lazy" referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe>`)

	case "Tabs":
		s.tabs(c)
	case "Accordion", "FAQ":
		s.accordion(c, depth)
	case "Modal":
		s.modal(c, depth)
	case "Dropdown":
		s.dropdown(c)
	case "Toggle":
		s.runtime = true
		s.fixed |= fixedButton
		s.open(c, "button", "fb-button fb-button-outline fb-button-md fb-toggle", "", s.rule(c, nil))
		pressed, _ := c.Props["pressed"].(bool)
		b.WriteString(` type="button" data-fb-toggle aria-pressed="`)
		b.WriteString(strconv.FormatBool(pressed))
		b.WriteString(`">`)
		escape(b, s.labelOf(c.Props))
		b.WriteString("</button>")
	case "Switch", "Checkbox":
		s.fixed |= fixedForm
		s.open(c, "label", "fb-check", "", s.rule(c, nil))
		b.WriteString(`><input type="checkbox"`)
		if c.Type == "Switch" {
			b.WriteString(` role="switch"`)
		}
		if n := idToken(propString(c.Props, "name")); n != "" {
			writeAttr(b, "name", n)
		}
		if v, _ := c.Props["checked"].(bool); v {
			b.WriteString(" checked")
		} else if v, _ := c.Props["defaultChecked"].(bool); v {
			b.WriteString(" checked")
		}
		b.WriteString("> <span>")
		escape(b, s.labelOf(c.Props))
		b.WriteString("</span></label>")
	case "Radio", "RadioGroup":
		s.fixed |= fixedForm
		s.open(c, "fieldset", "fb-radio", "", s.rule(c, nil))
		b.WriteString("><legend>")
		escape(b, s.labelOf(c.Props))
		b.WriteString("</legend>")
		name := idToken(propString(c.Props, "name"))
		if name == "" {
			name = "radio-" + strconv.Itoa(s.nextID())
		}
		def := propString(c.Props, "value")
		for _, o := range listOf(c.Props["options"]) {
			v := propString(o, "value")
			b.WriteString(`<label class="fb-check"><input type="radio"`)
			writeAttr(b, "name", name)
			writeAttr(b, "value", v)
			if v != "" && v == def {
				b.WriteString(" checked")
			}
			b.WriteString("> <span>")
			l := s.text(o, "label")
			if l == "" {
				l = v
			}
			escape(b, l)
			b.WriteString("</span></label>")
		}
		b.WriteString("</fieldset>")
	case "Tooltip":
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

	case "Hero":
		s.hero(c, depth)
	case "Features", "FeatureSection":
		s.features(c, depth)
	case "Pricing":
		s.pricing(c)
	case "CTA":
		s.fixed |= fixedSections | fixedButton
		s.open(c, "section", "fb-cta", "", s.rule(c, nil))
		b.WriteByte('>')
		s.sectionHeading(c.Props, "h2")
		s.ctaButton(c.Props, "buttonText", "buttonLink", "default")
		s.children(c, depth)
		b.WriteString("</section>")
	case "Navbar":
		s.navbar(c)
	case "LogoCloud":
		s.logoCloud(c)
	case "Footer":
		s.fixed |= fixedSections
		s.open(c, "footer", "fb-footer", "", s.rule(c, nil))
		b.WriteByte('>')
		if links := listOf(c.Props["links"]); len(links) > 0 {
			b.WriteString(`<nav aria-label="Footer"><ul class="fb-footer-links">`)
			s.links(links)
			b.WriteString("</ul></nav>")
		}
		s.children(c, depth)
		if t := s.text(c.Props, "text"); t != "" {
			b.WriteString("<p>")
			escape(b, t)
			b.WriteString("</p>")
		}
		b.WriteString("</footer>")

	case "Form":
		s.form(c)
	case "DataTable":
		s.dataTable(c) // datatable.go
	case "InfoList":
		s.dataPlaceholder(c, "list")
	case "Chart":
		s.dataPlaceholder(c, "chart")
	case "KPICard":
		s.dataPlaceholder(c, "figure")
	case "Repeater":
		s.dataPlaceholder(c, "list of items")
	default:
		return false
	}
	return true
}

// text returns a string prop with its Liquid evaluated.
func (s *state) text(props map[string]any, key string) string {
	return s.liquidText(propString(props, key))
}

func (s *state) labelOf(props map[string]any) string {
	for _, k := range [...]string{"label", "text", "title"} {
		if v := s.text(props, k); v != "" {
			return v
		}
	}
	return ""
}

func (s *state) nextID() int {
	s.ids++
	return s.ids
}

func initials(name string) string {
	var out []rune
	for _, f := range strings.Fields(name) {
		out = append(out, []rune(strings.ToUpper(f))[0])
		if len(out) == 2 {
			break
		}
	}
	return string(out)
}

// logo writes a logo prop ({text, src|image|url, alt}) or a text logo.
func (s *state) logo(props map[string]any) {
	b := &s.body
	var lp map[string]any
	switch v := props["logo"].(type) {
	case map[string]any:
		lp = v
	case string:
		lp = map[string]any{"text": v}
	default:
		lp = props
	}
	text := s.text(lp, "text")
	src, ok := safeSrc(s.liquidText(firstString(lp, "src", "image", "url")))
	if ok {
		b.WriteString(`<img class="fb-logo-img"`)
		writeAttr(b, "src", src)
		alt := s.text(lp, "alt")
		if alt == "" {
			alt = text
		}
		writeAttr(b, "alt", alt)
		b.WriteByte('>')
		return
	}
	escape(b, text)
}

// links writes <li><a> for [{label|text, href}].
func (s *state) links(links []map[string]any) {
	b := &s.body
	for _, l := range links {
		href, ok := safeHref(s.liquidText(firstString(l, "href", "url", "pageUrl")))
		if !ok {
			href = "#"
		}
		label := s.text(l, "label")
		if label == "" {
			label = s.text(l, "text")
		}
		b.WriteString(`<li><a href="`)
		escape(b, href)
		b.WriteString(`"`)
		if t, _ := l["target"].(string); t == "_blank" {
			b.WriteString(` target="_blank" rel="noopener noreferrer"`)
		}
		b.WriteByte('>')
		escape(b, label)
		b.WriteString("</a></li>")
	}
}

func (s *state) navbar(c *core.Component) {
	b := &s.body
	s.fixed |= fixedNav
	s.open(c, "header", "fb-navbar", "", s.rule(c, nil))
	b.WriteString(`><nav aria-label="Main"><a class="fb-logo" href="/">`)
	s.logo(c.Props)
	b.WriteString(`</a><ul class="fb-nav-links">`)
	s.links(listOf(c.Props["links"]))
	b.WriteString("</ul>")
	if t := s.text(c.Props, "ctaText"); t != "" {
		s.fixed |= fixedButton
		s.ctaButton(c.Props, "ctaText", "ctaLink", "default")
	}
	b.WriteString("</nav></header>")
}

// sectionHeading writes the title (as tag) and subtitle/description of a
// landing section.
func (s *state) sectionHeading(props map[string]any, tag string) {
	b := &s.body
	if t := s.text(props, "title"); t != "" {
		b.WriteString("<" + tag + ">")
		escape(b, t)
		b.WriteString("</" + tag + ">")
	}
	sub := s.text(props, "subtitle")
	if sub == "" {
		sub = s.text(props, "description")
	}
	if sub != "" {
		b.WriteString(`<p class="fb-muted">`)
		escape(b, sub)
		b.WriteString("</p>")
	}
}

// ctaButton writes a link styled as a button from a text and a link prop.
func (s *state) ctaButton(props map[string]any, textKey, linkKey, variant string) {
	b := &s.body
	text := s.text(props, textKey)
	if text == "" {
		return
	}
	s.fixed |= fixedButton
	href, ok := safeHref(s.text(props, linkKey))
	if !ok {
		href = "#"
	}
	b.WriteString(`<a class="fb-button fb-button-` + variant + ` fb-button-lg" href="`)
	escape(b, href)
	b.WriteString(`">`)
	escape(b, text)
	b.WriteString("</a>")
}

func (s *state) hero(c *core.Component, depth int) {
	b := &s.body
	s.fixed |= fixedSections
	s.open(c, "section", "fb-hero", "", s.rule(c, nil))
	b.WriteByte('>')
	s.sectionHeading(c.Props, "h1")
	if s.text(c.Props, "buttonText") != "" || s.text(c.Props, "secondaryButtonText") != "" {
		b.WriteString(`<div class="fb-actions">`)
		s.ctaButton(c.Props, "buttonText", "buttonLink", "default")
		s.ctaButton(c.Props, "secondaryButtonText", "secondaryButtonLink", "outline")
		b.WriteString("</div>")
	}
	if src, ok := safeSrc(s.text(c.Props, "image")); ok {
		b.WriteString(`<img class="fb-hero-img"`)
		writeAttr(b, "src", src)
		writeAttr(b, "alt", s.text(c.Props, "imageAlt"))
		b.WriteString(` decoding="async">`)
	}
	s.children(c, depth)
	b.WriteString("</section>")
}

func (s *state) features(c *core.Component, depth int) {
	b := &s.body
	s.fixed |= fixedSections
	s.open(c, "section", "fb-features", "", s.rule(c, nil))
	b.WriteByte('>')
	s.sectionHeading(c.Props, "h2")
	items := listOf(c.Props["features"])
	if len(items) == 0 {
		items = listOf(c.Props["items"])
	}
	if len(items) > 0 {
		b.WriteString(`<ul class="fb-feature-grid">`)
		for _, f := range items {
			b.WriteString(`<li class="fb-card">`)
			if ic := propString(f, "icon"); ic != "" {
				b.WriteString(`<span class="fb-icon" aria-hidden="true"`)
				writeAttr(b, "data-fb-icon", classToken(ic, "circle"))
				b.WriteString("></span>")
				s.fixed |= fixedIcon
			}
			b.WriteString("<h3>")
			escape(b, s.text(f, "title"))
			b.WriteString(`</h3><p class="fb-muted">`)
			escape(b, s.text(f, "description"))
			b.WriteString("</p></li>")
		}
		b.WriteString("</ul>")
	}
	s.children(c, depth)
	b.WriteString("</section>")
}

func (s *state) pricing(c *core.Component) {
	b := &s.body
	s.fixed |= fixedSections | fixedButton
	s.open(c, "section", "fb-pricing", "", s.rule(c, nil))
	b.WriteByte('>')
	s.sectionHeading(c.Props, "h2")
	b.WriteString(`<ul class="fb-plans">`)
	for _, p := range listOf(c.Props["plans"]) {
		hl, _ := p["highlighted"].(bool)
		if hl {
			b.WriteString(`<li class="fb-card fb-plan fb-plan-highlighted">`)
		} else {
			b.WriteString(`<li class="fb-card fb-plan">`)
		}
		b.WriteString("<h3>")
		escape(b, s.text(p, "name"))
		b.WriteString(`</h3><p class="fb-price"><strong>`)
		escape(b, s.text(p, "price"))
		b.WriteString("</strong>")
		if per := s.text(p, "period"); per != "" {
			b.WriteString(" <span>")
			escape(b, per)
			b.WriteString("</span>")
		}
		b.WriteString("</p>")
		if d := s.text(p, "description"); d != "" {
			b.WriteString(`<p class="fb-muted">`)
			escape(b, d)
			b.WriteString("</p>")
		}
		if feats, _ := p["features"].([]any); len(feats) > 0 {
			b.WriteString("<ul>")
			for _, f := range feats {
				if fs, ok := f.(string); ok {
					b.WriteString("<li>")
					escape(b, s.liquidText(fs))
					b.WriteString("</li>")
				}
			}
			b.WriteString("</ul>")
		}
		variant := "outline"
		if hl {
			variant = "default"
		}
		s.ctaButton(p, "buttonText", "buttonLink", variant)
		b.WriteString("</li>")
	}
	b.WriteString("</ul></section>")
}

func (s *state) logoCloud(c *core.Component) {
	b := &s.body
	s.fixed |= fixedSections
	s.open(c, "section", "fb-logo-cloud", "", s.rule(c, nil))
	b.WriteByte('>')
	s.sectionHeading(c.Props, "h2")
	b.WriteString("<ul>")
	for _, l := range listOf(c.Props["logos"]) {
		name := s.text(l, "name")
		if name == "" {
			name = s.text(l, "alt")
		}
		b.WriteString("<li>")
		href, linked := safeHref(s.text(l, "href"))
		if linked {
			b.WriteString(`<a href="`)
			escape(b, href)
			b.WriteString(`">`)
		}
		if src, ok := safeSrc(s.liquidText(firstString(l, "src", "image", "url"))); ok {
			b.WriteString("<img")
			writeAttr(b, "src", src)
			writeAttr(b, "alt", name)
			b.WriteString(` loading="lazy" decoding="async">`)
		} else {
			escape(b, name)
		}
		if linked {
			b.WriteString("</a>")
		}
		b.WriteString("</li>")
	}
	b.WriteString("</ul></section>")
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

// form renders a real HTML form from its fields. The runtime submits it to
// its workflow; without the runtime it posts to the same URL.
func (s *state) form(c *core.Component) {
	b := &s.body
	s.fixed |= fixedForm | fixedButton
	acts := s.actionsOf(c.Props["actionBindings"])
	for i := range acts {
		if acts[i].Type == "runWorkflow" && acts[i].Trigger == "" {
			acts[i].Trigger = "submit"
		}
	}
	formID := "fb-form-" + strconv.Itoa(s.nextID())
	s.open(c, "form", "fb-form", "", s.rule(c, nil))
	b.WriteString(` method="post"`)
	var run *action
	for i := range acts {
		if acts[i].Type == "runWorkflow" {
			run = &acts[i]
			writeAttr(b, "action", "/api/public/execute/"+run.Workflow)
			break
		}
	}
	s.writeActions(b, acts)
	b.WriteByte('>')
	if t := s.text(c.Props, "title"); t != "" {
		b.WriteString("<h2>")
		escape(b, t)
		b.WriteString("</h2>")
	}
	if run != nil {
		// Without JavaScript the engine answers the post with a 303 back
		// here, to #<formID>-done or #<formID>-failed (core/api/forms.go).
		b.WriteString(`<input type="hidden" name="_fb_page"`)
		writeAttr(b, "value", s.in.Path)
		b.WriteString(`><input type="hidden" name="_fb_form" value="` + formID + `">`)
		if c.ID != "" {
			b.WriteString(`<input type="hidden" name="_fb_component"`)
			writeAttr(b, "value", c.ID)
			b.WriteByte('>')
		}
		done := "Thanks, we received it."
		for _, e := range run.OnSuccess {
			if e.Type == "toast" {
				done = e.Message
				break
			}
		}
		b.WriteString(`<p class="fb-form-msg" id="` + formID + `-done" role="status">`)
		escape(b, done)
		b.WriteString(`</p><p class="fb-form-msg fb-form-failed" id="` + formID + `-failed" role="alert">Something went wrong. Please try again.</p>`)
	}
	for i, f := range listOf(c.Props["fields"]) {
		name := idToken(propString(f, "name"))
		if name == "" {
			continue
		}
		id := formID + "-" + strconv.Itoa(i)
		typ := propString(f, "type")
		label := s.text(f, "label")
		if label == "" {
			label = name
		}
		req, _ := f["required"].(bool)
		if typ == "checkbox" {
			b.WriteString(`<label class="fb-check"><input type="checkbox"`)
			writeAttr(b, "name", name)
			if req {
				b.WriteString(" required")
			}
			b.WriteString("> <span>")
			escape(b, label)
			b.WriteString("</span></label>")
			continue
		}
		b.WriteString(`<div class="fb-field"><label for="` + id + `">`)
		escape(b, label)
		b.WriteString("</label>")
		switch typ {
		case "textarea":
			b.WriteString(`<textarea id="` + id + `"`)
		case "select":
			b.WriteString(`<select id="` + id + `"`)
		default:
			switch typ {
			case "email", "tel", "number", "url", "password", "date", "time", "datetime-local", "search":
			default:
				typ = "text"
			}
			b.WriteString(`<input type="` + typ + `" id="` + id + `"`)
		}
		writeAttr(b, "name", name)
		if ph := s.text(f, "placeholder"); ph != "" {
			writeAttr(b, "placeholder", ph)
		}
		if req {
			b.WriteString(" required")
		}
		switch typ {
		case "textarea":
			b.WriteString(` rows="4"></textarea>`)
		case "select":
			b.WriteByte('>')
			for _, o := range optionsOf(f["options"]) {
				b.WriteString("<option")
				writeAttr(b, "value", o[0])
				b.WriteByte('>')
				escape(b, o[1])
				b.WriteString("</option>")
			}
			b.WriteString("</select>")
		default:
			b.WriteByte('>')
		}
		b.WriteString("</div>")
	}
	label := s.text(c.Props, "submitLabel")
	if label == "" {
		label = "Submit"
	}
	b.WriteString(`<button type="submit" class="fb-button fb-button-default fb-button-md">`)
	escape(b, label)
	b.WriteString("</button></form>")
}

// optionsOf reads select options: strings or {value, label}.
func optionsOf(v any) [][2]string {
	list, _ := v.([]any)
	var out [][2]string
	for _, o := range list {
		switch x := o.(type) {
		case string:
			out = append(out, [2]string{x, x})
		case map[string]any:
			val, lab := propString(x, "value"), propString(x, "label")
			if lab == "" {
				lab = val
			}
			out = append(out, [2]string{val, lab})
		}
	}
	return out
}

// dataPlaceholder renders a data component whose data loads later: a
// well-formed, labelled region that says what will be there.
func (s *state) dataPlaceholder(c *core.Component, what string) {
	b := &s.body
	s.fixed |= fixedData
	s.open(c, "section", "fb-data", "", s.rule(c, nil))
	writeAttr(b, "data-fb-type", c.Type)
	b.WriteString(` aria-busy="true">`)
	title := s.labelOf(c.Props)
	if title != "" {
		b.WriteString("<h3>")
		escape(b, title)
		b.WriteString("</h3>")
	}
	b.WriteString(`<p class="fb-muted">`)
	msg := "This " + what + " shows live data"
	if src := bindingSource(c.Binding); src != "" {
		msg += " from " + src
	}
	escape(b, msg+"; it loads when data binding is available.")
	b.WriteString("</p></section>")
}

// bindingSource names the table or data source of a binding, if it says.
func bindingSource(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	for _, k := range [...]string{"tableName", "table", "dataSource", "source", "collection"} {
		if v, ok := m[k].(string); ok && v != "" && len(v) <= 64 {
			return v
		}
	}
	return ""
}

// catalogueTypes lists every component type rendered (not as a
// placeholder), for tests and documentation.
var catalogueTypes = []string{
	"Container", "Section", "Row", "Column", "Flex", "Stack", "Box", "Paper", "Panel", "Group", "Grid",
	"Text", "Heading", "Paragraph", "Image", "Badge", "Divider", "Spacer", "Icon", "Avatar", "Label", "Logo",
	"MarkdownContent", "Embed",
	"Button", "Link", "Tabs", "Accordion", "Modal", "Dropdown", "Toggle", "Switch", "Checkbox", "Radio", "Tooltip",
	"Hero", "Features", "FeatureSection", "Pricing", "CTA", "Navbar", "FAQ", "LogoCloud", "Footer",
	"Form", "DataTable", "InfoList", "Chart", "KPICard", "Card", "Repeater",
}
