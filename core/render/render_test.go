package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"html"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/frontbase/edge/core"
)

const fixtureGlob = "../../scripts/demo/pages/*.json"

// quietRenderer logs to a buffer instead of the test output.
func quietRenderer() (*Renderer, *bytes.Buffer) {
	var buf bytes.Buffer
	return New(slog.New(slog.NewTextHandler(&buf, nil))), &buf
}

// pageOf builds a page whose content is the JSON array components.
func pageOf(t testing.TB, components string) *core.Page {
	t.Helper()
	var p core.Page
	doc := `{"id":"p","slug":"t","title":"T","layoutData":{"content":` + components + `}}`
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("bad test page %s: %v", components, err)
	}
	return &p
}

func render(t testing.TB, r *Renderer, in Input) string {
	t.Helper()
	out, err := r.Render(in)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return string(out)
}

// body returns the part of a document inside the page root.
func body(doc string) string {
	_, after, _ := strings.Cut(doc, `<div class="fb-page fb-root">`)
	b, _, _ := strings.Cut(after, "</div></body></html>")
	return b
}

// generatedCSS returns the contents of the last <style> element.
func generatedCSS(doc string) string {
	i := strings.LastIndex(doc, "<style>")
	if i < 0 {
		return ""
	}
	css, _, _ := strings.Cut(doc[i+len("<style>"):], "</style>")
	return strings.TrimPrefix(css, baseRule) // on every page: tests look at the rest
}

func checkContains(t *testing.T, out string, want, notWant []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q\noutput: %s", w, out)
		}
	}
	for _, n := range notWant {
		if strings.Contains(out, n) {
			t.Errorf("output has %q\noutput: %s", n, out)
		}
	}
}

