package render

import (
	"strings"
	"testing"

	"github.com/frontbase/edge/core"
)

// TestXSS feeds hostile content through every way into the document and
// checks that none of it comes out in a form a browser would run.
func TestXSS(t *testing.T) {
	tests := []struct {
		name       string
		components string
		page       func(*core.Page)
		settings   *core.Settings
		want       []string
		notWant    []string // checked case-insensitively
	}{
		{name: "script in text",
			components: `[{"type":"Text","props":{"text":"<script>alert(1)</script>"}}]`,
			want:       []string{`&lt;script&gt;alert(1)&lt;/script&gt;`}},
		{name: "script in heading",
			components: `[{"type":"Heading","props":{"text":"</h2><script>alert(1)</script>"}}]`,
			want:       []string{`<h2>&lt;/h2&gt;&lt;script&gt;`}},
		{name: "attribute breakout in alt",
			components: `[{"type":"Image","props":{"src":"/a.png","alt":"\" onmouseover=\"alert(1)"}}]`,
			want:       []string{`alt="&#34; onmouseover=&#34;alert(1)"`},
			notWant:    []string{`" onmouseover=`}},
		{name: "attribute breakout in placeholder label",
			components: `[{"type":"Image","props":{"alt":"\" onmouseover=\"alert(1)"}}]`,
			want:       []string{`aria-label="&#34; onmouseover=&#34;alert(1)"`},
			notWant:    []string{`" onmouseover=`}},
		{name: "javascript href",
			components: `[{"type":"Link","props":{"href":"javascript:alert(1)","text":"x"}}]`,
			want:       []string{`<a href="#">x</a>`},
			notWant:    []string{"javascript:"}},
		{name: "mixed case javascript href with spaces",
			components: `[{"type":"Link","props":{"href":" JaVaScRiPt:alert(1)","text":"x"}}]`,
			want:       []string{`<a href="#">x</a>`},
			notWant:    []string{"javascript:"}},
		{name: "javascript href with tab",
			components: `[{"type":"Link","props":{"href":"java\tscript:alert(1)","text":"x"}}]`,
			want:       []string{`<a href="#">x</a>`},
			notWant:    []string{"script:"}},
		{name: "javascript href with leading control character",
			components: `[{"type":"Link","props":{"href":"\u0001javascript:alert(1)","text":"x"}}]`,
			want:       []string{`<a href="#">x</a>`},
			notWant:    []string{"javascript:"}},
		{name: "vbscript href",
			components: `[{"type":"Link","props":{"href":"vbscript:msgbox(1)","text":"x"}}]`,
			want:       []string{`<a href="#">x</a>`},
			notWant:    []string{"vbscript:"}},
		{name: "data html href",
			components: `[{"type":"Link","props":{"href":"data:text/html,<script>alert(1)</script>","text":"x"}}]`,
			want:       []string{`<a href="#">x</a>`},
			notWant:    []string{"data:"}},
		{name: "javascript href without text shows no url",
			components: `[{"type":"Link","props":{"href":"javascript:alert(1)"}}]`,
			want:       []string{`<a href="#"></a>`},
			notWant:    []string{"javascript:"}},
		{name: "quote in safe href",
			components: `[{"type":"Link","props":{"href":"/a\"onclick=\"alert(1)","text":"x"}}]`,
			want:       []string{`href="/a&#34;onclick=&#34;alert(1)"`},
			notWant:    []string{`"onclick="`}},
		{name: "javascript src",
			components: `[{"type":"Image","props":{"src":"javascript:alert(1)","alt":"a"}}]`,
			want:       []string{`class="fb-image-placeholder"`},
			notWant:    []string{"javascript:", "<img"}},
		{name: "mixed case javascript src",
			components: `[{"type":"Image","props":{"src":" JaVaScRiPt:alert(1)","alt":"a"}}]`,
			want:       []string{`class="fb-image-placeholder"`},
			notWant:    []string{"javascript:", "<img"}},
		{name: "data html src",
			components: `[{"type":"Image","props":{"src":"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==","alt":"a"}}]`,
			want:       []string{`class="fb-image-placeholder"`},
			notWant:    []string{"data:", "<img"}},
		{name: "data svg src",
			components: `[{"type":"Image","props":{"src":"data:image/svg+xml;base64,PHN2Zz4=","alt":"a"}}]`,
			notWant:    []string{"data:", "<img"}},
		{name: "data png src that is not base64",
			components: `[{"type":"Image","props":{"src":"data:image/png;base64,<svg onload=alert(1)>","alt":"a"}}]`,
			notWant:    []string{"data:", "<img", "<svg"}},
		{name: "javascript page url on a button",
			components: `[{"type":"Button","props":{"label":"x","actionBindings":[{"actionType":"openPage","config":{"pageUrl":"javascript:alert(1)"}}]}}]`,
			want:       []string{`<button class="fb-button fb-button-default fb-button-md" type="button">x</button>`},
			notWant:    []string{"javascript:", "href="}},
		{name: "class breakout in button variant",
			components: `[{"type":"Button","props":{"label":"x","variant":"\"><script>alert(1)</script>","size":"\" onclick=\"x"}}]`,
			want:       []string{`class="fb-button fb-button-scriptalert1script fb-button-onclickx"`},
			notWant:    []string{`" onclick`}},
		{name: "class breakout in badge variant",
			components: `[{"type":"Badge","props":{"text":"b","variant":"x\" onclick=\"y"}}]`,
			want:       []string{`class="fb-badge fb-badge-xonclicky"`},
			notWant:    []string{`" onclick`}},
		{name: "id breakout in anchor",
			components: `[{"type":"Section","props":{"anchor":"x\" onclick=\"alert(1)"}}]`,
			want:       []string{`<section id="xonclickalert1">`}},
		{name: "attribute breakout in component id",
			components: `[{"id":"\"><script>alert(1)</script>","type":"Box"}]`,
			want:       []string{`data-fb-id="&#34;&gt;&lt;script&gt;`}},
		{name: "markup in unknown type",
			components: `[{"type":"\"><script>alert(1)</script>"}]`,
			want:       []string{`data-fb-type="&#34;&gt;&lt;script&gt;`}},
		{name: "style element breakout in style value",
			components: `[{"type":"Box","stylesData":{"values":{"color":"</style><script>alert(1)</script>"}}}]`,
			notWant:    []string{"</style><script", "alert"}},
		{name: "rule breakout in style value",
			components: `[{"type":"Box","stylesData":{"values":{"color":"red;}body{display:none","padding":"1px"}}}]`,
			want:       []string{`.fb-c1{padding:1px}`},
			notWant:    []string{"body{", "display:none"}},
		{name: "javascript url in style value",
			components: `[{"type":"Box","stylesData":{"values":{"backgroundImage":"url(javascript:alert(1))","background":"URL( 'JavaScript:alert(1)' )"}}}]`,
			notWant:    []string{"javascript", "url("}},
		{name: "data url in style value",
			components: `[{"type":"Box","stylesData":{"values":{"backgroundImage":"url(data:text/html,x)"}}}]`,
			notWant:    []string{"data:", "url("}},
		{name: "expression, comment, escape and at-rule in style values",
			components: `[{"type":"Box","stylesData":{"values":{"width":"expression(alert(1))","color":"red/*","height":"\\75rl(x)","margin":"@import x","top":"1px\n}"}}}]`,
			notWant:    []string{"expression", "/*", "\\75", "@import", "top:"}},
		{name: "hostile values in viewport overrides",
			components: `[{"type":"Box","stylesData":{"viewportOverrides":{"mobile":{"color":"</style><script>alert(1)</script>","gap":"1px;}*{x:y"}}}}]`,
			notWant:    []string{"<script", "alert", "*{", "max-width:640px"}},
		{name: "hostile spacer height",
			components: `[{"type":"Spacer","props":{"height":"1px}</style><script>alert(1)</script>"}}]`,
			want:       []string{`.fb-c1{height:24px}`},
			notWant:    []string{"alert"}},
		{name: "hostile image sizes",
			components: `[{"type":"Image","props":{"src":"/a.png","width":"1\" onerror=\"alert(1)","height":"x;}</style>","objectFit":"cover}body{x:y"}}]`,
			// The width is well-formed enough to reach the style sheet, where
			// quotes do no harm; nothing reaches the img tag.
			want:    []string{`<img class="fb-c1" src="/a.png" alt="" loading="lazy" decoding="async">`},
			notWant: []string{"body{", "x;}"}},
		{name: "style breakout in css bundle",
			page:    func(p *core.Page) { p.CSSBundle = `.a{color:red}</style><script>alert(1)</script><style>` },
			want:    []string{`.a{color:red}<\/style><\script>alert(1)<\/script><\style>`},
			notWant: []string{"</style><script"}},
		{name: "upper-case style close in css bundle",
			page:    func(p *core.Page) { p.CSSBundle = `</STYLE ><SCRIPT>alert(1)</SCRIPT>` },
			notWant: []string{"</style >"}},
		{name: "markup in seo fields",
			page: func(p *core.Page) {
				p.SEOData = &core.SEOData{Title: "</title><script>alert(1)</script>", Description: `"><script>alert(1)</script>`,
					Keywords: []string{`"><script>`}}
			},
			want: []string{`<title>&lt;/title&gt;&lt;script&gt;`}},
		{name: "javascript og image, canonical and favicon",
			page: func(p *core.Page) {
				p.SEOData = &core.SEOData{OGImage: "javascript:alert(1)", Canonical: " JaVaScRiPt:alert(1)"}
			},
			settings: &core.Settings{FaviconURL: "javascript:alert(1)", SiteName: "<script>"},
			notWant:  []string{"javascript:", "og:image", "canonical", `rel="icon"`}},
		{name: "data favicon",
			settings: &core.Settings{FaviconURL: "data:text/html,<script>alert(1)</script>"},
			notWant:  []string{`rel="icon"`, "data:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			components := tc.components
			if components == "" {
				components = "[]"
			}
			p := pageOf(t, components)
			if tc.page != nil {
				tc.page(p)
			}
			r, _ := quietRenderer()
			out := render(t, r, Input{Page: p, Settings: tc.settings, Path: "/"})
			lower := strings.ToLower(out)
			if foreignScript(out) {
				t.Errorf("output holds <script:\n%s", out)
			}
			if o, c := strings.Count(lower, "<style"), strings.Count(lower, "</style"); o != c {
				t.Errorf("%d <style against %d </style:\n%s", o, c, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tc.notWant {
				if strings.Contains(lower, strings.ToLower(n)) {
					t.Errorf("output holds %q:\n%s", n, out)
				}
			}
		})
	}
}

func TestSafeURL(t *testing.T) {
	tests := []struct {
		in        string
		href, src bool
	}{
		{"https://a.test/x?y=1#z", true, true},
		{"http://a.test", true, true},
		{"HTTPS://A.TEST/", true, true},
		{"/about", true, true},
		{"about", true, true},
		{"./a:b", true, true},
		{"#top", true, true},
		{"?q=1", true, true},
		{"//cdn.test/a.png", true, true},
		{"mailto:a@b.test", true, false},
		{"tel:+1234", true, false},
		{"data:image/png;base64,iVBORw0KGgo=", false, true},
		{"DATA:IMAGE/WEBP;BASE64,AAAA", false, true},
		{"data:image/svg+xml;base64,PHN2Zz4=", false, false},
		{"data:image/png,raw", false, false},
		{"data:text/html,<script>", false, false},
		{"javascript:alert(1)", false, false},
		{" JaVaScRiPt:alert(1)", false, false},
		{"java\nscript:alert(1)", false, false},
		{"/a\tb", false, false},
		{"vbscript:x", false, false},
		{"ftp://a.test/", false, false},
		{"http:/nohost", false, false},
		{"https://", false, false},
		{"%zz", false, false},
		{"", false, false},
		{"   ", false, false},
	}
	for _, tc := range tests {
		if _, ok := safeHref(tc.in); ok != tc.href {
			t.Errorf("safeHref(%q) = %v, want %v", tc.in, ok, tc.href)
		}
		if _, ok := safeSrc(tc.in); ok != tc.src {
			t.Errorf("safeSrc(%q) = %v, want %v", tc.in, ok, tc.src)
		}
	}
}
