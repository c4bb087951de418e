package workflow

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

func TestBothInputFormsRunAlike(t *testing.T) {
	// Older form: inputs at the node's root, sourceOutput on edges.
	old := &core.Workflow{ID: "old", Nodes: json.RawMessage(`[
		{"id":"t","type":"trigger"},
		{"id":"c","type":"condition","inputs":[{"name":"conditions","value":[{"id":"r1","name":"big","field":"n","operator":"greaterThan","value":5}]}]},
		{"id":"yes","type":"set_variable","inputs":[{"name":"key","value":"size"},{"name":"value","value":"big"}]},
		{"id":"no","type":"set_variable","inputs":[{"name":"key","value":"size"},{"name":"value","value":"small"}]}]`),
		Edges: json.RawMessage(`[{"source":"t","target":"c"},{"source":"c","target":"yes","sourceOutput":"big"},{"source":"c","target":"no","sourceOutput":"else"}]`)}
	modern := build(t, []nd{
		{id: "t", typ: "trigger"},
		{id: "c", typ: "condition", in: map[string]any{"conditions": []any{map[string]any{"id": "r1", "name": "big", "field": "n", "operator": "greaterThan", "value": 5}}}},
		{id: "yes", typ: "set_variable", in: map[string]any{"key": "size", "value": "big"}},
		{id: "no", typ: "set_variable", in: map[string]any{"key": "size", "value": "small"}},
	}, "t->c", "c:r1->yes", "c:else->no") // a handle may name the route by id
	for _, w := range []*core.Workflow{old, modern} {
		g := mustParse(t, w)
		for n, want := range map[float64]string{9: "big", 1: "small"} {
			e := (&Runner{}).Run(context.Background(), g, "manual", map[string]any{"n": n})
			if e.Status != core.ExecCompleted || len(e.VariableMutations) != 1 || e.VariableMutations[0].Value != want {
				t.Errorf("%s n=%v: %s %+v", w.ID, n, e.Status, e.VariableMutations)
			}
		}
	}
}