func TestComponents(t *testing.T) {
	tests := []struct {
		name       string
		components string
		want       []string // substrings of the body or style
		notWant    []string
	}{
		{"container", `[{"id":"c","type":"Container","children":[{"id":"t","type":"Text","props":{"text":"in"}}]}]`,
			[]string{`<div class="fb-container" data-fb-id="c"><p data-fb-id="t">in</p></div>`}, nil},
		{"box", `[{"id":"b","type":"Box"}]`, []string{`<div data-fb-id="b"></div>`}, []string{"<style>"}},
		{"row", `[{"id":"r","type":"Row"}]`,
			[]string{`<div class="fb-row" data-fb-id="r"></div>`, `.fb-row{display:flex;flex-direction:row}`}, nil},
		{"column", `[{"id":"c","type":"Column"}]`,
			[]string{`<div class="fb-column" data-fb-id="c"></div>`, `.fb-column{display:flex;flex-direction:column}`}, nil},
		{"stack", `[{"id":"s","type":"Stack"}]`,
			[]string{`<div class="fb-stack" data-fb-id="s"></div>`, `.fb-stack{display:flex;flex-direction:column}`}, nil},
		{"flex", `[{"id":"f","type":"Flex"}]`,
			[]string{`<div class="fb-flex" data-fb-id="f"></div>`, `.fb-flex{display:flex}`}, nil},
		{"grid", `[{"id":"g","type":"Grid"}]`,
			[]string{`<div class="fb-grid" data-fb-id="g"></div>`, `.fb-grid{display:grid}`}, nil},
		{"fixed rules only once", `[{"type":"Row"},{"type":"Row"}]`,
			[]string{`<div class="fb-row"></div><div class="fb-row"></div>`}, []string{"}.fb-row{"}},
		{"section with anchor", `[{"id":"s","type":"Section","props":{"anchor":"hero section!"}}]`,
			[]string{`<section id="herosection" data-fb-id="s"></section>`}, nil},
		{"anchor of nothing valid", `[{"id":"s","type":"Section","props":{"anchor":"!!"}}]`,
			[]string{`<section data-fb-id="s"></section>`}, []string{" id="}},
		{"heading level string", `[{"id":"h","type":"Heading","props":{"text":"Hi","level":"1"}}]`,
			[]string{`<h1 data-fb-id="h">Hi</h1>`}, nil},
		{"heading level number", `[{"id":"h","type":"Heading","props":{"text":"Hi","level":3}}]`,
			[]string{`<h3 data-fb-id="h">Hi</h3>`}, nil},
		{"heading default level", `[{"id":"h","type":"Heading","props":{"text":"Hi"}}]`,
			[]string{`<h2 data-fb-id="h">Hi</h2>`}, nil},
		{"heading clamp high", `[{"id":"h","type":"Heading","props":{"text":"Hi","level":"9"}}]`,
			[]string{`<h6 data-fb-id="h">Hi</h6>`}, nil},
		{"heading clamp low", `[{"id":"h","type":"Heading","props":{"text":"Hi","level":0}}]`,
			[]string{`<h1 data-fb-id="h">Hi</h1>`}, nil},
		{"heading bad level", `[{"id":"h","type":"Heading","props":{"text":"Hi","level":"big"}}]`,
			[]string{`<h2 data-fb-id="h">Hi</h2>`}, nil},
		{"text", `[{"id":"t","type":"Text","props":{"text":"Hello {{ page.title }}"}}]`,
			[]string{`<p data-fb-id="t">Hello T</p>`}, nil},
		{"paragraph", `[{"id":"p","type":"Paragraph","props":{"text":"Para"}}]`,
			[]string{`<p data-fb-id="p">Para</p>`}, nil},
		{"number text", `[{"id":"p","type":"Text","props":{"text":42}}]`,
			[]string{`<p data-fb-id="p">42</p>`}, nil},
		{"image with sizes", `[{"id":"i","type":"Image","props":{"src":"https://img.test/a.png","alt":"A","width":300,"height":"200px"}}]`,
			[]string{`<img class="fb-c1" data-fb-id="i" src="https://img.test/a.png" alt="A" width="300" height="200" loading="lazy" decoding="async">`,
				`.fb-c1{width:300px;aspect-ratio:300/200}`}, nil},
		{"image size not a whole number", `[{"type":"Image","props":{"src":"/a.png","width":12.5,"height":"1e3px"}}]`,
			[]string{`.fb-c1{width:12.5px;height:1e3px}`}, []string{`width="`, `height="`}},
		{"image with css sizes", `[{"id":"i","type":"Image","props":{"src":"/a.png","alt":"A","width":"100%","height":"auto","objectFit":"cover","borderRadius":"8px"}}]`,
			[]string{`<img class="fb-c1" data-fb-id="i" src="/a.png" alt="A" loading="lazy" decoding="async">`,
				`.fb-c1{width:100%;height:auto;object-fit:cover;border-radius:8px}`},
			[]string{`width="`, `height="`}},
		{"image data png", `[{"id":"i","type":"Image","props":{"src":"data:image/png;base64,iVBORw0KGgo=","alt":"dot"}}]`,
			[]string{`<img data-fb-id="i" src="data:image/png;base64,iVBORw0KGgo="`}, nil},
		{"image without src", `[{"id":"i","type":"Image","props":{"alt":"Team"}}]`,
			[]string{`<div class="fb-image-placeholder" data-fb-id="i" role="img" aria-label="Team"></div>`, `.fb-image-placeholder{`},
			[]string{"<img"}},
		{"link", `[{"id":"l","type":"Link","props":{"href":"/about","text":"About"}}]`,
			[]string{`<a data-fb-id="l" href="/about">About</a>`}, nil},
		{"link text defaults to href", `[{"id":"l","type":"Link","props":{"href":"mailto:a@b.test"}}]`,
			[]string{`<a data-fb-id="l" href="mailto:a@b.test">mailto:a@b.test</a>`}, nil},
		{"link tel and fragment", `[{"type":"Link","props":{"href":"tel:+123","text":"t"}},{"type":"Link","props":{"href":"#top","text":"f"}}]`,
			[]string{`<a href="tel:+123">t</a>`, `<a href="#top">f</a>`}, nil},
		{"link new tab", `[{"type":"Link","props":{"href":"https://x.test/","text":"x","target":"_blank"}}]`,
			[]string{`<a href="https://x.test/" target="_blank" rel="noopener noreferrer">x</a>`}, nil},
		{"button", `[{"id":"b","type":"Button","props":{"label":"Go"}}]`,
			[]string{`<button data-fb-id="b" class="fb-button fb-button-default fb-button-md" type="button">Go</button>`}, []string{"<a"}},
		{"button variant and size sanitised", `[{"id":"b","type":"Button","props":{"label":"Go","variant":"Out_line!","size":"LG"}}]`,
			[]string{`class="fb-button fb-button-outline fb-button-lg"`}, nil},
		{"button opens page", `[{"id":"b","type":"Button","props":{"label":"Start","size":"lg","actionBindings":[{"trigger":"onClick","actionType":"openPage","config":{"pageUrl":"/contact"}}]}}]`,
			[]string{`<a data-fb-id="b" class="fb-button fb-button-default fb-button-lg" href="/contact">Start</a>`}, []string{"<button"}},
		{"button opens page top-level pageUrl", `[{"id":"b","type":"Button","props":{"label":"Start","actionBindings":[{"actionType":"openPage","pageUrl":"/pricing"}]}}]`,
			[]string{`href="/pricing">Start</a>`}, nil},
		{"button other action", `[{"id":"b","type":"Button","props":{"label":"Save","actionBindings":[{"actionType":"runWorkflow","config":{"pageUrl":"/x"}}]}}]`,
			[]string{`<button data-fb-id="b"`}, []string{"href="}},
		{"badge", `[{"id":"bd","type":"Badge","props":{"text":"New"}}]`,
			[]string{`<span class="fb-badge fb-badge-default" data-fb-id="bd">New</span>`}, nil},
		{"badge variant", `[{"type":"Badge","props":{"text":"New","variant":"outline"}}]`,
			[]string{`<span class="fb-badge fb-badge-outline">New</span>`}, nil},
		{"divider", `[{"id":"d","type":"Divider"}]`, []string{`<hr data-fb-id="d">`}, []string{"</hr>"}},
		{"spacer default", `[{"id":"s","type":"Spacer"}]`,
			[]string{`<div class="fb-c1" data-fb-id="s" aria-hidden="true"></div>`, `.fb-c1{height:24px}`}, nil},
		{"spacer height", `[{"type":"Spacer","props":{"height":40}}]`, []string{`.fb-c1{height:40px}`}, nil},
		{"spacer size", `[{"type":"Spacer","props":{"size":"2rem"}}]`, []string{`.fb-c1{height:2rem}`}, nil},
		{"unknown", `[{"id":"u","type":"Carousel","children":[{"type":"Text","props":{"text":"kid"}}]}]`,
			[]string{`<div class="fb-placeholder" data-fb-id="u" data-fb-type="Carousel"><p>kid</p></div>`}, nil},
		{"leaf ignores children", `[{"type":"Heading","props":{"text":"H"},"children":[{"type":"Text","props":{"text":"lost"}}]}]`,
			[]string{`<h2>H</h2>`}, []string{"lost"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := quietRenderer()
			out := render(t, r, Input{Page: pageOf(t, tc.components), Path: "/"})
			checkContains(t, body(out)+"\n"+generatedCSS(out), tc.want, tc.notWant)
		})
	}
}

