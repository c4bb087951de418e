package workflow

import (
	"context"
	"strings"
	"testing"
	"time"
)

// sqlSource stands for a configured SQL source in deploy checks.
type sqlSource struct{}

func (sqlSource) Do(context.Context, *DataRequest) (*DataResult, error) { return &DataResult{}, nil }
func (sqlSource) SQL() bool                                             { return true }

func TestDataValidationErrorsHavePaths(t *testing.T) {
	supa, _ := NewPostgREST("https://ref.supabase.co", "k", true, nil)
	sources := map[string]DataSource{"main": sqlSource{}, "supa": supa}
	trig := nd{id: "t", typ: "trigger"}
	dr := func(in map[string]any) []nd {
		m := map[string]any{"dataSource": "main", "table": "contacts"}
		for k, v := range in {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return []nd{trig, {id: "d", typ: "data_request", in: m}}
	}
	dc := func(in map[string]any) []nd {
		m := map[string]any{"dataSource": "main", "table": "contacts", "timestampColumn": "updated_at"}
		for k, v := range in {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return []nd{{id: "t", typ: "data_change_trigger", in: m}, {id: "l", typ: "log"}}
	}
	p := "nodes[1].data.inputs."
	tests := []struct {
		name     string
		nodes    []nd
		edge     string
		path     string
		contains string
	}{
		{"unknown source", dr(map[string]any{"dataSource": "other"}), "t->d", p + "dataSource", `no data source "other" (configured: main, supa)`},
		{"source as expression", dr(map[string]any{"dataSource": "{{ $trigger.db }}"}), "t->d", p + "dataSource", "not an expression"},
		{"missing table", dr(map[string]any{"table": nil}), "t->d", p + "table", "required"},
		{"table injection", dr(map[string]any{"table": "contacts; DROP TABLE x"}), "t->d", p + "table", "not a plain identifier"},
		{"table expression", dr(map[string]any{"table": "{{ $trigger.t }}"}), "t->d", p + "table", "not an expression"},
		{"bad operation", dr(map[string]any{"operation": "truncate"}), "t->d", p + "operation", `"truncate" is not one of`},
		{"select field", dr(map[string]any{"selectFields": []any{"email", "x y"}}), "t->d", p + "selectFields[1]", "not a plain identifier"},
		{"order by", dr(map[string]any{"orderBy": "score sideways"}), "t->d", p + "orderBy", "not asc or desc"},
		{"limit", dr(map[string]any{"limit": "lots"}), "t->d", p + "limit", "whole number"},
		{"where field", dr(map[string]any{"whereConditions": []any{map[string]any{"field": "a-b", "value": 1}}}), "t->d", p + "whereConditions[0].field", "not a plain identifier"},
		{"where operator", dr(map[string]any{"whereConditions": []any{map[string]any{"field": "a", "operator": "resembles"}}}), "t->d", p + "whereConditions[0].operator", "resembles"},
		{"update without where", dr(map[string]any{"operation": "update", "fieldMappings": map[string]any{"a": 1}}), "t->d", p + "whereConditions", "never changes every row"},
		{"insert without values", dr(map[string]any{"operation": "insert"}), "t->d", p + "fieldMappings", "required"},
		{"mapping column", dr(map[string]any{"operation": "insert", "fieldMappings": []any{map[string]any{"field": "a;b", "value": 1}}}), "t->d", p + "fieldMappings[0].field", "not a plain identifier"},
		{"on conflict", dr(map[string]any{"operation": "upsert", "fieldMappings": map[string]any{"a": 1}, "onConflict": "a,b c"}), "t->d", p + "onConflict[1]", "not a plain identifier"},
		{"raw query template", dr(map[string]any{"table": nil, "operation": "query", "query": "SELECT * FROM t WHERE a = '{{ $trigger.a }}'"}), "t->d", p + "query", "? placeholders"},
		{"raw query on PostgREST", dr(map[string]any{"dataSource": "supa", "table": nil, "query": "SELECT 1"}), "t->d", p + "query", "does not run SQL"},
		{"trigger source", dc(map[string]any{"dataSource": "gone"}), "t->l", "nodes[0].data.inputs.dataSource", `no data source "gone"`},
		{"trigger column", dc(map[string]any{"timestampColumn": "updated at"}), "t->l", "nodes[0].data.inputs.timestampColumn", "not a plain identifier"},
		{"trigger column missing", dc(map[string]any{"timestampColumn": nil}), "t->l", "nodes[0].data.inputs.timestampColumn", "required"},
		{"trigger delete", dc(map[string]any{"operation": "delete"}), "t->l", "nodes[0].data.inputs.operation", "cannot be detected by polling"},
		{"trigger interval", dc(map[string]any{"pollingInterval": "often"}), "t->l", "nodes[0].data.inputs.pollingInterval", "number of seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := build(t, tt.nodes, tt.edge)
			g, is := Parse(w)
			g.CheckDataSources(sources, is)
			for _, e := range is.Errors {
				if e.Path == tt.path && strings.Contains(e.Message, tt.contains) {
					return
				}
			}
			t.Errorf("want %s: ...%s..., got %v", tt.path, tt.contains, is.Errors)
		})
	}
	t.Run("a good node passes", func(t *testing.T) {
		g, is := Parse(build(t, dr(map[string]any{"operation": "select", "selectFields": "email, score", "orderBy": "score desc, id",
			"limit": 10, "whereConditions": []any{map[string]any{"field": "email", "operator": "contains", "value": "{{ $trigger.q }}"}}}), "t->d"))
		g.CheckDataSources(sources, is)
		if len(is.Errors) > 0 {
			t.Fatal(is.Errors)
		}
	})
	t.Run("no source configured", func(t *testing.T) {
		g, is := Parse(build(t, dr(nil), "t->d"))
		g.CheckDataSources(nil, is)
		if len(is.Errors) != 1 || !strings.Contains(is.Errors[0].Message, "FRONTBASE_DATASOURCES") {
			t.Fatal(is.Errors)
		}
	})
}

func TestPollDue(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	tests := []struct {
		interval time.Duration
		now      string
		due      bool
	}{
		{0, "2026-01-01T10:07:30Z", true},
		{time.Minute, "2026-01-01T10:07:30Z", true},
		{5 * time.Minute, "2026-01-01T10:05:59Z", true},
		{5 * time.Minute, "2026-01-01T10:06:00Z", false},
		{5 * time.Minute, "2026-01-01T10:09:59Z", false},
		{time.Hour, "2026-01-01T11:00:10Z", true},
		{time.Hour, "2026-01-01T11:30:00Z", false},
	}
	for _, tt := range tests {
		if got := pollDue(tt.interval, at(tt.now)); got != tt.due {
			t.Errorf("pollDue(%s, %s) = %v", tt.interval, tt.now, got)
		}
	}
}

func TestBindable(t *testing.T) {
	for _, tt := range []struct {
		in, want any
	}{
		{float64(3), int64(3)}, {2.5, 2.5}, {"x", "x"}, {nil, nil}, {true, true},
		{map[string]any{"a": 1}, `{"a":1}`}, {[]any{1, "b"}, `[1,"b"]`},
	} {
		if got := bindable(tt.in); got != tt.want {
			t.Errorf("bindable(%v) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}
