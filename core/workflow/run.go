package workflow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/frontbase/edge/core"
)

// DefaultTimeout bounds an execution unless the workflow's settings or the
// caller's context say less.
const DefaultTimeout = 30 * time.Second

// maxRecordedOutput is the most JSON one node's outputs may take in an
// execution record; bigger outputs are recorded as a note of their size.
const maxRecordedOutput = 64 << 10

// Runner executes graphs.
type Runner struct {
	HTTP    *http.Client   // the guarded client (NewHTTPClient)
	Env     map[string]any // $env: only the variables the operator allowed
	Timeout time.Duration  // per execution; DefaultTimeout when 0
	Now     func() time.Time
	// Data are the configured data sources by name (data.go); DataMaxRows
	// caps the rows one data_request returns (DefaultDataMaxRows when 0).
	Data        map[string]DataSource
	DataMaxRows int
}

// run is the state of one execution.
type run struct {
	r       *Runner
	g       *Graph
	ctx     context.Context
	exec    *core.Execution
	outputs map[string]any // by node id and by label
	done    map[string]any // by node id: outputs of completed nodes
	branch  map[string]string
	vars    map[string]any
	trigger any
	now     time.Time
	sc      scope
}

// NewID returns a random execution id.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Run executes g once with the trigger's outputs. It always returns a
// record; the execution's own failure is in its Status and Error.
func (r *Runner) Run(ctx context.Context, g *Graph, triggerType string, payload any) *core.Execution {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if s, ok := g.Settings["timeoutMs"].(float64); ok && s > 0 && time.Duration(s)*time.Millisecond < timeout {
		timeout = time.Duration(s) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(ctx, timeout) // never past the caller's deadline
	defer cancel()
	if payload == nil {
		payload = map[string]any{}
	}
	st := &run{
		r: r, g: g, ctx: ctx, now: now(),
		exec: &core.Execution{
			ID: NewID(), WorkflowID: g.Workflow.ID, Status: core.ExecExecuting, TriggerType: triggerType,
			TriggerPayload: payload, VariableMutations: []core.Mutation{}, Effects: []core.Effect{}, Logs: []core.LogLine{},
		},
		outputs: map[string]any{}, done: map[string]any{}, branch: map[string]string{}, vars: map[string]any{}, trigger: payload,
	}
	st.exec.StartedAt = st.now.UTC()
	var failed error
	for _, n := range g.order {
		ne := core.NodeExecution{NodeID: n.ID, Type: n.Type, Status: core.NodeSkipped}
		input, live := st.liveInput(n)
		if failed != nil || !live {
			st.exec.NodeExecutions = append(st.exec.NodeExecutions, ne)
			continue
		}
		if err := ctx.Err(); err != nil {
			failed = fmt.Errorf("execution deadline of %s exceeded before node %q", timeout, n.ID)
			if errors.Is(err, context.Canceled) {
				failed = fmt.Errorf("execution cancelled before node %q", n.ID)
			}
			ne.Status, ne.Error = core.NodeError, failed.Error()
			st.exec.NodeExecutions = append(st.exec.NodeExecutions, ne)
			continue
		}
		start := time.Now()
		out, err := st.node(n, input)
		ne.DurationMs = float64(time.Since(start).Microseconds()) / 1000
		if err != nil {
			failed = fmt.Errorf("node %q (%s): %w", n.ID, n.Type, err)
			ne.Status, ne.Error = core.NodeError, err.Error()
			st.exec.NodeExecutions = append(st.exec.NodeExecutions, ne)
			continue
		}
		ne.Status, ne.Outputs, ne.Branch = core.NodeCompleted, capOutput(out), st.branch[n.ID]
		st.exec.NodeExecutions = append(st.exec.NodeExecutions, ne)
		st.done[n.ID] = out
		st.outputs[n.ID] = out
		if n.Label != "" {
			if _, taken := st.outputs[n.Label]; !taken {
				st.outputs[n.Label] = out
			}
		}
		st.exec.Result = out
	}
	st.exec.EndedAt = time.Now().UTC()
	st.exec.Status = core.ExecCompleted
	if failed != nil {
		st.exec.Status, st.exec.Error = core.ExecError, failed.Error()
		if errors.Is(ctx.Err(), context.Canceled) {
			st.exec.Status = core.ExecCancelled
		}
	}
	st.exec.Result = capOutput(st.exec.Result)
	return st.exec
}

// liveInput returns a node's input and whether it runs: the trigger always
// runs; another node runs when an edge into it comes from a completed node
// (from a condition, only on the route it took). Its input is the output
// of the first such edge's source.
func (st *run) liveInput(n *Node) (any, bool) {
	if n == st.g.Trigger {
		return st.trigger, true
	}
	for _, e := range st.g.in[n.ID] {
		out, ok := st.done[e.Source]
		if !ok {
			continue
		}
		if took, isCond := st.branch[e.Source]; isCond {
			switch {
			case took == "": // the condition stopped
				continue
			case e.Handle == "": // a plain edge out of a condition follows any matched route
				if took == "else" {
					continue
				}
			case !handleIs(st.g.byID[e.Source], took, e.Handle):
				continue
			}
		}
		return out, true
	}
	return nil, false
}

// handleIs reports whether an edge's handle names the branch a condition
// took: the route's name, its id, or "else".
func handleIs(n *Node, took, handle string) bool {
	if handle == took {
		return true
	}
	for _, r := range routesOf(n) {
		if r.Name == took && r.ID == handle {
			return true
		}
	}
	return false
}

// scope returns the expression scope for a node: one map per execution
// (nodes run one at a time), with $input set to the node's input.
func (st *run) scope(input any) scope {
	if st.sc == nil {
		st.sc = newScope(input, st.trigger, st.outputs, st.vars, st.r.Env, st.now)
	}
	st.sc["$input"] = input
	return st.sc
}

// resolve fills every template in v.
func (st *run) resolve(v any, sc scope) (any, error) {
	switch t := v.(type) {
	case string:
		tp := st.g.tmpl[t]
		if tp == nil {
			return t, nil
		}
		return tp.eval(sc)
	case []any:
		out := make([]any, len(t))
		for i, item := range t {
			r, err := st.resolve(item, sc)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, item := range t {
			r, err := st.resolve(item, sc)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

// input returns one input of n with its templates filled.
func (st *run) input(n *Node, name string, sc scope) (any, error) {
	v, err := st.resolve(n.Inputs[name], sc)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", name, err)
	}
	return v, nil
}

func (st *run) inputStr(n *Node, name string, sc scope) (string, error) {
	v, err := st.input(n, name, sc)
	return str(v), err
}

// document fills a text input that may be a JSON document: when it parses
// as JSON, templates are filled value by value (a value with quotes cannot
// break the document); otherwise as text.
func (st *run) document(n *Node, name string, sc scope) (any, error) {
	raw := n.Inputs[name]
	if s, ok := raw.(string); ok {
		if parsed, ok := jsonDoc(s); ok {
			v, err := st.resolve(parsed, sc)
			if err != nil {
				return nil, fmt.Errorf("input %s: %w", name, err)
			}
			return v, nil
		}
	}
	return st.input(n, name, sc)
}

// capOutput keeps an output for the record when its JSON is about
// maxRecordedOutput or less (estimated without encoding it).
func capOutput(v any) any {
	if n := approxSize(v, maxRecordedOutput); n > maxRecordedOutput {
		return map[string]any{"truncated": true, "approxBytes": n}
	}
	return v
}

// approxSize estimates v's JSON size, stopping once it passes limit.
func approxSize(v any, limit int) int {
	switch t := v.(type) {
	case nil, bool:
		return 5
	case string:
		return len(t) + 2
	case float64, int, int64:
		return 8
	case []any:
		n := 2
		for _, item := range t {
			if n += approxSize(item, limit-n) + 1; n > limit {
				return n
			}
		}
		return n
	case map[string]any:
		n := 2
		for k, item := range t {
			if n += len(k) + 4 + approxSize(item, limit-n); n > limit {
				return n
			}
		}
		return n
	}
	b, err := json.Marshal(v)
	if err != nil {
		return limit + 1
	}
	return len(b)
}
