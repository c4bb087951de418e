package render

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/frontbase/edge/core"
)

// mediaComponents are images, icons and embedded content.
var mediaComponents = map[string]renderFunc{
	"Image":  leaf((*state).image),
	"Icon":   leaf((*state).icon),
	"Avatar": leaf((*state).avatar),
	"Logo":   leaf((*state).logoLink),
	"Embed":  leaf((*state).embed),
}

// image renders an Image: an <img> for a safe src, else a placeholder.
func (s *state) image(c *core.Component) {
	b := &s.body
	src, ok := safeSrc(propString(c.Props, "src"))
	alt := propString(c.Props, "alt")
	w, h := c.Props["width"], c.Props["height"]
	wAttr, wIsAttr := dimAttr(w)
	hAttr, hIsAttr := dimAttr(h)

	// Sizes also go into the rule even when they are attributes: author
	// CSS such as a bundle's img{height:auto} beats attributes, and the
	// builder means the size the image is shown at.
	cls := s.rule(c, func(d *bytes.Buffer) {
		s.writeDimension(d, "width", w)
		if wIsAttr && hIsAttr && wAttr != "0" && hAttr != "0" {
			// A fixed size keeps its proportions when max-width narrows
			// the image on a small screen.
			d.WriteString("aspect-ratio:" + wAttr + "/" + hAttr + ";")
		} else {
			s.writeDimension(d, "height", h)
		}
		s.writeDecl(d, "objectFit", c.Props["objectFit"])
		s.writeDecl(d, "borderRadius", c.Props["borderRadius"])
	})
	if !ok {
		s.fixed |= fixedImagePlaceholder
		s.open(c, "div", "fb-image-placeholder", "", cls)
		b.WriteString(` role="img"`)
		writeAttr(b, "aria-label", alt)
		b.WriteString("></div>")
		return
	}
	s.open(c, "img", "", "", cls)
	writeAttr(b, "src", src)
	writeAttr(b, "alt", alt)
	if wIsAttr {
		b.WriteString(` width="`)
		b.WriteString(wAttr)
		b.WriteByte('"')
	}
	if hIsAttr {
		b.WriteString(` height="`)
		b.WriteString(hAttr)
		b.WriteByte('"')
	}
	b.WriteString(` loading="lazy" decoding="async">`)
}

func (s *state) writeDimension(d *bytes.Buffer, name string, v any) {
	if v == nil {
		return
	}
	if a, ok := dimAttr(v); ok {
		d.WriteString(name)
		d.WriteByte(':')
		d.WriteString(a)
		d.WriteString("px;")
		return
	}
	s.writeDeclProp(d, cssProp{name: name, length: true}, v)
}

// dimAttr returns the digits of a width or height that is a plain
// non-negative whole number or "NNNpx", as an img attribute takes it.
func dimAttr(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		t := strings.TrimSuffix(strings.TrimSpace(x), "px")
		if t == "" || len(t) > 9 {
			return "", false
		}
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '9' {
				return "", false
			}
		}
		return t, true
	default:
		f, ok := toFloat(x)
		if !ok || f < 0 || f > 1e9 || f != float64(int64(f)) {
			return "", false
		}
		return strconv.FormatInt(int64(f), 10), true
	}
}

func (s *state) icon(c *core.Component) {
	b := &s.body
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
}

// avatar renders an image when it has a safe src, else the fallback text
// (the name's initials by default).
func (s *state) avatar(c *core.Component) {
	b := &s.body
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
		return
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

// logoLink renders a Logo: its logo in a link (home by default).
func (s *state) logoLink(c *core.Component) {
	b := &s.body
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

// embed renders a sandboxed iframe for an https address, else a note.
func (s *state) embed(c *core.Component) {
	b := &s.body
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
		return
	}
	s.open(c, "iframe", "fb-embed", "", cls)
	writeAttr(b, "src", src)
	writeAttr(b, "title", title)
	b.WriteString(` sandbox="allow-scripts allow-popups allow-forms allow-presentation" loading="lazy" referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe>`)
}
