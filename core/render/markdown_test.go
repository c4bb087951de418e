package render

import (
	"strings"
	"testing"
)

// TestMarkdownHTML pins what MarkdownContent's Markdown becomes: the GitHub
// extensions it promises, and the URL checks every component's links pass.
func TestMarkdownHTML(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // each must appear in the output
		not       []string // none may appear
	}{
		{"table with alignment", "| a | b |\n|---|:-:|\n| 1 | 2 |", []string{"<table>", "<th>a</th>", `<td align="center">2</td>`}, nil},
		{"strikethrough", "~~gone~~", []string{"<del>gone</del>"}, nil},
		{"bare URL becomes a link", "see https://frontbase.test/x?q=1", []string{`<a href="https://frontbase.test/x?q=1">`}, nil},
		{"relative, fragment, mailto and tel links are kept", "[a](docs/page) [b](#top) [c](mailto:a@b.test) [d](tel:+1555)",
			[]string{`href="docs/page"`, `href="#top"`, `href="mailto:a@b.test"`, `href="tel:+1555"`}, nil},
		{"script URLs are emptied", "[a](javascript:alert(1)) [b]( JaVaScRiPt:x) [c](vbscript:x) [d](data:text/html,x)",
			[]string{`<a href="">a</a>`, `<a href="">d</a>`}, []string{"script:", "data:"}},
		{"images take data images only", "![ok](data:image/png;base64,iVBO) ![no](data:image/svg+xml,<svg>) ![js](javascript:x)",
			[]string{`src="data:image/png;base64,iVBO"`, `<img src="" alt="no">`}, []string{"svg+xml", "javascript"}},
		{"raw HTML is left out", "<script>alert(1)</script>\n\ntext <b onclick=x>bold</b>", []string{"<p>text bold</p>"}, []string{"<script", "<b", "onclick"}},
		{"entities are decoded, markup is escaped", "a&copy;b &lt;i&gt;", []string{"<p>a©b &lt;i&gt;</p>"}, nil},
		{"CommonMark headings and code", "# Title\n\n```go\nx := 1 < 2\n```", []string{"<h1>Title</h1>", `<code class="language-go">x := 1 &lt; 2`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, ok := markdownHTML([]byte(tc.src))
			if !ok {
				t.Fatalf("markdownHTML(%q) failed", tc.src)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("missing %q in:\n%s", w, out)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(strings.ToLower(string(out)), n) {
					t.Errorf("unexpected %q in:\n%s", n, out)
				}
			}
		})
	}
}
