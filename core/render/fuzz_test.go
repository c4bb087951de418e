package render

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/frontbase/edge/core"
)

// FuzzRenderPage renders arbitrary page documents: rendering must not
// fail or panic, must emit no script, and must close every style element
// it opens.
func FuzzRenderPage(f *testing.F) {
	for _, file := range fixtureFiles(f) {
		// Compacted: smaller inputs mutate and minimise faster.
		var seed bytes.Buffer
		if err := json.Compact(&seed, fixturePageJSON(f, file)); err != nil {
			f.Fatal(err)
		}
		f.Add(seed.Bytes())
	}
	f.Add([]byte(`{"cssBundle":"</style><script>alert(1)</script>","layoutData":{"content":[{"type":"Text","props":{"text":"<script>"}}]}}`))
	f.Add([]byte(`{"layoutData":{"content":[{"type":"Box","stylesData":{"values":{"color":"red;}</style><script>"},"viewportOverrides":{"mobile":{"width":"url(javascript:x)"}}},"visibility":{"desktop":false}}]}}`))
	f.Add([]byte(`{"layoutData":{"content":[{"type":"Link","props":{"href":" JaVaScRiPt:alert(1)"}},{"type":"Image","props":{"src":"data:text/html,x","width":1e300}},{"type":"Heading","props":{"level":-1e300}}]}}`))

	r := New(slog.New(slog.DiscardHandler))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p core.Page
		if json.Unmarshal(data, &p) != nil {
			return
		}
		out, err := r.Render(Input{Page: &p, Settings: &core.Settings{SiteName: "S", FaviconURL: p.Slug}, Path: "/" + p.Slug, BaseURL: "https://acme.test"})
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		lower := bytes.ToLower(out)
		if foreignScript(string(out)) {
			t.Fatalf("output holds <script:\n%s", out)
		}
		if o, c := bytes.Count(lower, []byte("<style")), bytes.Count(lower, []byte("</style>")); o != c {
			t.Fatalf("%d <style against %d </style>:\n%s", o, c, out)
		}
		if !bytes.HasSuffix(out, []byte("</div></body></html>")) && !bytes.HasSuffix(out, []byte("</div></div></body></html>")) {
			t.Fatalf("document not closed:\n%s", out)
		}
	})
}
