package render

import (
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/frontbase/edge/core"
)

var (
	classRule = regexp.MustCompile(`\.fb-c(\d+)\{([^}]*)\}`)
	classUse  = regexp.MustCompile(`[ "]fb-c(\d+)`)
)

// TestStyleBlockSize measures the landing page's generated style block
// against the inline style attributes its class rules replace. Media
// rules (viewport overrides, visibility) have no inline form. Run with -v
// to see the numbers.
func TestStyleBlockSize(t *testing.T) {
	p := loadFixture(t, "landing")
	r, _ := quietRenderer()
	out := render(t, r, Input{Page: p, Path: "/"})
	block := generatedCSS(out)

	// The generated media block follows the first generated class rule
	// (a component base rule may hold a media query of its own before it).
	base, media := block, ""
	if first := strings.Index(block, ".fb-c"); first >= 0 {
		if i := strings.Index(block[first:], "@media"); i >= 0 {
			base, media = block[:first+i], block[first+i:]
		}
	}
	// Only the rules of generated classes (not the component base rules,
	// which an inline-style renderer would need in some form too). Classes
	// are shared by components styled alike, so the inline equivalent is
	// counted per element that uses a class.
	classRules, n := 0, 0
	decls := map[string]string{}
	for _, m := range classRule.FindAllStringSubmatch(base, -1) {
		classRules += len(m[0])
		decls[m[1]] = m[2]
		n++
	}
	inline, classAttrs, uses := 0, 0, 0
	for _, m := range classUse.FindAllStringSubmatch(body(out), -1) {
		classAttrs += len(m[0])
		if d, ok := decls[m[1]]; ok {
			inline += len(` style=""`) + len(d)
			uses++
		}
	}
	t.Logf("landing: style block %d bytes = %d bytes of rules for %d generated classes + %d bytes of media rules + %d bytes of component base rules; "+
		"the same base declarations as inline style attributes on the %d elements using them: %d bytes (the class references cost %d bytes); media rules have no inline form",
		len(block), classRules, n, len(media), len(base)-classRules, uses, inline, classAttrs)
	if n == 0 || !strings.Contains(media, "max-width:640px") {
		t.Fatal("nothing measured")
	}
}

// BenchmarkRenderLandingCold renders the landing page with the parsed
// template cache emptied before every render: the cost of a page's first
// render on a fresh instance.
func BenchmarkRenderLandingCold(b *testing.B) {
	p := loadFixture(b, "landing")
	r := New(slog.New(slog.DiscardHandler))
	in := Input{Page: p, Settings: &core.Settings{SiteName: "Acme Edge", FaviconURL: "https://images.example.com/favicon.png"}, Path: "/", BaseURL: "https://acme.test"}
	b.ReportAllocs()
	for b.Loop() {
		parsed.Lock()
		clear(parsed.m)
		parsed.bytes = 0
		parsed.Unlock()
		if _, err := r.Render(in); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCSSPerPage logs the bytes of the engine's own style block (base,
// component and generated rules; the page's cssBundle is not counted) of
// every demo page. Run with -v to see the numbers.
func TestCSSPerPage(t *testing.T) {
	r, _ := quietRenderer()
	total := 0
	for _, name := range []string{"landing", "about", "contact", "docs-getting-started", "pricing", "members"} {
		p := loadFixture(t, name)
		out := render(t, r, Input{Page: p, Path: "/" + name})
		n := len(generatedCSS(out))
		if n > 0 || strings.Contains(out, "<style>"+baseRule) {
			n += len(baseRule)
		}
		total += n
		t.Logf("%-22s engine CSS %5d bytes (cssBundle %d bytes, document %d bytes)", name, n, len(p.CSSBundle), len(out))
	}
	t.Logf("%-22s engine CSS %5d bytes (of which the base reset: %d bytes a page)", "all six", total, len(baseRule))
}