func TestValidationErrorsHavePaths(t *testing.T) {
	trig := nd{id: "t", typ: "trigger"}
	tests := []struct {
		name     string
		nodes    []nd
		edges    []string
		path     string
		contains string
	}{
		{"no trigger", []nd{{id: "l", typ: "log"}}, nil, "nodes", "one trigger"},
		{"two triggers", []nd{trig, {id: "t2", typ: "webhook_trigger"}}, nil, "nodes[1].type", "exactly one trigger"},
		{"unknown type", []nd{trig, {id: "x", typ: "teleport"}}, []string{"t->x"}, "nodes[1].type", `unknown node type "teleport"`},
		{"data_request needs a source", []nd{trig, {id: "x", typ: "data_request"}}, []string{"t->x"}, "nodes[1].data.inputs.dataSource", "required"},
		{"edge to a missing node", []nd{trig}, []string{"t->ghost"}, "edges[0].target", `"ghost"`},
		{"edge from a missing node", []nd{trig, {id: "l", typ: "log"}}, []string{"ghost->l"}, "edges[0].source", `"ghost"`},
		{"cycle", []nd{trig, {id: "a", typ: "log"}, {id: "b", typ: "log"}}, []string{"t->a", "a->b", "b->a"}, "edges", "cycle through nodes a, b"},
		{"required url", []nd{trig, {id: "h", typ: "http_request", in: map[string]any{"method": "GET"}}}, []string{"t->h"}, "nodes[1].data.inputs.url", "required"},
		{"bad method", []nd{trig, {id: "h", typ: "http_request", in: map[string]any{"url": "https://x", "method": "BREW"}}}, []string{"t->h"}, "nodes[1].data.inputs.method", "BREW"},
		{"expression syntax", []nd{trig, {id: "l", typ: "log", in: map[string]any{"message": "hi {{ $input.a + }}"}}}, []string{"t->l"}, "nodes[1].data.inputs.message", "expression"},
		{"unclosed expression", []nd{trig, {id: "l", typ: "log", in: map[string]any{"message": "hi {{ $input.a"}}}, []string{"t->l"}, "nodes[1].data.inputs.message", "unclosed"},
		{"nested expression", []nd{trig, {id: "s", typ: "transform", in: map[string]any{"operation": "setFields", "fieldsToSet": map[string]any{"a": "{{ ) }}"}}}}, []string{"t->s"}, "nodes[1].data.inputs.fieldsToSet.a", "expression"},
		{"customCode refused", []nd{trig, {id: "c", typ: "transform", in: map[string]any{"operation": "customCode", "code": "x"}}}, []string{"t->c"}, "nodes[1].data.inputs.operation", "customCode needs a JavaScript engine this build leaves out: it runs on the standalone server"},
		{"bad operator", []nd{trig, {id: "c", typ: "condition", in: map[string]any{"conditions": []any{map[string]any{"name": "a", "operator": "resembles"}}}}}, []string{"t->c"}, "nodes[1].data.inputs.conditions[0].operator", "resembles"},
		{"bad regex", []nd{trig, {id: "c", typ: "condition", in: map[string]any{"conditions": []any{map[string]any{"name": "a", "operator": "regex", "value": "("}}}}}, []string{"t->c"}, "nodes[1].data.inputs.conditions[0].value", "regular expression"},
		{"unknown route", []nd{trig, {id: "c", typ: "condition", in: map[string]any{"conditions": []any{map[string]any{"name": "a", "operator": "isEmpty"}}}}, {id: "l", typ: "log"}}, []string{"t->c", "c:zzz->l"}, "edges[1].sourceHandle", `no route "zzz"`},
		{"webhook header auth", []nd{{id: "w", typ: "webhook_trigger", in: map[string]any{"authentication": "header"}}}, nil, "nodes[0].data.inputs.headerName", "required"},
		{"set_variable key", []nd{trig, {id: "v", typ: "set_variable"}}, []string{"t->v"}, "nodes[1].data.inputs.key", "required"},
		{"edge into the trigger", []nd{trig, {id: "l", typ: "log"}}, []string{"t->l", "l->t"}, "edges[1].target", "trigger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, is := Parse(build(t, tt.nodes, tt.edges...))
			for _, e := range is.Errors {
				if e.Path == tt.path && strings.Contains(e.Message, tt.contains) {
					return
				}
			}
			t.Errorf("want %s: ...%s..., got %v", tt.path, tt.contains, is.Errors)
		})
	}
	t.Run("unreachable is a warning", func(t *testing.T) {
		_, is := Parse(build(t, []nd{trig, {id: "l", typ: "log"}}))
		if len(is.Errors) != 0 || len(is.Warnings) != 1 || is.Warnings[0].Path != "nodes[1]" {
			t.Errorf("errors %v warnings %v", is.Errors, is.Warnings)
		}
	})
}

