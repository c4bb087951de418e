package render

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/frontbase/edge/core"
)

// state is the scratch space of one render, pooled between renders.
type state struct {
	r  *Renderer
	in *Input

	out     bytes.Buffer // the document
	body    bytes.Buffer // the component tree
	css     bytes.Buffer // generated rules, all viewports
	mobile  bytes.Buffer // rules inside the mobile media query
	tablet  bytes.Buffer
	desktop bytes.Buffer

	fixed   int // fixedRules bits in use
	classes int // generated classes so far
	keys    []string
	num     [32]byte

	ids          int            // ids handed out for ARIA relations
	binds        map[string]any // Liquid scopes, built on first use
	deps         Deps           // what the output depends on
	liquidLogged bool
	runtime      bool           // the page needs the browser runtime
	toast        bool           // the page may show toasts
	pendingIf    string         // a client-decided condition for the next element opened
	dark         bool           // the nearest background colour set by an ancestor is dark
	sameRule     map[string]int // declaration block -> class, for rules without media rules
}

var statePool = sync.Pool{New: func() any { return &state{keys: make([]string, 0, 16)} }}

// maxPooled is the largest buffer kept in the pool; bigger ones are let go
// so that one huge page does not pin its memory.
const maxPooled = 1 << 20

func (s *state) release() {
	for _, b := range []*bytes.Buffer{&s.out, &s.body, &s.css, &s.mobile, &s.tablet, &s.desktop} {
		if b.Cap() > maxPooled {
			*b = bytes.Buffer{}
		}
		b.Reset()
	}
	clear(s.keys[:cap(s.keys)])
	s.keys = s.keys[:0]
	s.r, s.in, s.fixed, s.classes = nil, nil, 0, 0
	clear(s.sameRule)
	s.ids, s.binds, s.deps, s.liquidLogged, s.runtime, s.toast, s.pendingIf, s.dark = 0, nil, Deps{}, false, false, false, "", false
	statePool.Put(s)
}

// component renders c with its type's function in registry, or as a
// placeholder when no family registers the type.
func (s *state) component(c *core.Component, depth int) {
	if depth >= maxDepth {
		return
	}
	if len(c.VisibilityCondition) > 0 {
		if !s.visible(c) {
			return
		}
		// A client-decided condition goes on the component's first
		// element; it must not reach a later one.
		defer func() { s.pendingIf = "" }()
	}
	if render, ok := registry[c.Type]; ok {
		render(s, c, depth)
		return
	}
	s.unknown(c, depth)
}

func (s *state) children(c *core.Component, depth int) {
	if depth+1 >= maxDepth {
		return
	}
	for i := range c.Children {
		s.component(&c.Children[i], depth+1)
	}
}

func closeTag(b *bytes.Buffer, tag string) {
	b.WriteString("</")
	b.WriteString(tag)
	b.WriteByte('>')
}

// open writes "<tag" with the id (from the anchor prop), the class
// (fixedClass+classSuffix and the generated class cls, when not 0) and
// data-fb-id, leaving the tag open for more attributes.
func (s *state) open(c *core.Component, tag, fixedClass, classSuffix string, cls int) {
	b := &s.body
	b.WriteByte('<')
	b.WriteString(tag)
	if a, ok := c.Props["anchor"].(string); ok {
		writeAnchor(b, a)
	}
	if s.pendingIf != "" {
		writeAttr(b, "data-fb-if", s.pendingIf)
		s.pendingIf = ""
	}
	if fixedClass != "" || cls != 0 {
		b.WriteString(` class="`)
		b.WriteString(fixedClass)
		b.WriteString(classSuffix) // classToken output: [a-z0-9-] only
		if cls != 0 {
			if fixedClass != "" {
				b.WriteByte(' ')
			}
			b.WriteString("fb-c")
			b.Write(strconv.AppendInt(s.num[:0], int64(cls), 10))
		}
		b.WriteByte('"')
	}
	if c.ID != "" {
		writeAttr(b, "data-fb-id", c.ID)
	}
}

// writeAnchor writes id="..." with a keeping only [A-Za-z0-9_-].
func writeAnchor(b *bytes.Buffer, a string) {
	n := 0
	for i := 0; i < len(a) && n < 128; i++ {
		if !isAnchorByte(a[i]) {
			continue
		}
		if n == 0 {
			b.WriteString(` id="`)
		}
		b.WriteByte(a[i])
		n++
	}
	if n > 0 {
		b.WriteByte('"')
	}
}

func isAnchorByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func writeAttr(b *bytes.Buffer, name, value string) {
	b.WriteByte(' ')
	b.WriteString(name)
	b.WriteString(`="`)
	escape(b, value)
	b.WriteByte('"')
}

