package render

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

// liquidPage renders a page whose one Text holds tmpl.
func liquidOut(t *testing.T, tmpl string, in Input) (string, Deps, string) {
	t.Helper()
	js, _ := json.Marshal(tmpl)
	p := pageOf(t, `[{"id":"x","type":"Text","props":{"text":`+string(js)+`}}]`)
	p.Title, p.Slug, p.ID, p.Description = "Acme", "about", "p1", "About us"
	p.AppVariables = map[string]any{"tagline": "fast", "n": 3.0}
	in.Page = p
	r, logs := quietRenderer()
	res, err := r.RenderPage(in)
	if err != nil {
		t.Fatal(err)
	}
	b := body(string(res.HTML))
	b = strings.TrimPrefix(b, `<p data-fb-id="x">`)
	b, _, _ = strings.Cut(b, "</p>")
	return b, res.Deps, logs.String()
}

func TestLiquidScopes(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	rq := &Request{
		Query:   map[string]string{"plan": "pro", "q": "<b>"},
		Cookies: map[string]string{"theme": "dark"},
		Visitor: Visitor{Device: "mobile", Language: "fr", Referrer: "https://ref.test/", Country: "DE"},
		Now:     now,
	}
	in := Input{Path: "/about", BaseURL: "https://acme.test", Request: rq,
		Settings: &core.Settings{SiteName: "Acme Edge", AppURL: "https://acme.test"}}
	tests := []struct{ tmpl, want string }{
		{"{{ page.title }}|{{ page.slug }}|{{ page.id }}|{{ page.description }}", "Acme|about|p1|About us"},
		{"{{ page.url }}", "https://acme.test/about"},
		{"{{ system.year }}-{{ system.month }}-{{ system.day }} {{ system.date }} {{ system.time }} {{ system.timestamp }}", "2026-3-4 2026-03-04 05:06:07 " + "1772600767"},
		{"{{ url.plan }}", "pro"},
		{"{{ url.q }}", "&lt;b&gt;"}, // output is escaped like any text
		{"{{ cookies.theme }}", "dark"},
		{"{{ visitor.device }} {{ visitor.language }} {{ visitor.referrer }} {{ visitor.country }}", "mobile fr https://ref.test/ DE"},
		{"{{ app.tagline }} {{ app.n | plus: 1 }}", "fast 4"},
		{"{{ settings.siteName }}", "Acme Edge"},
		{"{% if url.plan == 'pro' %}PRO{% else %}free{% endif %}", "PRO"},
		{"{{ page.title | upcase }}", "ACME"},
		{"{% for i in (1..3) %}{{ i }}{% endfor %}", "123"},
		{"{% for i in (1..5) limit:2 offset:1 %}{{ i }}{% endfor %}", "23"},
		{"{% for i in (1..5) reversed %}{% if i == 2 %}{% break %}{% endif %}{{ i }}{% endfor %}", "543"},
		{"{% for i in (1..4) %}{% if i == 2 %}{% continue %}{% endif %}{{ forloop.index }}{% endfor %}", "134"},
		{"{% assign x = 'a' | append: 'b' %}{{ x }}", "ab"},
		{"{% capture c %}[{{ page.slug }}]{% endcapture %}{{ c }}", "[about]"},
		{"{{ 'a,b' | split: ',' | join: '+' }}", "a+b"},
		{"no template", "no template"},
		{"{{ missing.thing }}|", "|"},
	}
	for _, tc := range tests {
		t.Run(tc.tmpl, func(t *testing.T) {
			got, _, logs := liquidOut(t, tc.tmpl, in)
			if got != tc.want {
				t.Errorf("got %q, want %q (logs %s)", got, tc.want, logs)
			}
		})
	}
}

func TestLiquidNoRequest(t *testing.T) {
	got, _, _ := liquidOut(t, "[{{ url.plan }}{{ cookies.theme }}{{ visitor.device }}]", Input{})
	if got != "[]" {
		t.Errorf("got %q, want empty scopes", got)
	}
}

