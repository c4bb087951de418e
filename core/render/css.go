package render

import (
	"bytes"
	"strconv"
	"strings"
)

// cssProp is one CSS property the renderer lets through from a page's
// style data.
type cssProp struct {
	name   string // kebab-case, as written into the style sheet
	length bool   // a bare number is not valid CSS here: numbers get "px"
}

// cssAllowed lists the properties style data may set, in kebab-case. A
// trailing "+" marks a length property.
var cssAllowed = []string{
	// layout and position
	"display", "position", "top+", "right+", "bottom+", "left+", "inset+",
	"z-index", "float", "clear", "box-sizing", "visibility", "vertical-align",
	"overflow", "overflow-x", "overflow-y", "aspect-ratio",
	"object-fit", "object-position",
	// box
	"width+", "height+", "min-width+", "max-width+", "min-height+", "max-height+",
	"margin+", "margin-top+", "margin-right+", "margin-bottom+", "margin-left+",
	"margin-inline+", "margin-block+",
	"padding+", "padding-top+", "padding-right+", "padding-bottom+", "padding-left+",
	"padding-inline+", "padding-block+",
	// typography
	"color", "font", "font-family", "font-size+", "font-weight", "font-style",
	"line-height", "letter-spacing+", "word-spacing+", "text-align",
	"text-decoration", "text-transform", "text-overflow", "text-indent+",
	"text-shadow", "white-space", "word-break", "overflow-wrap",
	// background
	"background", "background-color", "background-image", "background-size",
	"background-position", "background-repeat", "background-clip",
	// border and outline
	"border", "border-top", "border-right", "border-bottom", "border-left",
	"border-width+", "border-style", "border-color", "border-radius+",
	"border-top-left-radius+", "border-top-right-radius+",
	"border-bottom-left-radius+", "border-bottom-right-radius+",
	"outline", "outline-width+", "outline-offset+",
	// flex
	"flex", "flex-direction", "flex-wrap", "flex-flow", "flex-grow",
	"flex-shrink", "flex-basis+", "order", "justify-content", "justify-items",
	"justify-self", "align-items", "align-self", "align-content",
	"place-items", "place-content", "place-self",
	"gap+", "row-gap+", "column-gap+",
	// grid
	"grid-template-columns", "grid-template-rows", "grid-template-areas",
	"grid-column", "grid-row", "grid-area", "grid-auto-flow",
	"grid-auto-columns", "grid-auto-rows",
	// transform and transition
	"transform", "transform-origin", "transition", "transition-property",
	"transition-duration", "transition-timing-function", "transition-delay",
	// effects and interaction
	"box-shadow", "opacity", "filter", "cursor", "pointer-events",
}

// cssProps maps both the camelCase name the builder sends and the
// kebab-case name to the property.
var cssProps = func() map[string]cssProp {
	m := make(map[string]cssProp, 2*len(cssAllowed))
	for _, s := range cssAllowed {
		p := cssProp{name: strings.TrimSuffix(s, "+"), length: strings.HasSuffix(s, "+")}
		m[p.name] = p
		m[camelCase(p.name)] = p
	}
	return m
}()

func camelCase(kebab string) string {
	var b strings.Builder
	up := false
	for i := 0; i < len(kebab); i++ {
		c := kebab[i]
		if c == '-' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		b.WriteByte(c)
	}
	return b.String()
}

// maxCSSValue bounds one value; longer ones are dropped.
const maxCSSValue = 2048

// writeDecl writes "name:value;" to b when the property is allowed and the
// value is safe, and reports whether it wrote anything.
func (s *state) writeDecl(b *bytes.Buffer, key string, v any) bool {
	p, ok := cssProps[key]
	if !ok {
		return false
	}
	return s.writeDeclProp(b, p, v)
}