func TestStyles(t *testing.T) {
	tests := []struct {
		name       string
		components string
		want       []string // substrings of the generated style block
		notWant    []string
	}{
		{"values become a class rule",
			`[{"id":"a","type":"Box","stylesData":{"values":{"color":"red","padding":8,"lineHeight":1.5,"fontWeight":700,"zIndex":2,"opacity":0.5,"flex":1,"fontSize":"16"}}}]`,
			[]string{`.fb-c1{color:red;flex:1;font-size:16px;font-weight:700;line-height:1.5;opacity:0.5;padding:8px;z-index:2}`}, nil},
		{"kebab-case keys", `[{"type":"Box","stylesData":{"values":{"background-color":"#fff"}}}]`,
			[]string{`.fb-c1{background-color:#fff}`}, nil},
		{"older styles field", `[{"type":"Box","styles":{"values":{"color":"blue"}}}]`,
			[]string{`.fb-c1{color:blue}`}, nil},
		{"stylesData wins over styles", `[{"type":"Box","styles":{"values":{"color":"blue"}},"stylesData":{"values":{"color":"green"}}}]`,
			[]string{`.fb-c1{color:green}`}, []string{"blue"}},
		{"mobile override", `[{"type":"Heading","props":{"text":"x"},"stylesData":{"values":{"fontSize":"56px"},"viewportOverrides":{"mobile":{"fontSize":"36px"}}}}]`,
			[]string{`.fb-c1{font-size:56px}`, `@media (max-width:640px){.fb-c1{font-size:36px}}`}, nil},
		{"tablet override", `[{"type":"Box","stylesData":{"viewportOverrides":{"tablet":{"gap":12}}}}]`,
			[]string{`@media (min-width:641px) and (max-width:1024px){.fb-c1{gap:12px}}`}, []string{"}.fb-c1{gap", "max-width:640px"}},
		{"hidden on mobile", `[{"type":"Text","props":{"text":"x"},"visibility":{"mobile":false,"tablet":true}}]`,
			[]string{`@media (max-width:640px){.fb-c1{display:none!important}}`}, []string{"1024px", "1025px"}},
		{"hidden on tablet", `[{"type":"Text","visibility":{"tablet":false}}]`,
			[]string{`@media (min-width:641px) and (max-width:1024px){.fb-c1{display:none!important}}`}, []string{"640px", "1025px"}},
		{"hidden on desktop", `[{"type":"Text","visibility":{"desktop":false}}]`,
			[]string{`@media (min-width:1025px){.fb-c1{display:none!important}}`}, []string{"640px", "1024px"}},
		{"override and hide share a rule", `[{"type":"Text","stylesData":{"viewportOverrides":{"mobile":{"color":"red"}}},"visibility":{"mobile":false}}]`,
			[]string{`@media (max-width:640px){.fb-c1{color:red;display:none!important}}`}, nil},
		{"classes in document order, one media block", `[{"type":"Box","stylesData":{"values":{"color":"red"},"viewportOverrides":{"mobile":{"color":"blue"}}}},{"type":"Box"},{"type":"Box","stylesData":{"values":{"color":"green"},"viewportOverrides":{"mobile":{"color":"navy"}}}}]`,
			[]string{`.fb-c1{color:red}.fb-c2{color:green}@media (max-width:640px){.fb-c1{color:blue}.fb-c2{color:navy}}`}, []string{"fb-c3"}},
		{"components styled alike share a class", `[{"type":"Box","stylesData":{"values":{"color":"red"}}},{"type":"Box","stylesData":{"values":{"color":"red"}}},{"type":"Box","stylesData":{"values":{"color":"red"},"viewportOverrides":{"mobile":{"color":"blue"}}}},{"type":"Box","stylesData":{"values":{"color":"green"}}}]`,
			[]string{`.fb-c1{color:red}.fb-c2{color:red}.fb-c3{color:green}@media (max-width:640px){.fb-c2{color:blue}}`}, []string{"fb-c4"}},
		{"unknown property dropped", `[{"type":"Box","stylesData":{"values":{"behavior":"url(x.htc)","MozBinding":"url(x)","color":"red"}}}]`,
			[]string{`.fb-c1{color:red}`}, []string{"behavior", "binding"}},
		{"all dropped means no rule", `[{"type":"Box","stylesData":{"values":{"behavior":"x","color":{"nested":1}}}}]`,
			nil, []string{"fb-c1"}},
		{"relative and https url kept", `[{"type":"Box","stylesData":{"values":{"backgroundImage":"url('/bg.png')","background":"url(https://cdn.test/a.png) no-repeat"}}}]`,
			[]string{`background:url(https://cdn.test/a.png) no-repeat;background-image:url('/bg.png')`}, nil},
		{"functions with parentheses kept", `[{"type":"Box","stylesData":{"values":{"gridTemplateColumns":"repeat(3, minmax(0, 1fr))","boxShadow":"0 1px 3px rgba(0,0,0,.08)","fontFamily":"\"Inter\", sans-serif"}}}]`,
			[]string{`box-shadow:0 1px 3px rgba(0,0,0,.08)`, `font-family:"Inter", sans-serif`, `grid-template-columns:repeat(3, minmax(0, 1fr))`}, nil},
		{"unbalanced quote or parenthesis dropped", `[{"type":"Box","stylesData":{"values":{"fontFamily":"\"Inter","width":"calc(100% - 2px","color":"red"}}}]`,
			[]string{`.fb-c1{color:red}`}, []string{"Inter", "calc"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := quietRenderer()
			out := render(t, r, Input{Page: pageOf(t, tc.components)})
			if n := strings.Count(out, "<style>"); n > 1 {
				t.Errorf("%d style blocks, want at most 1 (no cssBundle)", n)
			}
			css := generatedCSS(out)
			checkContains(t, css, tc.want, tc.notWant)
			if tc.name == "tablet override" && !strings.HasPrefix(css, "@media") {
				t.Errorf("a base rule was written for a tablet-only override: %s", css)
			}
		})
	}
}