// TestLiquidBounds: hostile templates are cut off within the bounds and
// shown as written; the render finishes quickly and never fails.
func TestLiquidBounds(t *testing.T) {
	deep := strings.Repeat("{% if true %}", 300) + "x" + strings.Repeat("{% endif %}", 300)
	tests := []struct{ name, tmpl string }{
		{"huge loop", "{% for i in (1..1000000000) %}{% endfor %}done"},
		{"huge loop with output", "{% for i in (1..1000000000) %}x{% endfor %}"},
		{"nested loops", "{% for a in (1..1000) %}{% for b in (1..1000) %}{% for c in (1..1000) %}{% endfor %}{% endfor %}{% endfor %}"},
		{"loop by variable", "{% assign n = 2000000000 %}{% for i in (1..n) %}{% endfor %}"},
		{"doubling append", "{% assign s = 'xxxxxxxxxxxxxxxx' %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}"},
		{"doubling capture", "{% assign s = 'xxxxxxxxxxxxxxxx' %}{% for i in (1..40) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}{{ s | size }}"},
		{"replace blowup", "{% assign s = 'xxxxxxxxxxxxxxxx' %}{% for i in (1..40) %}{% assign s = s | replace: 'x', 'xx' %}{% endfor %}"},
		{"big output", "{% for i in (1..9000) %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}"},
		{"tablerow not offered", "{% tablerow i in (1..1000000000) %}{% endtablerow %}"},
		{"include not offered", "{% include 'x' %}"},
		{"too long", "{{ page.title }}" + strings.Repeat("x", maxTemplateBytes)},
		{"syntax error", "{% if %}"},
		{"deep nesting", deep},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			got, _, logs := liquidOut(t, tc.tmpl, Input{})
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if len(got) > maxLiquidOutput+len(tc.tmpl)*6 {
				t.Errorf("output of %d bytes", len(got))
			}
			_ = logs
		})
	}
	// A template over a bound is shown as written (escaped) and logged.
	got, _, logs := liquidOut(t, "{% for i in (1..1000000000) %}{% endfor %}done", Input{})
	if got != "{% for i in (1..1000000000) %}{% endfor %}done" {
		t.Errorf("cut-off template rendered as %q, want the raw text", got)
	}
	if !strings.Contains(logs, "Liquid template failed") {
		t.Errorf("not logged: %s", logs)
	}
	// Deep nesting within the size bound still renders.
	if got, _, _ := liquidOut(t, deep, Input{}); got != "x" {
		t.Errorf("deep nesting rendered %q", got)
	}
}

// TestLiquidBudgetPerRender: the iteration budget is shared by all
// templates of one page render, so many small loops cannot add up.
func TestLiquidBudgetPerRender(t *testing.T) {
	loop := `{"type":"Text","props":{"text":"{% for i in (1..4000) %}{% endfor %}ok"}}`
	p := pageOf(t, "["+loop+","+loop+","+loop+","+loop+"]")
	r, _ := quietRenderer()
	out := body(render(t, r, Input{Page: p}))
	if n := strings.Count(out, ">ok<"); n != 2 {
		t.Errorf("%d loops of 4000 rendered, want 2 within the budget of %d: %s", n, maxIterations, out)
	}
}

func TestDeps(t *testing.T) {
	tests := []struct {
		tmpl string
		want Deps
	}{
		{"{{ page.title }} url cookies visitor", Deps{}},
		{"{{ url.plan }} {{ url['utm-source'] }}", Deps{Query: []string{"plan", "utm-source"}}},
		{"{% for k in url %}{% endfor %}", Deps{AllQuery: true}},
		{"{{ cookies.theme }}{{ cookies.theme }}", Deps{Cookies: []string{"theme"}}},
		{"{{ visitor.device }}", Deps{Visitor: []string{"device"}}},
		{"{{ visitor }}", Deps{AllVisitor: true}},
		{"{{ system.year }}", Deps{Date: true}},
		{"{{ system.time }}", Deps{Clock: true}},
		{"{{ 'url.plan' }} {{ myurl.x }} {{ a.url.b }}", Deps{}},
		{"{% if local.seen %}{% endif %}", Deps{Client: true}},
		{"{{ 'now' | date: '%H:%M' }}", Deps{Clock: true}},
	}
	for _, tc := range tests {
		var d Deps
		d.scan(tc.tmpl)
		g, _ := json.Marshal(d)
		w, _ := json.Marshal(tc.want)
		if string(g) != string(w) {
			t.Errorf("%s: deps %s, want %s", tc.tmpl, g, w)
		}
	}
}

