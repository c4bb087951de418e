package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

func TestParseRetention(t *testing.T) {
	tests := []struct {
		in      string
		want    Retention
		wantErr string
	}{
		{"", DefaultRetention, ""},
		{"off", Retention{}, ""},
		{"7d", Retention{MaxAge: 7 * 24 * time.Hour}, ""},
		{"36h", Retention{MaxAge: 36 * time.Hour}, ""},
		{"30d,5000", Retention{MaxAge: 30 * 24 * time.Hour, MaxRows: 5000}, ""},
		{"48h, 200 rows", Retention{MaxAge: 48 * time.Hour, MaxRows: 200}, ""},
		{"1000", Retention{MaxRows: 1000}, ""},
		{"10m", Retention{}, "at least 1h0m0s"},
		{"-5", Retention{}, "at least 1"},
		{"forever", Retention{}, "neither a maximum age"},
		{"7x", Retention{}, "neither a maximum age"},
	}
	for _, tt := range tests {
		got, err := ParseRetention(tt.in)
		if got != tt.want || (tt.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%q: %+v, %v", tt.in, got, err)
		}
	}
}

func TestRecordSizeCaps(t *testing.T) {
	big := strings.Repeat("x", 20<<10) // over one node's cap
	mid := strings.Repeat("y", 15<<10) // under it; 20 of them pass the record's cap
	long := strings.Repeat("é", 3<<10) // a 6 KiB log line
	nodes := []nd{{id: "t", typ: "trigger"},
		{id: "keep", typ: "transform", in: map[string]any{"operation": "keepFields", "keepFields": "n"}},
		{id: "big", typ: "set_variable", in: map[string]any{"key": "big", "value": big}},
		{id: "bigout", typ: "transform", in: map[string]any{"operation": "setFields", "fieldsToSet": map[string]any{"v": big}}},
		{id: "log", typ: "log", in: map[string]any{"message": long}},
	}
	// Every node after keep is a branch of its own: they run side by side,
	// and the record's cap still applies in topological order.
	edges := []string{"t->keep", "keep->big", "keep->bigout", "keep->log"}
	for i := range 20 {
		id := fmt.Sprintf("m%d", i)
		nodes = append(nodes, nd{id: id, typ: "transform", in: map[string]any{"operation": "setFields", "fieldsToSet": map[string]any{"v": mid}}})
		edges = append(edges, "keep->"+id)
	}
	g := mustParse(t, build(t, nodes, edges...))
	e := (&Runner{}).Run(context.Background(), g, "manual", map[string]any{"body": strings.Repeat("z", 100<<10), "n": 1.0})
	if e.Status != core.ExecCompleted {
		t.Fatalf("%s: %s", e.Status, e.Error)
	}
	truncated := func(v any) bool {
		m, _ := v.(map[string]any)
		return m["truncated"] == true
	}
	if !truncated(e.TriggerPayload) {
		t.Errorf("trigger payload kept: %.80v", e.TriggerPayload)
	}
	if !truncated(nodeExec(e, "bigout").Outputs) {
		t.Errorf("a 20 KiB output was kept")
	}
	if nodeExec(e, "m0").Outputs == nil || truncated(nodeExec(e, "m0").Outputs) || !truncated(nodeExec(e, "m19").Outputs) {
		t.Errorf("the record's cap: m0 %.40v, m19 %.40v", nodeExec(e, "m0").Outputs, nodeExec(e, "m19").Outputs)
	}
	// The result is what the caller gets: the last node's 15 KiB is kept.
	if truncated(e.Result) || Lookup(e.Result, "data.v") != mid {
		t.Errorf("result %.80v", e.Result)
	}
	if n := len(e.Logs[0].Message); n > maxLogMessage+len("…") || !strings.HasSuffix(e.Logs[0].Message, "…") {
		t.Errorf("log line of %d bytes", n)
	}
	doc, _ := json.Marshal(e)
	if len(doc) > maxRecordedTrigger+maxRecordedOutputs+2*maxRecordedOutput+maxResult+maxLogMessage+16<<10 {
		t.Errorf("the record is %d bytes", len(doc))
	}
}
