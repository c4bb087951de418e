package core

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestComponentColumns(t *testing.T) {
	for _, tt := range []struct{ props, want string }{
		{`{}`, `null`},
		{`{"_columns": "id"}`, `null`},
		{`{"_columns": ["id", "total"]}`, `["id","total"]`},
		{`{"_columns": [{"name": "id"}, {"column_name": "total"}, {"column": "note"}, {"label": "no name"}, 7]}`, `["id","total","note"]`},
		{`{"_columns": [{"name": "", "column": "fallback"}]}`, `["fallback"]`},
	} {
		var c Component
		if err := json.Unmarshal([]byte(`{"props":`+tt.props+`}`), &c); err != nil {
			t.Fatal(err)
		}
		var want []string
		json.Unmarshal([]byte(tt.want), &want)
		if got := c.Columns(); !slices.Equal(got, want) {
			t.Errorf("Columns(%s) = %q, want %q", tt.props, got, want)
		}
	}
}