func TestNoStylesNoRule(t *testing.T) {
	r, _ := quietRenderer()
	out := render(t, r, Input{Page: pageOf(t, `[{"id":"a","type":"Text","props":{"text":"x"}}]`)})
	checkContains(t, out, []string{`<p data-fb-id="a">x</p>`}, []string{"class=\"fb-c"})
	if css := generatedCSS(out); css != "" {
		t.Errorf("a page without styles has rules beyond the base reset: %s", css)
	}
}

func TestStyledElementGetsItsClass(t *testing.T) {
	r, _ := quietRenderer()
	out := render(t, r, Input{Page: pageOf(t,
		`[{"id":"a","type":"Row","stylesData":{"values":{"gap":"8px"}}},{"id":"b","type":"Button","props":{"label":"x"},"stylesData":{"values":{"color":"red"}}}]`)})
	checkContains(t, out, []string{
		`<div class="fb-row fb-c1" data-fb-id="a">`,
		`class="fb-button fb-button-default fb-button-md fb-c2"`,
		`.fb-row{display:flex;flex-direction:row}`,
		`.fb-c1{gap:8px}.fb-c2{color:red}`,
	}, nil)
}

func TestHead(t *testing.T) {
	falseV := false
	tests := []struct {
		name     string
		page     core.Page
		settings *core.Settings
		path     string
		baseURL  string
		want     []string
		notWant  []string
	}{
		{"seo title, no site suffix",
			core.Page{Title: "Page", SEOData: &core.SEOData{Title: "SEO title", Description: "SEO desc", Keywords: []string{"a", " ", "b"}}},
			&core.Settings{SiteName: "Site"}, "/", "",
			[]string{`<title>SEO title</title>`, `<meta name="description" content="SEO desc">`, `<meta name="keywords" content="a, b">`,
				`<meta property="og:title" content="SEO title">`, `<meta property="og:description" content="SEO desc">`},
			[]string{"| Site", "canonical"}},
		{"page title with site name",
			core.Page{Title: "Pricing", Description: "Page desc"}, &core.Settings{SiteName: "Acme"}, "/pricing", "https://acme.test",
			[]string{`<title>Pricing | Acme</title>`, `<meta name="description" content="Page desc">`,
				`<link rel="canonical" href="https://acme.test/pricing">`},
			[]string{"keywords"}},
		{"name fallback, nil settings",
			core.Page{Name: "Only name"}, nil, "/", "",
			[]string{`<title>Only name</title>`}, []string{`name="description"`, "icon"}},
		{"title equal to site name is not doubled",
			core.Page{Title: "Acme"}, &core.Settings{SiteName: "Acme"}, "/", "",
			[]string{`<title>Acme</title>`}, nil},
		{"og image, seo canonical and favicon",
			core.Page{Title: "T", SEOData: &core.SEOData{OGImage: "https://img.test/og.png", Canonical: "https://www.acme.test/x"}},
			&core.Settings{FaviconURL: "/favicon.png"}, "/y", "https://other.test",
			[]string{`<meta property="og:image" content="https://img.test/og.png">`, `<link rel="canonical" href="https://www.acme.test/x">`,
				`<link rel="icon" href="/favicon.png">`},
			[]string{"other.test"}},
		{"relative og image and canonical refused",
			core.Page{Title: "T", SEOData: &core.SEOData{OGImage: "/og.png", Canonical: "/x"}}, nil, "/", "",
			nil, []string{"og:image", "canonical"}},
		{"homepage canonical",
			core.Page{Title: "T"}, nil, "/", "https://acme.test",
			[]string{`<link rel="canonical" href="https://acme.test/">`}, nil},
		{"private page not indexed",
			core.Page{Title: "T", IsPublic: &falseV}, nil, "/", "",
			[]string{`<meta name="robots" content="noindex">`}, nil},
		{"css bundle in its own style element",
			core.Page{Title: "T", CSSBundle: ".a{color:red}"}, nil, "/", "",
			[]string{`<meta name="twitter:title" content="T"><style>.a{color:red}</style>`}, nil},
		{"escaped head text",
			core.Page{Title: `A & "B"`, Description: "<d>"}, &core.Settings{SiteName: "S&S"}, "/", "",
			[]string{`<title>A &amp; &#34;B&#34; | S&amp;S</title>`, `content="&lt;d&gt;"`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := quietRenderer()
			p := tc.page
			out := render(t, r, Input{Page: &p, Settings: tc.settings, Path: tc.path, BaseURL: tc.baseURL})
			head, _, _ := strings.Cut(out, "</head>")
			if !strings.HasPrefix(head, `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`) {
				t.Errorf("document start: %s", head)
			}
			if !strings.HasSuffix(out, `<body><div class="fb-page fb-root"></div></body></html>`) {
				t.Errorf("document end: %s", out)
			}
			checkContains(t, head, tc.want, tc.notWant)
		})
	}
}