func (s *state) writeDeclProp(b *bytes.Buffer, p cssProp, v any) bool {
	switch x := v.(type) {
	case string:
		val := strings.TrimSpace(x)
		if !safeCSSValue(val) {
			return false
		}
		b.WriteString(p.name)
		b.WriteByte(':')
		b.WriteString(val)
		if p.length && isPlainNumber(val) && val != "0" {
			b.WriteString("px")
		}
		b.WriteByte(';')
		return true
	case float64, float32, int, int64, int32:
		f, _ := toFloat(x)
		b.WriteString(p.name)
		b.WriteByte(':')
		b.Write(strconv.AppendFloat(s.num[:0], f, 'f', -1, 64))
		if p.length && f != 0 {
			b.WriteString("px")
		}
		b.WriteByte(';')
		return true
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	}
	return 0, false
}

// isPlainNumber reports whether s is a decimal number without a unit,
// such as "16", "-2" or "1.5".
func isPlainNumber(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	if s[0] == '-' || s[0] == '+' {
		i = 1
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// safeCSSValue reports whether a (trimmed) value may be written into a
// declaration: it cannot close the declaration, the rule or the style
// element, cannot open a comment, an at-rule or an escape, and loads no
// script or non-web URL.
func safeCSSValue(v string) bool {
	if v == "" || len(v) > maxCSSValue {
		return false
	}
	var quote byte
	depth := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
		switch c {
		case '<', '>', '{', '}', ';', '\\', '@':
			return false
		case '/':
			if i+1 < len(v) && v[i+1] == '*' {
				return false
			}
		case '"', '\'':
			if quote == 0 {
				quote = c
			} else if quote == c {
				quote = 0
			}
		case '(':
			if quote == 0 {
				depth++
			}
		case ')':
			if quote == 0 {
				depth--
				if depth < 0 {
					return false
				}
			}
		}
	}
	if quote != 0 || depth != 0 {
		return false
	}
	if indexFold(v, "expression(") >= 0 || indexFold(v, "javascript:") >= 0 {
		return false
	}
	for rest := v; ; {
		i := indexFold(rest, "url(")
		if i < 0 {
			break
		}
		rest = rest[i+4:]
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return false
		}
		if !safeCSSURL(rest[:end]) {
			return false
		}
		rest = rest[end+1:]
	}
	return true
}

// safeCSSURL checks the inside of url(...): an http(s) URL or a relative
// path.
func safeCSSURL(arg string) bool {
	t := strings.TrimSpace(arg)
	if len(t) >= 2 && (t[0] == '"' || t[0] == '\'') && t[len(t)-1] == t[0] {
		t = strings.TrimSpace(t[1 : len(t)-1])
	}
	if t == "" {
		return false
	}
	scheme, ok := urlScheme(t)
	if !ok {
		return true // relative
	}
	return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https")
}

// indexFold is strings.Index for an ASCII lower-case needle, ignoring
// ASCII case in s, without allocating.
func indexFold(s, lowerNeedle string) int {
	n := len(lowerNeedle)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lowerNeedle[j] {
				break
			}
		}
		if j == n {
			return i
		}
	}
	return -1
}

// fixed rules for layout components, emitted once per page when used.
const (
	fixedRow = 1 << iota
	fixedColumn
	fixedStack
	fixedFlex
	fixedGrid
	fixedImagePlaceholder
)

var fixedRules = []struct {
	bit  int
	rule string
}{
	{fixedRow, ".fb-row{display:flex;flex-direction:row}"},
	{fixedColumn, ".fb-column{display:flex;flex-direction:column}"},
	{fixedStack, ".fb-stack{display:flex;flex-direction:column}"},
	{fixedFlex, ".fb-flex{display:flex}"},
	{fixedGrid, ".fb-grid{display:grid}"},
	{fixedImagePlaceholder, ".fb-image-placeholder{background-color:#e5e7eb;min-height:4rem}"},
}

const (
	mediaMobile  = "@media (max-width:640px){"
	mediaTablet  = "@media (min-width:641px) and (max-width:1024px){"
	mediaDesktop = "@media (min-width:1025px){"
	hideRule     = "display:none!important;"
)