func TestExpressions(t *testing.T) {
	payload := map[string]any{"n": 2.0, "user": map[string]any{"email": "a@b.c", "tags": []any{"x", "y"}}, "ok": true}
	tests := []struct {
		expr string
		want any
	}{
		{"{{ $input.n }}", 2.0},                // a lone expression keeps its type
		{"  {{ $input.n * 3 }}  ", 6.0},        // surrounding space still lone
		{"{{ $input.user }}", payload["user"]}, // objects
		{"{{ $input.user.tags }}", []any{"x", "y"}},
		{"{{ $input.ok }}", true},
		{"n={{ $input.n }}", "n=2"}, // mixed text interpolates
		{"{{ $input.user.email }} / {{ $input.user.tags }}", `a@b.c / ["x","y"]`},
		{"{{ $input.missing.deeper.still }}", nil}, // a missing path is null
		{"[{{ $input.missing }}]", "[]"},
		{"{{ $trigger.user.email }}", "a@b.c"},
		{"{{ $json.n }}", 2.0},
		{`{{ $node["Start"].n }}`, 2.0}, // by label
		{`{{ $node["t"].n }}`, 2.0},     // by id
		{"{{ $env.FB_TEST_ALLOWED }}", "visible"},
		{"{{ $env.HOME }}", nil}, // not allowed: absent
		{"{{ $now.Year() > 2000 }}", true},
		{"{{ $input.user.email contains '@' ? 'valid' : 'invalid' }}", "valid"},
		{"{{ len($input.user.tags) }}", 2},
		{"{{ upper($input.user.email) }}", "A@B.C"},
		{"plain text", "plain text"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			g := mustParse(t, build(t, []nd{
				{id: "t", typ: "trigger", label: "Start"},
				{id: "v", typ: "set_variable", in: map[string]any{"key": "k", "value": tt.expr}},
			}, "t->v"))
			r := &Runner{Env: map[string]any{"FB_TEST_ALLOWED": "visible"}}
			e := r.Run(context.Background(), g, "manual", payload)
			if e.Status != core.ExecCompleted {
				t.Fatalf("%s: %s", e.Status, e.Error)
			}
			got := e.VariableMutations[0].Value
			if gb, wb := mustJSON(got), mustJSON(tt.want); gb != wb {
				t.Errorf("got %s (%T), want %s", gb, got, wb)
			}
		})
	}
	errs := []struct{ expr, contains string }{
		{"{{ $input.n + 'a' }}", "invalid operation"},
		{"{{ $input.user.email / 2 }}", "invalid operation"},
		{"{{ map(1..100000000, # * 2) }}", "memory budget"},
		{"{{ $input.n() }}", "expression"},
	}
	for _, tt := range errs {
		t.Run("error "+tt.expr, func(t *testing.T) {
			g := mustParse(t, build(t, []nd{
				{id: "t", typ: "trigger"},
				{id: "v", typ: "set_variable", in: map[string]any{"key": "k", "value": tt.expr}},
				{id: "after", typ: "log", in: map[string]any{"message": "x"}},
			}, "t->v", "v->after"))
			e := (&Runner{}).Run(context.Background(), g, "manual", payload)
			ne := nodeExec(e, "v")
			if e.Status != core.ExecError || ne.Status != core.NodeError || !strings.Contains(ne.Error, tt.contains) {
				t.Errorf("status %s, node %+v, want error containing %q", e.Status, ne, tt.contains)
			}
			if nodeExec(e, "after").Status != core.NodeSkipped {
				t.Errorf("a node after the failure ran: %+v", nodeExec(e, "after"))
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestConditionOperators(t *testing.T) {
	tests := []struct {
		op          string
		field, want any
		is          bool
	}{
		{"equals", "a", "a", true}, {"equals", 2.0, "2", true}, {"equals", "a", "b", false},
		{"notEquals", "a", "b", true}, {"notEquals", 1.0, 1.0, false},
		{"contains", "hello", "ell", true}, {"contains", []any{"x", "y"}, "y", true}, {"contains", "hello", "z", false}, {"contains", nil, "", false},
		{"notContains", "hello", "z", true}, {"notContains", []any{"x"}, "x", false},
		{"greaterThan", 3.0, "2", true}, {"greaterThan", 2.0, 2.0, false}, {"greaterThan", nil, 1.0, false},
		{"lessThan", "10", 9.0, false}, {"lessThan", 1.0, 2.0, true},
		{"greaterThanOrEqual", 2.0, 2.0, true}, {"greaterThanOrEqual", 1.0, 2.0, false},
		{"lessThanOrEqual", 2.0, 2.0, true}, {"lessThanOrEqual", 3.0, 2.0, false},
		{"isEmpty", "", nil, true}, {"isEmpty", nil, nil, true}, {"isEmpty", []any{}, nil, true}, {"isEmpty", "x", nil, false},
		{"isNotEmpty", map[string]any{"a": 1.0}, nil, true}, {"isNotEmpty", "  ", nil, false},
		{"startsWith", "frontbase", "front", true}, {"startsWith", "frontbase", "base", false},
		{"endsWith", "frontbase", "base", true}, {"endsWith", "frontbase", "front", false},
		{"regex", "a@b.co", `^[^@]+@[^@]+\.\w+$`, true}, {"regex", "nope", `^\d+$`, false},
	}
	for _, tt := range tests {
		got, err := compare(tt.op, tt.field, tt.want)
		if err != nil || got != tt.is {
			t.Errorf("%v %s %v = %v, %v; want %v", tt.field, tt.op, tt.want, got, err, tt.is)
		}
	}
	if _, err := compare("regex", "x", "("); err == nil {
		t.Error("a bad regex at run time is not an error")
	}
}

func TestBranchPruningNeverCallsTheUntakenBranch(t *testing.T) {
	yes, no := newTarget(t, nil), newTarget(t, nil)
	cond := func(fallback string) nd {
		return nd{id: "c", typ: "condition", in: map[string]any{"fallbackBehavior": fallback,
			"conditions": []any{map[string]any{"id": "r1", "name": "vip", "field": "{{ $input.tier }}", "operator": "equals", "value": "gold"}}}}
	}
	nodes := func(fallback string) []nd {
		return []nd{{id: "t", typ: "trigger"}, cond(fallback),
			{id: "callYes", typ: "http_request", in: map[string]any{"url": yes.URL + "/y"}},
			{id: "afterYes", typ: "log", in: map[string]any{"message": "yes done {{ $input.status }}"}},
			{id: "callNo", typ: "http_request", in: map[string]any{"url": no.URL + "/n"}},
		}
	}
	edges := []string{"t->c", "c:vip->callYes", "callYes->afterYes", "c:else->callNo"}
	tests := []struct {
		tier, fallback     string
		yesHits, noHits    int64
		status             string
		skipped, completed []string
	}{
		{"gold", "else", 1, 0, core.ExecCompleted, []string{"callNo"}, []string{"c", "callYes", "afterYes"}},
		{"tin", "else", 0, 1, core.ExecCompleted, []string{"callYes", "afterYes"}, []string{"c", "callNo"}},
		{"tin", "stop", 0, 0, core.ExecCompleted, []string{"callYes", "afterYes", "callNo"}, []string{"c"}},
		{"tin", "error", 0, 0, core.ExecError, []string{"callYes", "afterYes", "callNo"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.tier+"/"+tt.fallback, func(t *testing.T) {
			yes.hits.Store(0)
			no.hits.Store(0)
			g := mustParse(t, build(t, nodes(tt.fallback), edges...))
			e := runnerFor(t, yes, no).Run(context.Background(), g, "manual", map[string]any{"tier": tt.tier})
			if e.Status != tt.status || yes.hits.Load() != tt.yesHits || no.hits.Load() != tt.noHits {
				t.Fatalf("status %s (%s), yes %d no %d", e.Status, e.Error, yes.hits.Load(), no.hits.Load())
			}
			for _, id := range tt.skipped {
				if s := nodeExec(e, id).Status; s != core.NodeSkipped {
					t.Errorf("%s is %s, want skipped", id, s)
				}
			}
			for _, id := range tt.completed {
				if s := nodeExec(e, id).Status; s != core.NodeCompleted {
					t.Errorf("%s is %s, want completed", id, s)
				}
			}
		})
	}
}

func TestTransform(t *testing.T) {
	items := []any{
		map[string]any{"name": "b", "age": 30.0, "city": "Oslo"},
		map[string]any{"name": "a", "age": 20.0, "city": "Rome"},
		map[string]any{"name": "c", "age": 40.0, "city": ""},
	}
	tests := []struct {
		name string
		in   map[string]any
		want string
	}{
		{"setFields", map[string]any{"operation": "setFields", "fieldsToSet": map[string]any{"n": "{{ len($input.data) }}", "k": "v"}},
			`{"count":1,"data":{"data":[{"age":30,"city":"Oslo","name":"b"},{"age":20,"city":"Rome","name":"a"},{"age":40,"city":"","name":"c"}],"k":"v","n":3}}`},
		{"setFields list form", map[string]any{"operation": "setFields", "fieldsToSet": []any{map[string]any{"name": "k", "value": "v"}}, "x": 1},
			`{"count":1,"data":{"data":[{"age":30,"city":"Oslo","name":"b"},{"age":20,"city":"Rome","name":"a"},{"age":40,"city":"","name":"c"}],"k":"v"}}`},
		{"extractField", map[string]any{"operation": "extractField", "extractPath": "data.1.name"}, `{"count":1,"data":"a"}`},
		{"filter equals", map[string]any{"operation": "filterItems", "filterField": "city", "filterOperator": "equals", "filterValue": "Rome"}, `{"count":1,"data":[{"age":20,"city":"Rome","name":"a"}]}`},
		{"filter greaterThan", map[string]any{"operation": "filterItems", "filterField": "age", "filterOperator": "greaterThan", "filterValue": "25"}, `{"count":2,"data":[{"age":30,"city":"Oslo","name":"b"},{"age":40,"city":"","name":"c"}]}`},
		{"filter isEmpty", map[string]any{"operation": "filterItems", "filterField": "city", "filterOperator": "isEmpty"}, `{"count":1,"data":[{"age":40,"city":"","name":"c"}]}`},
		{"sort asc", map[string]any{"operation": "sortItems", "sortField": "name"}, `{"count":3,"data":[{"age":20,"city":"Rome","name":"a"},{"age":30,"city":"Oslo","name":"b"},{"age":40,"city":"","name":"c"}]}`},
		{"sort desc numbers", map[string]any{"operation": "sortItems", "sortField": "age", "sortOrder": "desc"}, `{"count":3,"data":[{"age":40,"city":"","name":"c"},{"age":30,"city":"Oslo","name":"b"},{"age":20,"city":"Rome","name":"a"}]}`},
		{"limit and skip", map[string]any{"operation": "limitItems", "limitCount": 1, "skipCount": "1"}, `{"count":1,"data":[{"age":20,"city":"Rome","name":"a"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := mustParse(t, build(t, []nd{{id: "t", typ: "trigger"}, {id: "x", typ: "transform", in: tt.in}}, "t->x"))
			e := (&Runner{}).Run(context.Background(), g, "manual", map[string]any{"data": items})
			if got := mustJSON(e.Result); e.Status != core.ExecCompleted || got != tt.want {
				t.Errorf("%s %s\n got %s\nwant %s", e.Status, e.Error, got, tt.want)
			}
		})
	}
	// Field operations on a list apply to each object.
	for _, tt := range []struct {
		name string
		in   map[string]any
		want string
	}{
		{"renameFields", map[string]any{"operation": "renameFields", "fieldsToRename": []any{map[string]any{"key": "name", "value": "who"}}}, `[{"age":30,"city":"Oslo","who":"b"}`},
		{"keepFields", map[string]any{"operation": "keepFields", "keepFields": "name, age"}, `[{"age":30,"name":"b"}`},
		{"removeFields", map[string]any{"operation": "removeFields", "removeFields": "age,city"}, `[{"name":"b"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := mustParse(t, build(t, []nd{{id: "t", typ: "trigger"}, {id: "x", typ: "transform", in: tt.in}}, "t->x"))
			e := (&Runner{}).Run(context.Background(), g, "manual", items)
			if got := mustJSON(e.Result.(map[string]any)["data"]); !strings.HasPrefix(got, tt.want) {
				t.Errorf("got %s, want prefix %s", got, tt.want)
			}
		})
	}
}

func TestEffectsLogAndResponse(t *testing.T) {
	g := mustParse(t, build(t, []nd{
		{id: "t", typ: "trigger"},
		{id: "v", typ: "set_variable", in: map[string]any{"scope": "cookies", "key": "plan", "value": "{{ $input.plan }}"}},
		{id: "l", typ: "log", in: map[string]any{"message": "plan is {{ $vars.plan }}", "level": "warn"}},
		{id: "toast", typ: "toast", in: map[string]any{"title": "Hi", "message": "Plan {{ $trigger.plan }}", "variant": "success"}},
		{id: "go", typ: "redirect", in: map[string]any{"url": "/thanks?p={{ $trigger.plan }}", "mode": "same"}},
		{id: "re", typ: "refresh", in: map[string]any{"hardRefresh": true}},
		{id: "resp", typ: "http_response", in: map[string]any{"statusCode": "201", "contentType": "application/json",
			"body": `{"plan": "{{ $trigger.plan }}", "n": {{ $trigger.n }}}`, "sendHeaders": true, "headers": []any{map[string]any{"name": "X-Plan", "value": "{{ $trigger.plan }}"}}}},
	}, "t->v", "v->l", "l->toast", "toast->go", "go->re", "re->resp"))
	e := (&Runner{}).Run(context.Background(), g, "manual", map[string]any{"plan": `pro"`, "n": 3.0})
	if e.Status != core.ExecCompleted {
		t.Fatal(e.Error)
	}
	if got := mustJSON(e.Effects); got != `[{"name":"plan","scope":"cookie","type":"setVariable","value":"pro\""},{"message":"Plan pro\"","title":"Hi","type":"toast","variant":"success"},{"mode":"same","type":"redirect","url":"/thanks?p=pro\""},{"hardRefresh":true,"type":"refresh"}]` {
		t.Errorf("effects %s", got)
	}
	if got := mustJSON(e.VariableMutations); got != `[{"scope":"cookies","key":"plan","value":"pro\""}]` {
		t.Errorf("mutations %s", got)
	}
	if len(e.Logs) != 1 || e.Logs[0].Message != `plan is pro"` || e.Logs[0].Level != "warn" {
		t.Errorf("logs %+v", e.Logs)
	}
	// The mixed JSON body is filled as text (it is not JSON before filling).
	if r := e.Response; r == nil || r.Status != 201 || r.Headers["X-Plan"] != `pro"` || r.Body != `{"plan": "pro"", "n": 3}` {
		t.Errorf("response %+v", e.Response)
	}
	// A body that is JSON is filled value by value: quotes cannot break it.
	g = mustParse(t, build(t, []nd{{id: "t", typ: "trigger"},
		{id: "resp", typ: "http_response", in: map[string]any{"body": `{"plan": "{{ $trigger.plan }}", "n": "{{ $trigger.n }}"}`}}}, "t->resp"))
	e = (&Runner{}).Run(context.Background(), g, "manual", map[string]any{"plan": `pro"`, "n": 3.0})
	if r := e.Response; r == nil || r.Status != 200 || r.Body != `{"n":3,"plan":"pro\""}` {
		t.Errorf("json response %+v", e.Response)
	}
}

func TestHTTPRequestNode(t *testing.T) {
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			hang(r)
		case "/big":
			w.Write(make([]byte, MaxResponseBytes+10))
			return
		case "/text":
			w.Write([]byte("plain"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", r.Header.Get("X-Custom"))
		w.WriteHeader(201)
		w.Write([]byte(`{"got":"yes"}`))
	})
	base := map[string]any{"url": tg.URL + "/api"}
	with := func(kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name  string
		in    map[string]any
		check func(t *testing.T, r *http.Request, body string, out map[string]any, err string)
	}{
		{"basic auth", with("authentication", "basicAuth", "username", "u", "password", "{{ $input.pw }}"), func(t *testing.T, r *http.Request, _ string, _ map[string]any, _ string) {
			if u, p, ok := r.BasicAuth(); !ok || u != "u" || p != "s3cret" {
				t.Errorf("basic %q %q", u, p)
			}
		}},
		{"bearer", with("authentication", "bearerToken", "bearerToken", "tok"), func(t *testing.T, r *http.Request, _ string, _ map[string]any, _ string) {
			if r.Header.Get("Authorization") != "Bearer tok" {
				t.Error(r.Header.Get("Authorization"))
			}
		}},
		{"header auth", with("authentication", "headerAuth", "headerAuthName", "X-Key", "headerAuthValue", "k1"), func(t *testing.T, r *http.Request, _ string, _ map[string]any, _ string) {
			if r.Header.Get("X-Key") != "k1" {
				t.Error(r.Header)
			}
		}},
		{"headers and query", with("sendHeaders", true, "headers", []any{map[string]any{"name": "X-Custom", "value": "c-{{ $input.pw }}"}},
			"sendQuery", true, "queryParameters", []any{map[string]any{"name": "q", "value": "a b"}}), func(t *testing.T, r *http.Request, _ string, out map[string]any, _ string) {
			if r.Header.Get("X-Custom") != "c-s3cret" || r.URL.Query().Get("q") != "a b" {
				t.Error(r.Header, r.URL)
			}
			if out["status"] != 201 || mustJSON(out["data"]) != `{"got":"yes"}` || out["headers"].(map[string]any)["x-echo"] != "c-s3cret" {
				t.Errorf("outputs %v", out)
			}
		}},
		{"json body", with("method", "POST", "sendBody", true, "contentType", "json", "body", `{"email": "{{ $input.email }}"}`), func(t *testing.T, r *http.Request, body string, _ map[string]any, _ string) {
			if r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" || body != `{"email":"x\"@y"}` {
				t.Errorf("%s %s %s", r.Method, r.Header.Get("Content-Type"), body)
			}
		}},
		{"json bodyParameters", with("method", "PUT", "sendBody", true, "bodyParameters", []any{map[string]any{"name": "n", "value": "{{ $input.n }}"}}), func(t *testing.T, r *http.Request, body string, _ map[string]any, _ string) {
			if body != `{"n":7}` {
				t.Error(body)
			}
		}},
		{"urlencoded", with("method", "POST", "sendBody", true, "contentType", "x-www-form-urlencoded", "bodyParameters", []any{map[string]any{"name": "a", "value": "1 2"}}), func(t *testing.T, r *http.Request, body string, _ map[string]any, _ string) {
			if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || body != "a=1+2" {
				t.Error(body)
			}
		}},
		{"form-data", with("method", "PATCH", "sendBody", true, "contentType", "form-data", "bodyParameters", []any{map[string]any{"name": "a", "value": "v"}}), func(t *testing.T, r *http.Request, body string, _ map[string]any, _ string) {
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") || !strings.Contains(body, `name="a"`) {
				t.Error(r.Header.Get("Content-Type"), body)
			}
		}},
		{"raw", with("method", "DELETE", "sendBody", true, "contentType", "raw", "body", "hello {{ $input.n }}"), func(t *testing.T, r *http.Request, body string, _ map[string]any, _ string) {
			if r.Method != "DELETE" || body != "hello 7" {
				t.Error(r.Method, body)
			}
		}},
		{"text response", map[string]any{"url": tg.URL + "/text"}, func(t *testing.T, _ *http.Request, _ string, out map[string]any, _ string) {
			if out["data"] != "plain" || out["status"] != 200 {
				t.Error(out)
			}
		}},
		{"timeout", map[string]any{"url": tg.URL + "/slow", "timeout": 50}, func(t *testing.T, _ *http.Request, _ string, _ map[string]any, err string) {
			if !strings.Contains(err, "no response within 50ms") {
				t.Error(err)
			}
		}},
		{"response cap", map[string]any{"url": tg.URL + "/big"}, func(t *testing.T, _ *http.Request, _ string, _ map[string]any, err string) {
			if !strings.Contains(err, "larger than 5242880 bytes") {
				t.Error(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := mustParse(t, build(t, []nd{{id: "t", typ: "trigger"}, {id: "h", typ: "http_request", in: tt.in}}, "t->h"))
			e := runnerFor(t, tg).Run(context.Background(), g, "manual", map[string]any{"pw": "s3cret", "email": `x"@y`, "n": 7.0})
			ne := nodeExec(e, "h")
			out, _ := e.Result.(map[string]any)
			var body string
			if b := tg.body.Load(); b != nil {
				body = string(*b)
			}
			r := tg.last.Load()
			if r == nil {
				r = &http.Request{Header: http.Header{}}
			}
			tt.check(t, r, body, out, ne.Error)
		})
	}
}

func TestExecutionDeadline(t *testing.T) {
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) { hang(r) })
	g := mustParse(t, build(t, []nd{{id: "t", typ: "trigger"}, {id: "h", typ: "http_request", in: map[string]any{"url": tg.URL}},
		{id: "l", typ: "log", in: map[string]any{"message": "x"}}}, "t->h", "h->l"))
	r := runnerFor(t, tg)
	r.Timeout = 100 * time.Millisecond
	start := time.Now()
	e := r.Run(context.Background(), g, "manual", nil)
	// The server never answers: the run ends by the deadline or not for
	// DefaultTimeout. Half that tells them apart on the busiest machine.
	if took := time.Since(start); took > DefaultTimeout/2 || e.Status != core.ExecError || nodeExec(e, "l").Status != core.NodeSkipped {
		t.Errorf("took %s, %s %s", took, e.Status, e.Error)
	}
	// The caller's shorter deadline wins over the default.
	r.Timeout = 0
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	start = time.Now()
	e = r.Run(ctx, g, "manual", nil)
	if took := time.Since(start); took > DefaultTimeout/2 || e.Status != core.ExecError {
		t.Errorf("took %s, %s", took, e.Status)
	}
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}