func TestZeroRenderer(t *testing.T) {
	var r Renderer
	out := render(t, &r, Input{Page: pageOf(t, `[{"type":"Mystery"}]`)})
	if !strings.Contains(out, `data-fb-type="Mystery"`) {
		t.Errorf("no placeholder: %s", out)
	}
}

func TestNilPage(t *testing.T) {
	r, _ := quietRenderer()
	if _, err := r.Render(Input{}); !errors.Is(err, ErrNoPage) {
		t.Fatalf("err = %v, want ErrNoPage", err)
	}
}

func TestUnknownTypeLoggedOnce(t *testing.T) {
	r, logs := quietRenderer()
	p := pageOf(t, `[
		{"id":"u1","type":"Carousel","children":[{"id":"h","type":"Heading","props":{"text":"Inside"}}]},
		{"id":"u2","type":"Carousel"},
		{"id":"u3","type":"Marquee"}]`)
	out := render(t, r, Input{Page: p})
	render(t, r, Input{Page: p}) // a second render remembers too
	checkContains(t, out, []string{
		`<div class="fb-placeholder" data-fb-id="u1" data-fb-type="Carousel"><h2 data-fb-id="h">Inside</h2></div>`,
		`<div class="fb-placeholder" data-fb-id="u2" data-fb-type="Carousel"></div>`,
		`data-fb-type="Marquee"`,
	}, nil)
	if n := strings.Count(logs.String(), "type=Carousel"); n != 1 {
		t.Errorf("Carousel logged %d times, want 1:\n%s", n, logs)
	}
	if n := strings.Count(logs.String(), "type=Marquee"); n != 1 {
		t.Errorf("Marquee logged %d times, want 1:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("not logged as a warning:\n%s", logs)
	}

	// A new Renderer has its own memory.
	r2, logs2 := quietRenderer()
	render(t, r2, Input{Page: p})
	if n := strings.Count(logs2.String(), "type=Carousel"); n != 1 {
		t.Errorf("second renderer logged Carousel %d times, want 1", n)
	}
}

func TestConcurrentRenders(t *testing.T) {
	r, logs := quietRenderer()
	p := loadFixture(t, "landing")
	want := render(t, r, Input{Page: p, Path: "/"})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				out, err := r.Render(Input{Page: p, Path: "/"})
				if err != nil || string(out) != want {
					t.Errorf("concurrent render differs (err %v)", err)
					return
				}
			}
		})
	}
	wg.Wait()
	_ = logs
}