func TestDepsKey(t *testing.T) {
	d := Deps{Query: []string{"plan"}, Cookies: []string{"theme"}}
	a := d.Key(&Request{Query: map[string]string{"plan": "pro", "other": "1"}, Cookies: map[string]string{"theme": "dark"}})
	b := d.Key(&Request{Query: map[string]string{"plan": "pro", "other": "2"}, Cookies: map[string]string{"theme": "dark", "x": "y"}})
	c := d.Key(&Request{Query: map[string]string{"plan": "free"}, Cookies: map[string]string{"theme": "dark"}})
	e := d.Key(&Request{Cookies: map[string]string{"theme": "dark"}})
	f := d.Key(&Request{Query: map[string]string{"plan": ""}, Cookies: map[string]string{"theme": "dark"}})
	if a != b {
		t.Errorf("values the page does not read changed the key: %q %q", a, b)
	}
	for _, other := range []string{c, e, f} {
		if other == a {
			t.Errorf("different values share key %q", a)
		}
	}
	if e == f {
		t.Errorf("absent and empty share key %q", e)
	}
	// Quoting keeps values with separators apart.
	d2 := Deps{Query: []string{"a", "b"}}
	if d2.Key(&Request{Query: map[string]string{"a": `x";q:"b"="y`}}) == d2.Key(&Request{Query: map[string]string{"a": "x", "b": "y"}}) {
		t.Error("an injected separator forged another key")
	}
	if (&Deps{Date: true}).Key(nil) != "" || !(&Deps{Date: true}).Static() {
		t.Error("date-only pages are static per day")
	}
}

func TestVisibilityCondition(t *testing.T) {
	comps := `[{"id":"a","type":"Text","props":{"text":"pro"},"visibilityCondition":"url.plan == 'pro'"},
		{"id":"b","type":"Text","props":{"text":"dark"},"visibilityCondition":{"condition":"cookies.theme == 'dark'"}},
		{"id":"c","type":"Text","props":{"text":"client"},"visibilityCondition":"session.step > 1"},
		{"id":"d","type":"Text","props":{"text":"broken"},"visibilityCondition":"{% if"}]`
	tests := []struct {
		name    string
		rq      *Request
		want    []string
		notWant []string
	}{
		{"no request", nil, []string{`data-fb-if="session.step &gt; 1"`}, []string{">pro<", ">dark<", ">broken<"}},
		{"pro and dark", &Request{Query: map[string]string{"plan": "pro"}, Cookies: map[string]string{"theme": "dark"}},
			[]string{">pro<", ">dark<", ">client<"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := quietRenderer()
			res, err := r.RenderPage(Input{Page: pageOf(t, comps), Request: tc.rq})
			if err != nil {
				t.Fatal(err)
			}
			out := string(res.HTML)
			checkContains(t, out, tc.want, tc.notWant)
			if !strings.Contains(out, runtimeTag) || !strings.Contains(out, "[data-fb-if]:not([data-fb-show]){display:none!important}") {
				t.Error("client condition without the runtime or its hiding rule")
			}
			if !res.Deps.Client || len(res.Deps.Query) != 1 || len(res.Deps.Cookies) != 1 {
				t.Errorf("deps %+v", res.Deps)
			}
		})
	}
}

