package render

import "github.com/frontbase/edge/core"

// sectionComponents are the landing page sections, drawn from their props.
var sectionComponents = map[string]renderFunc{
	"Hero":           (*state).hero,
	"Features":       (*state).features,
	"FeatureSection": (*state).features,
	"Pricing":        leaf((*state).pricing),
	"CTA":            (*state).cta,
	"Navbar":         leaf((*state).navbar),
	"LogoCloud":      leaf((*state).logoCloud),
	"Footer":         (*state).footer,
}

func (s *state) cta(c *core.Component, depth int) {
	b := &s.body
	s.fixed |= fixedSections | fixedButton
	s.open(c, "section", "fb-cta", "", s.rule(c, nil))
	b.WriteByte('>')
	s.sectionHeading(c.Props, "h2")
	s.ctaButton(c.Props, "buttonText", "buttonLink", "default")
	s.children(c, depth)
	b.WriteString("</section>")
}

func (s *state) footer(c *core.Component, depth int) {
	b := &s.body
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