func TestDeepTreeIsCut(t *testing.T) {
	const depth = 10000
	leaf := core.Component{Type: "Text", Props: map[string]any{"text": "bottom"}}
	for range depth {
		leaf = core.Component{Type: "Box", Children: []core.Component{leaf}}
	}
	r, _ := quietRenderer()
	out := render(t, r, Input{Page: &core.Page{LayoutData: core.LayoutData{Content: []core.Component{leaf}}}})
	if n := strings.Count(body(out), "<div>"); n != maxDepth {
		t.Errorf("%d levels rendered, want %d", n, maxDepth)
	}
	if strings.Count(body(out), "<div>") != strings.Count(body(out), "</div>") {
		t.Error("unbalanced divs")
	}
	if strings.Contains(out, "bottom") {
		t.Error("content below the depth limit rendered")
	}
}

func TestDeterministic(t *testing.T) {
	r, _ := quietRenderer()
	p := loadFixture(t, "landing")
	first := render(t, r, Input{Page: p})
	for range 20 {
		if render(t, r, Input{Page: p}) != first {
			t.Fatal("two renders of one page differ")
		}
	}
}

// fixtureFiles returns the demo pages; the test fails if there are none.
func fixtureFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(fixtureGlob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixture pages at %s (%v)", fixtureGlob, err)
	}
	return files
}

