package dataproxy

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestByPath(t *testing.T) {
	var doc any
	json.Unmarshal([]byte(`{"rows": [1, 2], "results": [{"data": {"n": 3}}, {"data": 4}]}`), &doc)
	for _, tt := range []struct {
		path string
		want any
	}{
		{"", doc},
		{"rows", []any{1.0, 2.0}},
		{"rows.1", 2.0},
		{"results[0].data", map[string]any{"n": 3.0}},
		{"results[1].data", 4.0},
		{"results[0].data.n", 3.0},
		{"results[2].data", nil},
		{"rows.x", nil},
		{"missing", nil},
	} {
		if got := byPath(doc, tt.path); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("byPath(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}
