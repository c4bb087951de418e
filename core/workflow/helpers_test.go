package workflow

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/internal/poll"
)

// nd is a node in test workflows.
type nd struct {
	id, typ, label string
	in             map[string]any
}

// build makes a workflow in the React Flow form (data.inputs, sourceHandle).
// An edge is "src->dst" or "src:handle->dst".
func build(t testing.TB, nodes []nd, edges ...string) *core.Workflow {
	t.Helper()
	var rn []map[string]any
	for _, n := range nodes {
		var inputs []map[string]any
		for k, v := range n.in {
			inputs = append(inputs, map[string]any{"name": k, "type": "string", "value": v})
		}
		rn = append(rn, map[string]any{"id": n.id, "type": n.typ, "position": map[string]any{"x": 0, "y": 0},
			"data": map[string]any{"label": n.label, "type": n.typ, "inputs": inputs}})
	}
	var re []map[string]any
	for _, e := range edges {
		var src, handle, dst string
		for i := 0; i+1 < len(e); i++ {
			if e[i:i+2] == "->" {
				src, dst = e[:i], e[i+2:]
			}
		}
		for i := range src {
			if src[i] == ':' {
				src, handle = src[:i], src[i+1:]
				break
			}
		}
		m := map[string]any{"source": src, "target": dst}
		if handle != "" {
			m["sourceHandle"] = handle
		}
		re = append(re, m)
	}
	nb, _ := json.Marshal(rn)
	eb, _ := json.Marshal(re)
	return &core.Workflow{ID: "wf", TriggerType: "manual", Nodes: nb, Edges: eb}
}

func mustParse(t testing.TB, w *core.Workflow) *Graph {
	t.Helper()
	g, is := Parse(w)
	if err := is.Err(); err != nil {
		t.Fatalf("parse: %v %v", err, is.Errors)
	}
	return g
}

// target is a loopback test server that counts its requests.
type target struct {
	*httptest.Server
	hits atomic.Int64
	last atomic.Pointer[http.Request]
	body atomic.Pointer[[]byte]
}

func newTarget(t testing.TB, h http.HandlerFunc) *target {
	tg := &target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.hits.Add(1)
		b := make([]byte, 0)
		if r.Body != nil {
			buf := make([]byte, 1<<16)
			for {
				n, err := r.Body.Read(buf)
				b = append(b, buf[:n]...)
				if err != nil {
					break
				}
			}
		}
		tg.body.Store(&b)
		tg.last.Store(r.Clone(context.Background()))
		if h != nil {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(tg.Close)
	return tg
}

// hang is a server that does not answer: it returns once the client has
// given up (its request's context ends), or after poll.Timeout so that a
// client that never gives up fails its test rather than hanging the run.
func hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(poll.Timeout):
	}
}

func (tg *target) hostPort() string { return tg.Listener.Addr().String() }

// runnerFor allows exactly the given test servers.
func runnerFor(t testing.TB, targets ...*target) *Runner {
	t.Helper()
	s := ""
	for _, tg := range targets {
		s += tg.hostPort() + ","
	}
	allow, err := ParseAllowList(s)
	if err != nil {
		t.Fatal(err)
	}
	return &Runner{HTTP: NewHTTPClient(allow)}
}

func nodeExec(e *core.Execution, id string) core.NodeExecution {
	for _, ne := range e.NodeExecutions {
		if ne.NodeID == id {
			return ne
		}
	}
	return core.NodeExecution{}
}

var _ = net.JoinHostPort
