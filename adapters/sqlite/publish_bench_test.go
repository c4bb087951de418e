package sqlite

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/frontbase/edge/core"
)

// BenchmarkPublishOneChangedOf500 republishes a 500-page site in which one
// page changed: one read of the stored hashes, one batch.
func BenchmarkPublishOneChangedOf500(b *testing.B) {
	s, err := Open(b.Context(), b.TempDir()+"/pages.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	site := func(rev int) core.PublishPagesInput {
		in := core.PublishPagesInput{}
		for i := range 500 {
			text := "x"
			if i == 0 {
				text = fmt.Sprint(rev)
			}
			doc := pageDoc(fmt.Sprintf("id-%d", i), fmt.Sprintf("slug-%d", i), i == 0, fmt.Sprintf(`"body":%q`, text))
			var p core.Page
			if err := json.Unmarshal([]byte(doc), &p); err != nil {
				b.Fatal(err)
			}
			in.Pages = append(in.Pages, core.PublishPageInput{Page: &p, Document: []byte(doc), ContentHash: fmt.Sprint(i, "-", text)})
		}
		return in
	}
	if _, err := s.PublishPages(b.Context(), site(-1)); err != nil {
		b.Fatal(err)
	}
	inputs := make([]core.PublishPagesInput, b.N)
	for i := range inputs {
		inputs[i] = site(i)
	}
	b.ResetTimer()
	for i := range b.N {
		res, err := s.PublishPages(b.Context(), inputs[i])
		if err != nil || !res.Changed {
			b.Fatal(res, err)
		}
	}
}
