package jscode

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/workflow"
)

func run(t *testing.T, r *Runner, code string, input any) (any, error) {
	t.Helper()
	return r.Run(context.Background(), code, workflow.CodeEnv{Input: input, Trigger: map[string]any{"plan": "pro"},
		Node: map[string]any{"fetch": map[string]any{"status": 200.0}}, Vars: map[string]any{"n": 2.0}})
}

func TestRuns(t *testing.T) {
	r := New()
	items := map[string]any{"data": []any{map[string]any{"id": 1.0}, map[string]any{"id": 2.0}}}
	tests := []struct {
		name, code string
		want       any
	}{
		// The builder's placeholder.
		{"placeholder", "// Access input via $input\nreturn $input.data.map(item => ({\n  ...item,\n  processed: true\n}));",
			[]any{map[string]any{"id": 1.0, "processed": true}, map[string]any{"id": 2.0, "processed": true}}},
		{"every name", "return [$json.plan, $trigger.plan, $node.fetch.status, $vars.n]", []any{"pro", "pro", 200.0, 2.0}},
		{"es2015+", "const [a, b] = $input.data; let s = `${a.id}-${b.id}`; class K { get v() { return s } }; return new K().v", "1-2"},
		{"undefined", "const x = 1", nil},
		{"a function becomes null", "return () => 1", nil},
		{"no host objects", "return [typeof require, typeof console, typeof fetch, typeof setTimeout, typeof process, typeof XMLHttpRequest]",
			[]any{"undefined", "undefined", "undefined", "undefined", "undefined", "undefined"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := run(t, r, tt.code, items)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
	// The code changed nothing it was given.
	if _, err := run(t, r, "$input.data.push(9); $input.data[0].id = 'x'; return 1", items); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(items); string(b) != `{"data":[{"id":1},{"id":2}]}` {
		t.Fatalf("the input changed: %s", b)
	}
}

func TestBounds(t *testing.T) {
	quick := New()
	quick.TimeLimit = 100 * time.Millisecond
	if _, err := run(t, quick, "while (true) {}", nil); err == nil || !strings.Contains(err.Error(), "ran past its time limit of 100ms") {
		t.Fatalf("endless loop: %v", err)
	}
	// The other bounds must stop the code before any time limit would.
	r := New()
	r.TimeLimit = time.Minute
	tests := []struct{ name, code, want string }{
		{"deep recursion", "function f(n) { return f(n + 1) + 1 } return f(0)", "nested calls deeper than 512"},
		{"throws", "throw new Error('boom')", "customCode threw: Error: boom"},
		{"syntax", "return (", "customCode does not compile"},
		{"huge result", "return 'x'.repeat(2 << 20)", "more than 1048576"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, r, tt.code, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("heap", func(t *testing.T) {
		m := New()
		m.TimeLimit, m.MaxHeapGrowth = time.Minute, 32<<20
		_, err := run(t, m, "const a = []; while (true) a.push('x'.repeat(1 << 20) + a.length)", nil)
		if err == nil || !strings.Contains(err.Error(), "grew the heap by more than 32 MiB") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := New().Run(ctx, "while (true) {}", workflow.CodeEnv{})
		if err == nil || !strings.Contains(err.Error(), "the execution ended") {
			t.Fatalf("err = %v", err)
		}
	})
}

// workflowDoc is a manual workflow: trigger -> customCode transform.
func workflowDoc(code string) *core.Workflow {
	nodes, _ := json.Marshal([]map[string]any{
		{"id": "t", "type": "trigger", "data": map[string]any{"type": "trigger", "inputs": []any{}}},
		{"id": "c", "type": "transform", "data": map[string]any{"type": "transform", "inputs": []any{
			map[string]any{"name": "operation", "value": "customCode"}, map[string]any{"name": "code", "value": code}}}},
	})
	return &core.Workflow{ID: "wf", TriggerType: "manual", Nodes: nodes, Edges: json.RawMessage(`[{"source":"t","target":"c"}]`)}
}

func TestInAWorkflow(t *testing.T) {
	// {{ }} in the code is JavaScript, not a template.
	_, is := workflow.Parse(workflowDoc("const o = {a: {b: 1}}; return {{a: o.a}}.a.b + $input.items.length"))
	if is.Err() == nil {
		t.Fatal("a syntax error must fail the deploy")
	}
	g, is := workflow.Parse(workflowDoc("const o = {a: {b: '{{x}}'}}; return [o.a.b, $input.items.length]"))
	if err := is.Err(); err != nil {
		t.Fatalf("%v %v", err, is.Errors)
	}
	e := (&workflow.Runner{}).Run(context.Background(), g, "manual", map[string]any{"items": []any{1.0, 2.0, 3.0}})
	if e.Status != core.ExecCompleted {
		t.Fatalf("%s: %s", e.Status, e.Error)
	}
	if b, _ := json.Marshal(e.Result); string(b) != `{"count":2,"data":["{{x}}",3]}` {
		t.Fatalf("result %s", b)
	}
	g, _ = workflow.Parse(workflowDoc("throw new TypeError('bad ' + $input.items[0])"))
	e = (&workflow.Runner{}).Run(context.Background(), g, "manual", map[string]any{"items": []any{"row"}})
	if e.Status != core.ExecError || !strings.Contains(e.Error, "customCode threw: TypeError: bad row") {
		t.Fatalf("%s: %s", e.Status, e.Error)
	}
}

func BenchmarkCustomCode(b *testing.B) {
	r := New()
	items := make([]any, 20)
	for i := range items {
		items[i] = map[string]any{"id": float64(i), "name": "item"}
	}
	env := workflow.CodeEnv{Input: map[string]any{"data": items}}
	code := "return $input.data.map(item => ({...item, processed: true}))"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Run(ctx, code, env); err != nil {
			b.Fatal(err)
		}
	}
}
