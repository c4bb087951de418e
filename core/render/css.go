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
	fixedBase = 1 << iota
	fixedRow
	fixedColumn
	fixedStack
	fixedFlex
	fixedGrid
	fixedImagePlaceholder
	fixedBoxes
	fixedIcon
	fixedAvatar
	fixedNav
	fixedEmbed
	fixedButton
	fixedForm
	fixedTooltip
	fixedSections
	fixedTabs
	fixedAccordion
	fixedModal
	fixedDropdown
	fixedData
	fixedClientIf
	fixedPlaceholder
	fixedToast
	fixedContainer
	fixedBadge
	fixedInvert
	fixedDataTable
	fixedMarkdown
)

// baseRule is the small reset every page gets, with no specificity, so
// that a page's cssBundle wins: no body margin, a system font, borders
// inside boxes, media never wider than their container, links in the text
// colour.
const baseRule = ":where(*,::before,::after){box-sizing:border-box}:where(body){margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;line-height:1.5;color:#0f172a;-webkit-text-size-adjust:100%}:where(img,video,iframe,svg,canvas){max-width:100%}:where(img){height:auto}:where(a){color:inherit}:where(h1,h2,h3,h4,h5,h6,p,li,td,th){overflow-wrap:anywhere}"

var fixedRules = []struct {
	bit  int
	rule string
}{
	{fixedBase, baseRule},
	// Rows lay out side by side from the tablet width up and stack on
	// phones, as the builder's rows do.
	{fixedRow, ".fb-row{display:flex;flex-direction:row}@media (max-width:640px){.fb-row{flex-direction:column}}"},
	// A Container is centred in its parent and takes its width, up to its
	// max-width.
	{fixedContainer, ":where(.fb-container){margin-left:auto;margin-right:auto;width:100%}:where(.fb-container)>*{min-width:0}"},
	{fixedColumn, ".fb-column{display:flex;flex-direction:column}"},
	{fixedStack, ".fb-stack{display:flex;flex-direction:column}"},
	{fixedFlex, ".fb-flex{display:flex}"},
	{fixedGrid, ".fb-grid{display:grid}:where(.fb-grid)>*{min-width:0}"},
	{fixedImagePlaceholder, ".fb-image-placeholder{background-color:#e5e7eb;min-height:4rem}"},
	// Component looks use :where() (no specificity), so that a page's
	// cssBundle and its generated classes always win over them.
	{fixedBoxes, ":where(.fb-paper,.fb-card){background:#fff;border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.1);padding:1rem}:where(.fb-panel){border:1px solid #e2e8f0;border-radius:.5rem;padding:1rem}:where(.fb-group){display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}"},
	{fixedIcon, ":where(.fb-icon){display:inline-block;width:1em;height:1em;border-radius:50%;background:currentColor;opacity:.6;vertical-align:middle}"},
	{fixedAvatar, ":where(.fb-avatar){display:inline-flex;align-items:center;justify-content:center;width:2.5rem;height:2.5rem;border-radius:50%;background:#e2e8f0;object-fit:cover;font-weight:600}"},
	{fixedNav, ":where(.fb-navbar nav){display:flex;align-items:center;gap:1.5rem;padding:1rem 1.5rem;flex-wrap:wrap}:where(.fb-nav-links){display:flex;gap:1rem;list-style:none;margin:0;padding:0;flex-wrap:wrap}:where(.fb-logo){font-weight:700;text-decoration:none;color:inherit}:where(.fb-logo-img){height:2rem;width:auto}"},
	{fixedEmbed, ":where(.fb-embed){display:block;width:100%;min-height:320px;border:0}"},
	{fixedButton, ":where(.fb-button){display:inline-flex;align-items:center;justify-content:center;gap:.5rem;border-radius:.375rem;padding:.5rem 1rem;font:inherit;font-weight:500;border:1px solid transparent;background:#0f172a;color:#fff;text-decoration:none;cursor:pointer}:where(.fb-button-outline,.fb-button-ghost){background:transparent;color:inherit;border-color:#cbd5e1}:where(.fb-button-secondary){background:#f1f5f9;color:#0f172a}:where(.fb-button-lg){padding:.75rem 2rem}:where(.fb-button-sm){padding:.25rem .75rem}:where(.fb-button[aria-pressed=true]){background:#e2e8f0}:where(.fb-busy){opacity:.7;pointer-events:none}:where(.fb-busy)::after{content:\"\";width:1em;height:1em;border:2px solid currentColor;border-right-color:transparent;border-radius:50%;animation:fb-spin .8s linear infinite}@keyframes fb-spin{to{transform:rotate(360deg)}}"},
	{fixedForm, ":where(.fb-form){display:flex;flex-direction:column;gap:1rem;max-width:40rem}:where(.fb-field){display:flex;flex-direction:column;gap:.25rem}:where(.fb-field input,.fb-field textarea,.fb-field select){font:inherit;padding:.5rem;border:1px solid #cbd5e1;border-radius:.375rem}:where(.fb-check){display:flex;align-items:center;gap:.5rem}:where(.fb-radio){border:0;padding:0}:where(.fb-form-msg){display:none;margin:0;padding:.5rem .75rem;border-radius:.375rem;background:#ecfdf5;color:#065f46}:where(.fb-form-failed){background:#fef2f2;color:#991b1b}.fb-form-msg:target{display:block}"},
	{fixedTooltip, ":where(.fb-tooltip){position:relative}:where(.fb-tooltip [role=tooltip]){display:none;position:absolute;bottom:100%;left:0;background:#0f172a;color:#fff;padding:.25rem .5rem;border-radius:.25rem;white-space:nowrap;font-size:.875rem}:where(.fb-tooltip:hover,.fb-tooltip:focus-within) [role=tooltip]{display:block}"},
	{fixedSections, ":where(.fb-hero,.fb-features,.fb-pricing,.fb-cta,.fb-faq,.fb-logo-cloud){padding:4rem 1.5rem;text-align:center}:where(.fb-actions){display:flex;gap:1rem;justify-content:center;flex-wrap:wrap}:where(.fb-feature-grid,.fb-plans){display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1.5rem;list-style:none;padding:0;text-align:left}:where(.fb-plan-highlighted){outline:2px solid #4f46e5}:where(.fb-logo-cloud ul){display:flex;flex-wrap:wrap;gap:2rem;justify-content:center;list-style:none;padding:0}:where(.fb-footer){padding:2rem 1.5rem;text-align:center}:where(.fb-footer-links){display:flex;gap:1rem;justify-content:center;list-style:none;padding:0}:where(.fb-muted){color:#64748b}"},
	{fixedTabs, ":where(.fb-tabs [role=tablist]){display:flex;gap:.25rem;border-bottom:1px solid #e2e8f0;overflow-x:auto}:where(.fb-tabs [role=tab]){font:inherit;color:inherit;text-decoration:none;white-space:nowrap;background:none;border:0;border-bottom:2px solid transparent;padding:.5rem 1rem;cursor:pointer}:where(.fb-tabs [role=tab][aria-selected=true]){border-bottom-color:currentColor;font-weight:600}:where(.fb-tabs [role=tabpanel]){padding:1rem 0}html:not(.fb-js) .fb-tabs [role=tabpanel]:target{display:block}html:not(.fb-js) .fb-tabs:has(:target) [role=tabpanel]:not(:target){display:none}"},
	{fixedAccordion, ":where(.fb-accordion details){border-bottom:1px solid #e2e8f0;padding:.75rem 0;text-align:left}:where(.fb-accordion summary){cursor:pointer;font-weight:500}"},
	{fixedModal, ":where(.fb-modal){border:0;border-radius:.5rem;padding:1.5rem;max-width:32rem;width:90vw}:where(.fb-modal)::backdrop{background:rgba(0,0,0,.5)}:where(.fb-modal-close){float:right}:where(.fb-modal-close button){background:none;border:0;font-size:1.5rem;cursor:pointer}"},
	{fixedDropdown, ":where(.fb-dropdown){position:relative;display:inline-block}:where(.fb-dropdown summary){cursor:pointer}:where(.fb-dropdown ul){position:absolute;z-index:10;margin:0;padding:.25rem;list-style:none;background:#fff;border:1px solid #e2e8f0;border-radius:.375rem;min-width:10rem}:where(.fb-dropdown a){display:block;padding:.25rem .5rem}"},
	// DataTable (datatable.go): a scrolling table, a search box and a pager.
	{fixedDataTable, ":where(.fb-datatable){display:flex;flex-direction:column;gap:.5rem}:where(.fb-dt-scroll){overflow-x:auto;border:1px solid #e2e8f0;border-radius:.5rem}:where(.fb-dt){width:100%;border-collapse:collapse;font-size:.875rem}:where(.fb-dt th,.fb-dt td){text-align:left;padding:.5rem .75rem;border-bottom:1px solid #e2e8f0}:where(.fb-dt th){background:#f8fafc;font-weight:600;white-space:nowrap}:where(.fb-dt th[aria-sort]){cursor:pointer}:where(.fb-dt-search){padding:.375rem .5rem;border:1px solid #cbd5e1;border-radius:.375rem;min-width:12rem}:where(.fb-dt-pager){display:flex;align-items:center;gap:.75rem}:where(.fb-dt-status td){color:#64748b}"},
	// Markdown's tables scroll sideways on a narrow screen instead of
	// breaking their words, with light rules; quotes get a left rule.
	{fixedMarkdown, ":where(.fb-markdown table){display:block;max-width:100%;overflow-x:auto;border-collapse:collapse}:where(.fb-markdown th,.fb-markdown td){border:1px solid #e2e8f0;padding:.375rem .75rem;overflow-wrap:normal}:where(.fb-markdown blockquote){margin-left:0;padding-left:1rem;border-left:3px solid #e2e8f0;color:#475569}:where(.fb-markdown pre){overflow-x:auto;background:#f8fafc;padding:.75rem;border-radius:.375rem}"},
	{fixedData, ":where(.fb-data){border:1px dashed #cbd5e1;border-radius:.5rem;padding:1rem;min-height:6rem}"},
	{fixedClientIf, "[data-fb-if]:not([data-fb-show]){display:none!important}"},
	{fixedPlaceholder, ":where(.fb-placeholder){border:1px dashed #cbd5e1;min-height:2rem}"},
	{fixedToast, ":where(.fb-toasts){position:fixed;bottom:1rem;right:1rem;left:1rem;align-items:flex-end;display:flex;flex-direction:column;gap:.5rem;z-index:50;pointer-events:none}:where(.fb-toast){pointer-events:auto;max-width:100%;background:#0f172a;color:#fff;padding:.75rem 1rem;border-radius:.375rem;box-shadow:0 4px 12px rgba(0,0,0,.2)}"},
	// The builder's Badge: a pill, in four variants.
	{fixedBadge, ":where(.fb-badge){display:inline-flex;align-items:center;width:fit-content;max-width:100%;border-radius:9999px;border:1px solid transparent;padding:.125rem .625rem;font-size:.75rem;font-weight:600;line-height:1.4;background:#0f172a;color:#f8fafc}:where(.fb-badge-secondary){background:#f1f5f9;color:#0f172a}:where(.fb-badge-destructive){background:#ef4444;color:#fff}:where(.fb-badge-outline){background:transparent;color:inherit;border-color:currentColor}"},
	// A default button with no colour of its own, on a dark background,
	// takes the light colours (0,2,0: over a cssBundle's variant rule).
	{fixedInvert, ".fb-button.fb-on-dark{background:#f8fafc;color:#0f172a}"},
}

const (
	mediaMobile  = "@media (max-width:640px){"
	mediaTablet  = "@media (min-width:641px) and (max-width:1024px){"
	mediaDesktop = "@media (min-width:1025px){"
	hideRule     = "display:none!important;"
)
