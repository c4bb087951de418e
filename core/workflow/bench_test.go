package workflow

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

// benchNodes is a 10-node workflow with no I/O: a trigger, three
// variables, a condition, two transforms, a log, a toast and a variable.
func benchGraph(b *testing.B) *Graph {
	return mustParse(b, build(b, []nd{
		{id: "t", typ: "trigger"},
		{id: "v1", typ: "set_variable", in: map[string]any{"key": "a", "value": "{{ $input.n + 1 }}"}},
		{id: "v2", typ: "set_variable", in: map[string]any{"key": "b", "value": "{{ $vars.a * 2 }}"}},
		{id: "v3", typ: "set_variable", in: map[string]any{"key": "who", "value": "user {{ $input.name }}"}},
		{id: "c", typ: "condition", in: map[string]any{"conditions": []any{map[string]any{"name": "big", "field": "{{ $vars.b }}", "operator": "greaterThan", "value": 10}}}},
		{id: "x1", typ: "transform", in: map[string]any{"operation": "setFields", "fieldsToSet": map[string]any{"score": "{{ $vars.b }}"}}},
		{id: "x2", typ: "transform", in: map[string]any{"operation": "keepFields", "keepFields": "data"}},
		{id: "l", typ: "log", in: map[string]any{"message": "scored {{ $vars.b }} for {{ $vars.who }}"}},
		{id: "toast", typ: "toast", in: map[string]any{"message": "Hi {{ $trigger.name }}"}},
		{id: "v4", typ: "set_variable", in: map[string]any{"key": "done", "value": "{{ true }}"}},
	}, "t->v1", "v1->v2", "v2->v3", "v3->c", "c:big->x1", "x1->x2", "x2->l", "l->toast", "toast->v4"))
}

func BenchmarkEngine10Nodes(b *testing.B) {
	g := benchGraph(b)
	r := &Runner{}
	payload := map[string]any{"n": 7.0, "name": "ada"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		e := r.Run(ctx, g, "manual", payload)
		if e.Status != core.ExecCompleted {
			b.Fatal(e.Error)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10, "ns/node")
}

// BenchmarkDirect10Nodes is the same work written as direct Go calls: the
// baseline the engine's overhead is measured against.
func BenchmarkDirect10Nodes(b *testing.B) {
	payload := map[string]any{"n": 7.0, "name": "ada"}
	b.ReportAllocs()
	for b.Loop() {
		vars := map[string]any{}
		var muts []core.Mutation
		var effects []core.Effect
		a := payload["n"].(float64) + 1
		vars["a"] = a
		muts = append(muts, core.Mutation{Scope: "local", Key: "a", Value: a})
		bb := a * 2
		vars["b"] = bb
		muts = append(muts, core.Mutation{Scope: "local", Key: "b", Value: bb})
		who := "user " + payload["name"].(string)
		vars["who"] = who
		muts = append(muts, core.Mutation{Scope: "local", Key: "who", Value: who})
		if bb > 10 {
			out := map[string]any{"n": payload["n"], "name": payload["name"], "score": bb}
			kept := map[string]any{"data": out}
			msg := "scored " + strconv.FormatFloat(bb, 'f', -1, 64) + " for " + who
			_ = strings.TrimSpace(msg)
			effects = append(effects, core.Effect{"type": "toast", "message": "Hi " + payload["name"].(string)})
			vars["done"] = true
			muts = append(muts, core.Mutation{Scope: "local", Key: "done", Value: true})
			_ = kept
		}
		if len(muts) != 4 || len(effects) != 1 {
			b.Fatal("wrong")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10, "ns/node")
}

// BenchmarkFanOut runs four independent http_request branches against a
// server answering after 5 ms, one node at a time and four at a time.
func BenchmarkFanOut(b *testing.B) {
	tg := newTarget(b, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
		w.Write([]byte(`{}`))
	})
	nodes := []nd{{id: "t", typ: "trigger"}}
	var edges []string
	for i := range 4 {
		id := "h" + strconv.Itoa(i)
		nodes = append(nodes, nd{id: id, typ: "http_request", in: map[string]any{"url": tg.URL + "/" + id}})
		edges = append(edges, "t->"+id)
	}
	g := mustParse(b, build(b, nodes, edges...))
	for _, parallel := range []int{1, 4} {
		b.Run("parallel="+strconv.Itoa(parallel), func(b *testing.B) {
			r := runnerFor(b, tg)
			r.Parallel = parallel
			for b.Loop() {
				if e := r.Run(context.Background(), g, "manual", nil); e.Status != core.ExecCompleted {
					b.Fatal(e.Error)
				}
			}
		})
	}
}