// TestLiquidAllocationBounds: no template can make the engine allocate
// more than a few MB, whatever allocates: a range turned into an array by
// a filter, a filter that grows a string or an array, nested captures, a
// literal the scanner cannot read. Each family is cut off and shown as
// written (or rendered within the bounds).
func TestLiquidAllocationBounds(t *testing.T) {
	const huge = "(1..100000000)"
	tests := []struct{ name, tmpl string }{
		{"range join", "{{ " + huge + " | join: ',' | size }}"},
		{"range size", "{{ " + huge + " | size }}"},
		{"range first", "{{ " + huge + " | first }}"},
		{"range last", "{{ " + huge + " | last }}"},
		{"range sort", "{{ " + huge + " | sort | first }}"},
		{"range sort_natural", "{{ " + huge + " | sort_natural | first }}"},
		{"range reverse", "{{ " + huge + " | reverse | first }}"},
		{"range uniq", "{{ " + huge + " | uniq | first }}"},
		{"range compact", "{{ " + huge + " | compact | first }}"},
		{"range map", "{{ " + huge + " | map: 'x' | first }}"},
		{"range concat", "{{ (1..2) | concat: " + huge + " | first }}"},
		{"range json", "{{ " + huge + " | json | size }}"},
		{"range by variable", "{% assign n = 100000000 %}{{ (1..n) | join }}"},
		{"assigned range", "{% assign r = " + huge + " %}{{ r | join }}"},
		{"split on nothing", "{% assign s = 'xxxxxxxxxxxxxxxx' %}{% for i in (1..10) %}{% assign s = s | append: s %}{% endfor %}{{ s | split: '' | size }}"},
		{"replace of nothing", "{% assign s = 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' %}{% for i in (1..10) %}{% assign s = s | replace: '', s %}{% endfor %}"},
		{"prepend doubling", "{% assign s = 'xxxxxxxxxxxxxxxx' %}{% for i in (1..40) %}{% assign s = s | prepend: s %}{% endfor %}"},
		{"join of split", "{% assign s = 'x,x,x,x,x,x,x,x' %}{% for i in (1..12) %}{% assign s = s | split: ',' | concat: (1..8) | join: s %}{% endfor %}"},
		{"nested captures", "{% capture a %}{% for i in (1..100) %}{% capture b %}{% for j in (1..100) %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}{% endcapture %}{{ b }}{% endfor %}{% endcapture %}{{ a | size }}"},
		{"overflowing literal", "{{ 9999999999999999999999 }}"},
		{"overflowing literal in a tag", "{% if 9999999999999999999999 > 1 %}x{% endif %}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			got, _, _ := liquidOut(t, tc.tmpl, Input{})
			runtime.ReadMemStats(&after)
			if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; mb > 32 {
				t.Errorf("allocated %d MB", mb)
			}
			if len(got) > maxLiquidOutput+len(tc.tmpl)*6 {
				t.Errorf("output of %d bytes", len(got))
			}
		})
	}
	// Within the bounds, the wrapped filters behave as the standard ones.
	for tmpl, want := range map[string]string{
		"{{ (1..5) | join: '-' }}":                        "1-2-3-4-5",
		"{{ (1..3) | reverse | join }}":                   "3 2 1",
		"{{ 'a b  c' | split: ' ' | size }}":              "3",
		"{{ 'a,b,,' | split: ',' | size }}":               "2",
		"{{ 'b,a,b' | split: ',' | uniq | sort | join }}": "a b",
		"{{ (1..3) | map: 'x' | uniq | size }}":           "1",
		"{{ 'abc' | replace: '', '-' }}":                  "-a-b-c-",
		"{{ 'ab' | json }}":                               "&#34;ab&#34;",
		"{{ (1..1024) | size }}":                          "1024",
		"{{ (1..1025) | size }}":                          "{{ (1..1025) | size }}",
	} {
		if got, _, logs := liquidOut(t, tmpl, Input{}); got != want {
			t.Errorf("%s = %q, want %q (%s)", tmpl, got, want, logs)
		}
	}
}
