package workflow

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

// gateServer holds each request until `group` requests are in flight at
// once (or the last of `total` arrived), and records the most it ever saw
// in flight. A run that never has `group` requests in flight at the same
// time hits the safety valve, answers 503 and fails the test. A full group
// is held a little longer before it is released, so that an engine going
// past its bound would show a request more in flight; no assertion depends
// on timing (a correct engine passes however slow the machine).
type gateServer struct {
	mu            sync.Mutex
	group, total  int
	cur, max, got int
	gate          chan struct{}
}

func newGate(group, total int) *gateServer {
	return &gateServer{group: group, total: total, gate: make(chan struct{})}
}

func (s *gateServer) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.cur++
	s.got++
	s.max = max(s.max, s.cur)
	g := s.gate
	switch {
	case s.got >= s.total:
		close(s.gate)
		s.gate = make(chan struct{})
	case s.cur == s.group:
		s.gate = make(chan struct{})
		time.AfterFunc(20*time.Millisecond, func() { close(g) })
	}
	s.mu.Unlock()
	ok := true
	select {
	case <-g:
	case <-time.After(10 * time.Second): // safety valve: never hang the suite
		ok = false
	}
	s.mu.Lock()
	s.cur--
	s.mu.Unlock()
	if !ok {
		http.Error(w, "not enough requests in flight together", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"path":%q}`, r.URL.Path)
}

// fanOut is a trigger with `branches` independent http_request nodes.
func fanOut(t *testing.T, url string, branches int, settings string) *Graph {
	nodes := []nd{{id: "t", typ: "trigger"}}
	var edges []string
	for i := range branches {
		id := fmt.Sprintf("h%d", i)
		nodes = append(nodes, nd{id: id, typ: "http_request", in: map[string]any{"url": fmt.Sprintf("%s/%d", url, i)}})
		edges = append(edges, "t->"+id)
	}
	w := build(t, nodes, edges...)
	if settings != "" {
		w.Settings = []byte(settings)
	}
	return mustParse(t, w)
}

func TestIndependentBranchesRunConcurrentlyWithinTheBound(t *testing.T) {
	tests := []struct {
		name     string
		parallel int    // Runner.Parallel (0: default)
		settings string // workflow settings
		branches int
		want     int // the most requests in flight at once
	}{
		{"two branches meet at the server", 0, "", 2, 2},
		{"bound of 2 over 5 branches", 2, "", 5, 2},
		{"bound of 3 over 7 branches", 3, "", 7, 3},
		{"default bound over 9 branches", 0, "", 9, DefaultParallel},
		{"settings lower the bound", 0, `{"maxParallel": 1}`, 3, 1},
		{"settings never raise it", 2, `{"maxParallel": 8}`, 5, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs := newGate(tt.want, tt.branches)
			tg := newTarget(t, gs.handle)
			g := fanOut(t, tg.URL, tt.branches, tt.settings)
			r := runnerFor(t, tg)
			r.Parallel = tt.parallel
			e := r.Run(context.Background(), g, "manual", nil)
			if e.Status != core.ExecCompleted {
				t.Fatalf("status %s: %s", e.Status, e.Error)
			}
			if gs.max != tt.want || gs.got != tt.branches {
				t.Errorf("at most %d in flight (want %d), %d requests (want %d)", gs.max, tt.want, gs.got, tt.branches)
			}
			// The record lists nodes in topological order, whatever finished first.
			for i, ne := range e.NodeExecutions {
				if want := g.order[i].ID; ne.NodeID != want || ne.Status != core.NodeCompleted {
					t.Errorf("record %d: %s %s, want %s completed", i, ne.NodeID, ne.Status, want)
				}
			}
		})
	}
}

func TestConcurrentBranchesKeepPruning(t *testing.T) {
	// The condition's taken route has two http_requests that must meet at
	// the gate (so they run together); the untaken route's is never called;
	// a branch beside the condition runs too.
	gs := newGate(2, 3)
	taken := newTarget(t, gs.handle)
	untaken := newTarget(t, nil)
	g := mustParse(t, build(t, []nd{
		{id: "t", typ: "trigger"},
		{id: "c", typ: "condition", in: map[string]any{"conditions": []any{map[string]any{"name": "big", "field": "n", "operator": "greaterThan", "value": 5}}}},
		{id: "y1", typ: "http_request", in: map[string]any{"url": taken.URL + "/y1"}},
		{id: "y2", typ: "http_request", in: map[string]any{"url": taken.URL + "/y2"}},
		{id: "n1", typ: "http_request", in: map[string]any{"url": untaken.URL + "/n1"}},
		{id: "n2", typ: "log", in: map[string]any{"message": "after the untaken call"}},
		{id: "side", typ: "http_request", in: map[string]any{"url": taken.URL + "/side"}},
	}, "t->c", "c:big->y1", "c:big->y2", "c:else->n1", "n1->n2", "t->side"))
	r := runnerFor(t, taken, untaken)
	for range 5 {
		gs.mu.Lock()
		gs.got, gs.max = 0, 0
		gs.mu.Unlock()
		e := r.Run(context.Background(), g, "manual", map[string]any{"n": 9.0})
		if e.Status != core.ExecCompleted {
			t.Fatalf("status %s: %s", e.Status, e.Error)
		}
		want := map[string]string{"t": "completed", "c": "completed", "y1": "completed", "y2": "completed", "n1": "skipped", "n2": "skipped", "side": "completed"}
		for id, st := range want {
			if got := nodeExec(e, id).Status; got != st {
				t.Errorf("%s: %s, want %s", id, got, st)
			}
		}
		if gs.got != 3 || gs.max < 2 {
			t.Errorf("taken server: %d requests, %d at once", gs.got, gs.max)
		}
	}
	if n := untaken.hits.Load(); n != 0 {
		t.Errorf("the untaken branch's server was called %d times", n)
	}
}

func TestConcurrentRunsAreDeterministic(t *testing.T) {
	// a and b are called together (the gate needs both); what follows them
	// finishes in any order, yet the record, logs, effects, variables and
	// what $node and $vars show must be the same every time.
	gs := newGate(2, 2)
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		gs.mu.Lock()
		gs.got = gs.got % 2 // two requests per run
		gs.mu.Unlock()
		gs.handle(w, r)
	})
	g := mustParse(t, build(t, []nd{
		{id: "t", typ: "trigger"},
		{id: "a", typ: "http_request", label: "Call A", in: map[string]any{"url": tg.URL + "/a"}},
		{id: "b", typ: "http_request", label: "Call B", in: map[string]any{"url": tg.URL + "/b"}},
		{id: "sa", typ: "set_variable", in: map[string]any{"key": "from", "value": "{{ $input.data.path }}"}},
		{id: "la", typ: "log", in: map[string]any{"message": "A saw {{ $input.data.path }}"}},
		{id: "ta", typ: "toast", in: map[string]any{"message": "toast A"}},
		{id: "lb", typ: "log", in: map[string]any{"message": "B saw {{ $input.data.path }}; from={{ $vars.from }}"}},
		{id: "tb", typ: "toast", in: map[string]any{"message": "toast B {{ $node[\"Call A\"].data.path }}"}},
		{id: "j", typ: "set_variable", in: map[string]any{"key": "both", "value": "{{ $node[\"a\"].data.path + $node[\"Call B\"].data.path }}"}},
	}, "t->a", "t->b", "a->sa", "sa->la", "la->ta", "b->lb", "lb->tb", "ta->j", "tb->j"))
	if !g.plan.barrier[g.plan.rank["lb"]] || g.plan.barrier[g.plan.rank["la"]] {
		t.Fatalf("barriers: %v", g.plan.barrier)
	}
	type view struct {
		Order   []string
		Logs    []string
		Effects []string
		Muts    []string
		Result  any
	}
	var first *view
	for i := range 20 {
		e := runnerFor(t, tg).Run(context.Background(), g, "manual", nil)
		if e.Status != core.ExecCompleted {
			t.Fatalf("run %d: %s: %s", i, e.Status, e.Error)
		}
		v := &view{Result: Lookup(e.Result, "data")} // headers carry a Date
		for _, ne := range e.NodeExecutions {
			v.Order = append(v.Order, ne.NodeID+":"+ne.Status)
		}
		for _, l := range e.Logs {
			v.Logs = append(v.Logs, l.NodeID+" "+l.Message)
		}
		for _, ef := range e.Effects {
			v.Effects = append(v.Effects, fmt.Sprint(ef["type"], " ", ef["message"], ef["value"]))
		}
		for _, m := range e.VariableMutations {
			v.Muts = append(v.Muts, fmt.Sprint(m.Key, "=", m.Value))
		}
		if first == nil {
			first = v
			// Topological order (Kahn, by declaration): t a b sa lb la tb ta j.
			wantLogs := []string{"lb B saw /b; from=/a", "la A saw /a"}
			if !slices.Equal(v.Logs, wantLogs) || !slices.Equal(v.Muts, []string{"from=/a", "both=/a/b"}) ||
				!strings.Contains(strings.Join(v.Effects, "|"), "toast B /a") {
				t.Fatalf("first run: %+v", v)
			}
			continue
		}
		if !reflect.DeepEqual(v, first) {
			t.Fatalf("run %d differs:\n%+v\n%+v", i, v, first)
		}
	}
}

func TestFailureSkipsNodesNotStarted(t *testing.T) {
	// With one node at a time, a failure skips everything after it; the
	// record says which node failed first in topological order.
	g := mustParse(t, build(t, []nd{
		{id: "t", typ: "trigger"},
		{id: "bad", typ: "condition", in: map[string]any{"conditions": []any{map[string]any{"name": "never", "field": "n", "operator": "equals", "value": 1}}, "fallbackBehavior": "error"}},
		{id: "ok", typ: "log", in: map[string]any{"message": "beside"}},
		{id: "after", typ: "log", in: map[string]any{"message": "after"}},
	}, "t->bad", "t->ok", "bad->after"))
	for _, parallel := range []int{1, 4} {
		e := (&Runner{Parallel: parallel}).Run(context.Background(), g, "manual", map[string]any{"n": 2.0})
		if e.Status != core.ExecError || !strings.Contains(e.Error, `node "bad"`) {
			t.Fatalf("parallel %d: %s %s", parallel, e.Status, e.Error)
		}
		if s := nodeExec(e, "after").Status; s != core.NodeSkipped {
			t.Errorf("parallel %d: after is %s", parallel, s)
		}
		if parallel == 1 && nodeExec(e, "ok").Status != core.NodeSkipped {
			t.Errorf("one at a time: a node after the failure ran")
		}
	}
}

func TestWhichNodesWaitForEverythingBefore(t *testing.T) {
	tests := []struct {
		name string
		n    Node
		want bool
	}{
		{"trigger", Node{Type: "webhook_trigger"}, false},
		{"plain http_request", Node{Type: "http_request", Inputs: map[string]any{"url": "https://x/{{ $input.id }}"}}, false},
		{"$node in a url", Node{Type: "http_request", Inputs: map[string]any{"url": `https://x/{{ $node["a"].data.id }}`}}, true},
		{"$vars deep in a condition", Node{Type: "condition", Inputs: map[string]any{"conditions": []any{map[string]any{"field": "{{ $vars.n }}"}}}}, true},
		{"$node as plain text", Node{Type: "log", Inputs: map[string]any{"message": "costs $node"}}, false},
		{"set_variable of $trigger", Node{Type: "set_variable", Inputs: map[string]any{"key": "k", "value": "{{ $trigger.a }}"}}, false},
		{"custom code", Node{Type: "transform", Inputs: map[string]any{"operation": "customCode"}}, true},
		{"a type this file does not know", Node{Type: "data_request"}, true},
	}
	for _, tt := range tests {
		if got := readsShared(&tt.n); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
