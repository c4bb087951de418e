package main

import (
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// TestCustomCodeOnTheServer deploys and runs the builder's customCode
// transform on a real server engine.
func TestCustomCodeOnTheServer(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	doc := `{"id": "wf-code", "triggerType": "manual",
	"nodes": [
	 {"id": "t", "type": "trigger", "data": {"type": "trigger", "inputs": []}},
	 {"id": "c", "type": "transform", "data": {"type": "transform", "inputs": [{"name": "operation", "value": "customCode"},
	  {"name": "code", "value": "// Access input via $input\nreturn $input.data.map(item => ({\n  ...item,\n  processed: true\n}));"}]}}
	],
	"edges": [{"source": "t", "target": "c"}]}`
	if resp, body := e.Manage(t, "POST", "/api/deploy", doc); resp.StatusCode != 200 {
		t.Fatalf("deploy: %d %s", resp.StatusCode, body)
	}
	resp, body := e.Manage(t, "POST", "/api/execute/wf-code", `{"parameters": {"data": [{"id": 1}, {"id": 2}]}}`)
	if resp.StatusCode != 200 || !strings.Contains(body, `"result":{"count":2,"data":[{"id":1,"processed":true},{"id":2,"processed":true}]}`) {
		t.Fatalf("execute: %d %s", resp.StatusCode, body)
	}
	bad := strings.Replace(doc, `return $input.data`, `return (`, 1)
	if resp, body := e.Manage(t, "POST", "/api/deploy", bad); resp.StatusCode != 400 || !strings.Contains(body, `"path":"nodes[1].data.inputs.code"`) {
		t.Fatalf("a syntax error must fail the deploy: %d %s", resp.StatusCode, body)
	}
}

// TestOnlyTheServerLinksJavaScript keeps goja out of the FaaS binaries
// (their size is cold start) and in the server unless -tags nocustomcode.
func TestOnlyTheServerLinksJavaScript(t *testing.T) {
	// Five go list runs wait on the disk more than the CPU: run them at once.
	type query struct {
		args []string
		out  string
		err  error
	}
	queries := []*query{{args: []string{"."}}, {args: []string{"-tags", "nocustomcode", "."}}}
	for _, pkg := range []string{"../lambda/edge", "../gcf", "../../api"} {
		queries = append(queries, &query{args: []string{"-tags", "lambda.norpc", pkg}})
	}
	var wg sync.WaitGroup
	for _, q := range queries {
		wg.Go(func() {
			out, err := exec.Command("go", append([]string{"list", "-deps"}, q.args...)...).CombinedOutput()
			q.out, q.err = string(out), err
		})
	}
	wg.Wait()
	for _, q := range queries {
		if q.err != nil {
			t.Fatalf("go list %v: %v\n%s", q.args, q.err, q.out)
		}
	}
	const goja = "github.com/dop251/goja\n"
	if !strings.Contains(queries[0].out, goja) {
		t.Error("the server does not link goja")
	}
	if strings.Contains(queries[1].out, goja) {
		t.Error("-tags nocustomcode still links goja")
	}
	for _, q := range queries[2:] {
		if strings.Contains(q.out, goja) {
			t.Errorf("%s links goja", q.args[len(q.args)-1])
		}
	}
}