// fixturePageJSON returns the "page" member of a demo file.
func fixturePageJSON(t testing.TB, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Page json.RawMessage `json:"page"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Page) == 0 {
		t.Fatalf("%s: no page member (%v)", file, err)
	}
	return doc.Page
}

func loadFixture(t testing.TB, name string) *core.Page {
	t.Helper()
	var p core.Page
	if err := json.Unmarshal(fixturePageJSON(t, filepath.Join(filepath.Dir(fixtureGlob), name+".json")), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func headingTexts(cs []core.Component, into []string) []string {
	for i := range cs {
		if cs[i].Type == "Heading" {
			if s, ok := cs[i].Props["text"].(string); ok && s != "" {
				into = append(into, s)
			}
		}
		into = headingTexts(cs[i].Children, into)
	}
	return into
}

func TestFixturePages(t *testing.T) {
	settings := &core.Settings{SiteName: "Acme Edge", FaviconURL: "https://images.example.com/favicon.png"}
	total := 0
	for _, file := range fixtureFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			var p core.Page
			if err := json.Unmarshal(fixturePageJSON(t, file), &p); err != nil {
				t.Fatal(err)
			}
			r, _ := quietRenderer()
			out := render(t, r, Input{Page: &p, Settings: settings, Path: "/" + p.Slug, BaseURL: "https://acme.test"})
			headings := headingTexts(p.LayoutData.Content, nil)
			total += len(headings)
			liquid := strings.NewReplacer("{{ page.title }}", p.Title)
			for _, h := range headings {
				h = liquid.Replace(h)
				if !strings.Contains(out, ">"+html.EscapeString(h)+"</h") {
					t.Errorf("heading %q missing", h)
				}
			}
			if strings.Count(out, "<style") != strings.Count(out, "</style>") {
				t.Error("unbalanced style elements")
			}
			if foreignScript(out) {
				t.Error("script in output")
			}
			if strings.Contains(out, "fb-placeholder") {
				t.Error("a fixture component rendered as a placeholder")
			}
			if strings.Contains(out, "{{") || strings.Contains(out, "{%") {
				t.Error("Liquid left unrendered")
			}
		})
	}
	if total == 0 {
		t.Error("the fixtures hold no headings; the test checks nothing")
	}
}

func BenchmarkRenderLanding(b *testing.B) {
	p := loadFixture(b, "landing")
	r := New(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	in := Input{Page: p, Settings: &core.Settings{SiteName: "Acme Edge", FaviconURL: "https://images.example.com/favicon.png"}, Path: "/", BaseURL: "https://acme.test"}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := r.Render(in)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.SetBytes(int64(n))
}

func TestSharedClassOnElements(t *testing.T) {
	r, _ := quietRenderer()
	out := render(t, r, Input{Page: pageOf(t,
		`[{"id":"a","type":"Box","stylesData":{"values":{"color":"red"}}},{"id":"b","type":"Box","stylesData":{"values":{"color":"red"}}},{"id":"c","type":"Box","stylesData":{"values":{"color":"red"},"visibility":{}},"visibility":{"mobile":false}}]`)})
	checkContains(t, body(out), []string{
		`<div class="fb-c1" data-fb-id="a">`, `<div class="fb-c1" data-fb-id="b">`, `<div class="fb-c2" data-fb-id="c">`,
	}, nil)
	checkContains(t, generatedCSS(out), []string{`.fb-c1{color:red}.fb-c2{color:red}@media (max-width:640px){.fb-c2{display:none!important}}`}, nil)
}
