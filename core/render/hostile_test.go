package render

import (
	"html"
	"regexp"
	"strings"
	"testing"
)

var (
	cssEscape    = regexp.MustCompile(`(?i)expression\(|url\(\s*['"]?\s*javascript:|-moz-binding|behavior:`)
	styleClosing = regexp.MustCompile(`(?i)</style`)
)

// TestHostileCatalogue sends hostile props through the whole catalogue,
// Liquid and the request scopes, and checks that nothing executable comes
// out: no foreign script element, no event handler attribute, no script
// URL in a link, source or form action, no CSS escape hatch, and style
// elements that close where they should.
func TestHostileCatalogue(t *testing.T) {
	const x = `<script>alert(1)</script>\" onerror=\"alert(1)`
	rq := &Request{
		Query:   map[string]string{"next": "javascript:alert(1)", "q": `"><script>alert(1)</script>`, "plan": "pro"},
		Cookies: map[string]string{"c": `</p><img src=x onerror=alert(1)>`},
		Visitor: Visitor{Referrer: `" onmouseover="alert(1)`},
	}
	tests := []struct{ name, components string }{
		{"liquid output", `[{"type":"Text","props":{"text":"{{ '<script>alert(1)</script>' }}{{ url.q }}{{ cookies.c }}"}}]`},
		{"liquid into href", `[{"type":"Link","props":{"text":"next","href":"{{ url.next }}"}},{"type":"Image","props":{"src":"{{ url.next }}","alt":"{{ visitor.referrer }}"}}]`},
		{"liquid raw filter is still escaped", `[{"type":"Text","props":{"text":"{{ url.q | raw }}{{ url.q | strip_html }}"}}]`},
		{"button actions", `[{"type":"Button","props":{"label":"` + x + `","actionBindings":[
			{"actionType":"openPage","config":{"pageUrl":"javascript:alert(1)"}},
			{"actionType":"openPage","config":{"pageUrl":" JaVaScRiPt:alert(1)","openInNewTab":true}},
			{"actionType":"runWorkflow","workflowId":"../../api/import"},
			{"actionType":"runWorkflow","workflowId":"wf","onSuccess":[{"type":"redirect","url":"javascript:alert(1)"},{"type":"toast","message":"` + x + `"}]},
			{"actionType":"scrollToSection","config":{"sectionId":"\"><script>"}},
			{"actionType":"setVariable","config":{"variableName":"a\"b","value":"x"}},
			{"actionType":"eval","config":{"code":"alert(1)"}}]}}]`},
		{"tabs accordion modal", `[{"type":"Tabs","props":{"tabs":[{"label":"` + x + `","content":"` + x + `"}]}},
			{"type":"Accordion","props":{"items":[{"title":"` + x + `","content":"` + x + `"}]}},
			{"type":"Modal","props":{"modalId":"\"><script>","title":"` + x + `","triggerLabel":"` + x + `"}}]`},
		{"landing sections", `[{"type":"Navbar","props":{"logo":{"text":"` + x + `","src":"javascript:alert(1)"},"links":[{"label":"` + x + `","href":"javascript:alert(1)"}]}},
			{"type":"Hero","props":{"title":"` + x + `","buttonText":"go","buttonLink":"javascript:alert(1)","image":"data:text/html,<script>"}},
			{"type":"Pricing","props":{"plans":[{"name":"` + x + `","features":["` + x + `"],"buttonText":"b","buttonLink":"vbscript:x"}]}},
			{"type":"LogoCloud","props":{"logos":[{"name":"` + x + `","src":"javascript:x","href":"javascript:x"}]}},
			{"type":"Footer","props":{"text":"` + x + `","links":[{"label":"a","href":"javascript:x"}]}}]`},
		{"form", `[{"type":"Form","props":{"fields":[{"name":"\" onfocus=\"alert(1)","label":"x"},{"name":"ok","label":"` + x + `","placeholder":"` + x + `","type":"\"><script>"}],"submitLabel":"` + x + `","actionBindings":[{"actionType":"runWorkflow","workflowId":"\" onsubmit=\"alert(1)"}]}}]`},
		{"embed", `[{"type":"Embed","props":{"url":"javascript:alert(1)"}},{"type":"Embed","props":{"url":"https://e.test/\" onload=\"alert(1)","title":"` + x + `"}},{"type":"Embed","props":{"html":"<script>alert(1)</script>"}}]`},
		{"markdown", `[{"type":"MarkdownContent","props":{"content":"<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[a](javascript:alert(1)) ![i](javascript:alert(1)) <a href=\"javascript:alert(1)\">b</a>\n\n` + "```html\\n<script>alert(1)</script>\\n```" + `"}}]`},
		{"conditions", `[{"type":"Text","props":{"text":"a"},"visibilityCondition":"local.x == '\"><script>alert(1)</script>'"},{"type":"Text","props":{"text":"b"},"visibilityCondition":"url.plan == 'pro' %}{% for i in (1..100000000) %}{% endfor %}{% if true"}]`},
		{"styles", `[{"type":"Box","stylesData":{"values":{"color":"red;}</style><script>alert(1)</script>","background":"url(javascript:alert(1))","width":"expression(alert(1))","behavior":"url(x.htc)"},"viewportOverrides":{"mobile":{"color":"}body{display:none"}}}},{"type":"Text","props":{"text":"t","color":"red;}</style><script>","align":"center;}*{x"}}]`},
		{"icons and misc", `[{"type":"Icon","props":{"name":"\" onload=\"alert(1)"}},{"type":"Avatar","props":{"src":"javascript:x","name":"` + x + `"}},{"type":"Label","props":{"text":"` + x + `","htmlFor":"\" onclick=\"x"}},{"type":"Radio","props":{"name":"\"x","options":[{"label":"` + x + `","value":"\" onclick=\"x"}]}},{"type":"Dropdown","props":{"label":"` + x + `","items":[{"label":"a","href":"javascript:x"}]}},{"type":"Tooltip","props":{"text":"` + x + `","content":"` + x + `"}},{"type":"DataTable","props":{"title":"` + x + `"},"binding":{"tableName":"<script>"}},{"type":"` + `<script>` + `"}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := quietRenderer()
			p := pageOf(t, tc.components)
			p.CSSBundle = `.a{color:red}</style><script>alert(1)</script>`
			out := render(t, r, Input{Page: p, Request: rq, Path: "/"})
			if foreignScript(out) {
				t.Errorf("script element in output:\n%s", out)
			}
			for _, a := range attributes(out) {
				name, value := strings.ToLower(a[0]), strings.ToLower(strings.TrimSpace(html.UnescapeString(a[1])))
				if strings.HasPrefix(name, "on") {
					t.Errorf("event handler attribute %s=%q in output:\n%s", a[0], a[1], out)
				}
				switch name {
				case "href", "src", "action", "formaction", "srcdoc", "data":
					if strings.HasPrefix(value, "javascript:") || strings.HasPrefix(value, "vbscript:") || strings.HasPrefix(value, "data:text") || name == "srcdoc" {
						t.Errorf("script URL %s=%q in output:\n%s", a[0], a[1], out)
					}
				}
			}
			if m := cssEscape.FindString(out); m != "" {
				t.Errorf("CSS escape %q in output:\n%s", m, out)
			}
			if o, c := strings.Count(strings.ToLower(out), "<style"), len(styleClosing.FindAllString(out, -1)); o != c {
				t.Errorf("%d <style against %d </style:\n%s", o, c, out)
			}
			if strings.Contains(out, "javascript:") && strings.Contains(out, "data-fb-actions") {
				if i := strings.Index(out, "data-fb-actions"); strings.Contains(out[i:], "javascript:") && strings.Contains(out[i:i+strings.Index(out[i:], ">")], "javascript") {
					t.Errorf("a script URL reached the runtime's actions:\n%s", out)
				}
			}
		})
	}
}

// attributes lists the [name, raw value] of every attribute of every tag
// in doc, parsing quoted values as a browser does.
func attributes(doc string) [][2]string {
	var out [][2]string
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
	for i := 0; i < len(doc); i++ {
		if doc[i] != '<' || i+1 >= len(doc) || !(doc[i+1] >= 'a' && doc[i+1] <= 'z' || doc[i+1] >= 'A' && doc[i+1] <= 'Z') {
			continue
		}
		j := i + 1
		for j < len(doc) && !isSpace(doc[j]) && doc[j] != '>' && doc[j] != '/' {
			j++
		}
		for j < len(doc) && doc[j] != '>' {
			if isSpace(doc[j]) || doc[j] == '/' {
				j++
				continue
			}
			k := j
			for k < len(doc) && !isSpace(doc[k]) && doc[k] != '=' && doc[k] != '>' && doc[k] != '/' {
				k++
			}
			name, value := doc[j:k], ""
			if k < len(doc) && doc[k] == '=' {
				k++
				if k < len(doc) && (doc[k] == '"' || doc[k] == '\'') {
					q := doc[k]
					end := strings.IndexByte(doc[k+1:], q)
					if end < 0 {
						end = len(doc) - k - 1
					}
					value = doc[k+1 : k+1+end]
					k += end + 2
				} else {
					v := k
					for k < len(doc) && !isSpace(doc[k]) && doc[k] != '>' {
						k++
					}
					value = doc[v:k]
				}
			}
			if name != "" {
				out = append(out, [2]string{name, value})
			}
			if k == j {
				k++
			}
			j = k
		}
		i = j
	}
	return out
}

// TestAttributesParser keeps the checker above honest.
func TestAttributesParser(t *testing.T) {
	got := attributes(`<p title="&#34; onclick=&#34;x">t</p><a href='javascript:x' onclick=y data-x>b</a>`)
	want := [][2]string{{"title", "&#34; onclick=&#34;x"}, {"href", "javascript:x"}, {"onclick", "y"}, {"data-x", ""}}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("attribute %d: got %q, want %q", i, got[i], want[i])
		}
	}
}