// classToken lower-cases v and keeps [a-z0-9-], falling back to def when
// nothing is left. The result is safe in a class attribute unescaped.
func classToken(v, def string) string {
	ok := v != "" && len(v) <= 32
	for i := 0; ok && i < len(v); i++ {
		c := v[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
	}
	if ok {
		return v
	}
	var buf [32]byte
	n := 0
	for i := 0; i < len(v) && n < len(buf); i++ {
		c := v[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' {
			buf[n] = c
			n++
		}
	}
	if n == 0 {
		return def
	}
	return string(buf[:n])
}

// propString returns a string, number or boolean prop as text.
func propString(props map[string]any, key string) string {
	switch v := props[key].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int:
		return strconv.Itoa(v)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
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

// visible decides a component's visibilityCondition. Conditions on
// server-known scopes are decided here; conditions on browser-only scopes
// (local., session.) are left to the runtime through data-fb-if.
func (s *state) visible(c *core.Component) bool {
	var cond string
	if json.Unmarshal(c.VisibilityCondition, &cond) != nil {
		var obj struct {
			Condition  string `json:"condition"`
			Expression string `json:"expression"`
		}
		if json.Unmarshal(c.VisibilityCondition, &obj) != nil {
			return true
		}
		cond = obj.Condition
		if cond == "" {
			cond = obj.Expression
		}
	}
	cond = strings.TrimSpace(cond)
	if cond == "" {
		return true
	}
	var d Deps
	d.scanCode(cond)
	if d.Client {
		s.deps.Client = true
		s.runtime = true
		s.fixed |= fixedClientIf
		s.pendingIf = cond
		return true
	}
	return s.liquidCondition(cond)
}

// rule writes the generated CSS of a component: extra declarations from
// its props (when extra is not nil), its style values, its viewport
// overrides and its visibility. It returns the class number, or 0 when
// the component needs no rule.
func (s *state) rule(c *core.Component, extra func(*bytes.Buffer)) int {
	st := c.Style()
	vis := c.Visibility
	if st == nil && vis == nil && extra == nil {
		return 0
	}
	n := s.classes + 1
	wrote, media := false, false

	mark := s.openRule(&s.css, n)
	if extra != nil {
		extra(&s.css)
	}
	if st != nil {
		s.writeValues(&s.css, st.Values)
	}
	baseWrote := s.closeRule(&s.css, mark)
	wrote = baseWrote

	var over map[string]map[string]any
	var phone, tablet string // grid columns the builder's breakpoints give
	if st != nil {
		over = st.ViewportOverrides
		phone, tablet = stackedColumns(st.Values["gridTemplateColumns"])
	}
	for _, vp := range [...]struct {
		name string
		buf  *bytes.Buffer
		hide bool
		cols string
	}{
		{"mobile", &s.mobile, vis != nil && vis.Mobile != nil && !*vis.Mobile, phone},
		{"tablet", &s.tablet, vis != nil && vis.Tablet != nil && !*vis.Tablet, tablet},
		{"desktop", &s.desktop, vis != nil && vis.Desktop != nil && !*vis.Desktop, ""},
	} {
		values := over[vp.name]
		if _, set := values["gridTemplateColumns"]; set {
			vp.cols = ""
		}
		if len(values) == 0 && !vp.hide && vp.cols == "" {
			continue
		}
		mark := s.openRule(vp.buf, n)
		if vp.cols != "" {
			vp.buf.WriteString("grid-template-columns:" + vp.cols + ";")
		}
		s.writeValues(vp.buf, values)
		if vp.hide {
			vp.buf.WriteString(hideRule)
		}
		if s.closeRule(vp.buf, mark) {
			wrote, media = true, true
		}
	}
	if !wrote {
		return 0
	}
	// Components styled alike (cards of a grid, say) share one class when
	// they have no media rules: the block holds each declaration set once.
	if baseWrote && !media {
		decls := s.css.Bytes()[mark.body-1:]
		if prev, ok := s.sameRule[string(decls)]; ok {
			s.css.Truncate(mark.start)
			return prev
		}
		if s.sameRule == nil {
			s.sameRule = map[string]int{}
		}
		s.sameRule[string(decls)] = n
	}
	s.classes = n
	return n
}

type ruleMark struct{ start, body int }

func (s *state) openRule(b *bytes.Buffer, n int) ruleMark {
	start := b.Len()
	b.WriteString(".fb-c")
	b.Write(strconv.AppendInt(s.num[:0], int64(n), 10))
	b.WriteByte('{')
	return ruleMark{start, b.Len()}
}

// closeRule ends the rule, or takes it back when it has no declarations.
func (s *state) closeRule(b *bytes.Buffer, m ruleMark) bool {
	if b.Len() == m.body {
		b.Truncate(m.start)
		return false
	}
	if b.Bytes()[b.Len()-1] == ';' {
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return true
}

// writeValues writes the allowed, safe declarations of values in sorted
// key order, so that output is stable and shorthands (padding) come
// before their longhands (paddingTop).
func (s *state) writeValues(b *bytes.Buffer, values map[string]any) {
	if len(values) == 0 {
		return
	}
	keys := s.keys[:0]
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		s.writeDecl(b, k, values[k])
	}
	s.keys = keys[:0]
}

// pushBackground notes whether c sets a dark background colour for its
// children, and returns the previous state for the caller to restore.
func (s *state) pushBackground(c *core.Component) bool {
	prev := s.dark
	st := c.Style()
	if st == nil {
		return prev
	}
	for _, k := range [...]string{"backgroundColor", "background"} {
		if v, ok := st.Values[k].(string); ok {
			if dark, ok := darkColour(v); ok {
				s.dark = dark
				break
			}
		}
	}
	return prev
}

// hasOwnBackground reports whether a component's style sets a background.
func hasOwnBackground(c *core.Component) bool {
	st := c.Style()
	if st == nil {
		return false
	}
	_, a := st.Values["backgroundColor"]
	_, b := st.Values["background"]
	return a || b
}

// darkColour reads a #rgb, #rrggbb, rgb() or rgba() colour (or black or
// white) and reports whether it is dark; ok is false for anything else
// (gradients, variables, names), which leaves the state as it was.
func darkColour(v string) (dark, ok bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	var r, g, b int
	switch {
	case v == "black":
		return true, true
	case v == "white":
		return false, true
	case strings.HasPrefix(v, "#") && (len(v) == 4 || len(v) == 7):
		x, err := strconv.ParseUint(v[1:], 16, 32)
		if err != nil {
			return false, false
		}
		if len(v) == 4 {
			r, g, b = int(x>>8&0xf)*17, int(x>>4&0xf)*17, int(x&0xf)*17
		} else {
			r, g, b = int(x>>16&0xff), int(x>>8&0xff), int(x&0xff)
		}
	case strings.HasPrefix(v, "rgb(") || strings.HasPrefix(v, "rgba("):
		in := v[strings.IndexByte(v, '(')+1:]
		in = strings.TrimSuffix(in, ")")
		parts := strings.FieldsFunc(in, func(c rune) bool { return c == ',' || c == ' ' || c == '/' })
		if len(parts) < 3 {
			return false, false
		}
		var rgb [3]int
		for i := range rgb {
			n, err := strconv.Atoi(parts[i])
			if err != nil {
				return false, false
			}
			rgb[i] = n
		}
		if len(parts) > 3 {
			if a, err := strconv.ParseFloat(parts[3], 64); err == nil && a < 0.5 {
				return false, false // mostly see-through: the colour below decides
			}
		}
		r, g, b = rgb[0], rgb[1], rgb[2]
	default:
		return false, false
	}
	return 299*r+587*g+114*b < 128*1000, true
}

// stackedColumns gives the grid columns of a multi-column grid on phones
// (one) and tablets (two, for three columns or more), as the builder's
// responsive grid does; "" where the grid stays as it is. Grids that size
// their own columns (auto-fit, auto-fill) are left alone.
func stackedColumns(v any) (phone, tablet string) {
	cols, _ := v.(string)
	n := columnCount(cols)
	if n < 2 {
		return "", ""
	}
	phone = "minmax(0,1fr)"
	if n >= 3 {
		tablet = "repeat(2,minmax(0,1fr))"
	}
	return phone, tablet
}

// columnCount counts the tracks of a grid-template-columns value: N of
// repeat(N, ...), else the top-level tracks; 0 when it cannot tell.
func columnCount(v string) int {
	v = strings.TrimSpace(v)
	if v == "" || indexFold(v, "auto-fit") >= 0 || indexFold(v, "auto-fill") >= 0 {
		return 0
	}
	if isPlainNumber(v) {
		n, _ := strconv.Atoi(v)
		return n
	}
	if strings.HasPrefix(v, "repeat(") {
		if i := strings.IndexByte(v, ','); i > 0 {
			n, err := strconv.Atoi(strings.TrimSpace(v[len("repeat("):i]))
			if err == nil && strings.HasSuffix(v, ")") && strings.Count(v, "repeat(") == 1 {
				return n
			}
		}
		return 0
	}
	n, depth, in := 0, 0, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '[': // line names are not tracks
			if end := strings.IndexByte(v[i:], ']'); end > 0 {
				i += end
				in = false
				continue
			}
			return 0
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ' ' && depth == 0:
			in = false
			continue
		}
		if !in {
			n++
			in = true
		}
	}
	return n
}
