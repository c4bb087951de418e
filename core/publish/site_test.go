package publish

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestChunksStayUnderTheLimit: pages are kept whole, in order, and no
// chunk's body passes the limit unless one page alone does.
func TestChunksStayUnderTheLimit(t *testing.T) {
	var pages []sitePage
	for i, n := range []int{100, 300, 50, 900, 10, 10, 400} {
		pages = append(pages, sitePage{index: i, page: json.RawMessage(`"` + strings.Repeat("x", n) + `"`)})
	}
	for _, tc := range []struct {
		limit int
		want  string
	}{
		{limit: 1 << 20, want: "[0 1 2 3 4 5 6]"},
		{limit: 700, want: "[0 1 2] [3] [4 5 6]"},
		{limit: 400, want: "[0] [1] [2] [3] [4 5] [6]"},
		{limit: 10, want: "[0] [1] [2] [3] [4] [5] [6]"},
	} {
		var got []string
		for _, c := range chunk(pages, tc.limit) {
			idx := make([]int, len(c))
			size := 128
			for i, p := range c {
				idx[i] = p.index
				size += len(p.page) + 1
			}
			if len(c) > 1 && size > tc.limit {
				t.Errorf("limit %d: chunk %v is %d bytes", tc.limit, idx, size)
			}
			got = append(got, fmt.Sprint(idx))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("limit %d: chunks %s, want %s", tc.limit, strings.Join(got, " "), tc.want)
		}
	}
}
