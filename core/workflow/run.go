package workflow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
)

// DefaultTimeout bounds an execution unless the workflow's settings
// (execution_timeout_ms) say otherwise; the caller's context may say less.
const DefaultTimeout = 30 * time.Second

// timeoutFor is how long one execution of g may run: the workflow's
// execution_timeout_ms (DefaultTimeout when unset), never more than the
// runner's Timeout when the operator set one, nor MaxTimeout.
func (r *Runner) timeoutFor(g *Graph) time.Duration {
	limit := r.Timeout
	if limit <= 0 {
		limit = MaxTimeout
	}
	t := g.Opts.Timeout
	if t <= 0 {
		t = DefaultTimeout
		if r.Timeout > 0 {
			t = r.Timeout
		}
	}
	return min(t, limit)
}

// Record size caps (execution records are kept in the state store; see
// retention.go for how long). Anything bigger is recorded as a note of its
// size, {"truncated": true, "approxBytes": N}:
//
//	maxRecordedTrigger  the trigger's payload (a webhook body may be MiBs)
//	maxRecordedOutput   one node's outputs
//	maxRecordedOutputs  all node outputs of one record together (in
//	                    topological order: later nodes get the note)
//	maxResult           the result, which the caller also gets back
//	maxLogMessage       one log line (cut, marked with an ellipsis)
const (
	maxRecordedTrigger = 16 << 10
	maxRecordedOutput  = 16 << 10
	maxRecordedOutputs = 256 << 10
	maxResult          = 64 << 10
	maxLogMessage      = 4 << 10
)

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
	// Parallel bounds the nodes of one execution running at the same time
	// (DefaultParallel when 0; 1 runs one node at a time). A workflow's
	// settings.maxParallel may lower it, never raise it.
	Parallel int
	// Secrets resolve $secrets (secrets.go); nil: $secrets is null.
	Secrets SecretSource
	// Live receives the run's progress (live.go); nil: none is sent.
	Live *Broker
}

// run is the state of one execution. The scheduler (Run) is the only
// goroutine that writes it; a node started next to others runs on a
// child run (see child) whose records are merged in topological order.
type run struct {
	r       *Runner
	g       *Graph
	ctx     context.Context
	exec    *core.Execution
	outputs map[string]any // by node id and by label
	done    map[string]any // by node id: outputs of completed nodes
	branch  map[string]string
	vars    map[string]any // what set_variable writes
	seen    map[string]any // what $vars reads: vars, or the parent's for a child
	trigger any
	now     time.Time
	sc      scope

	// $secrets (secrets.go): the values, the strings to redact from the
	// record, and why they cannot be read
	secrets    map[string]any
	redact     []string
	secretsErr error

	// the scheduler's state (parent run only)
	plan     *plan
	slots    []slot
	ready    []int // topological positions whose predecessors have all finished
	waiting  []int // decided to run, waiting for a free slot
	next     int   // the first position not yet recorded
	inflight int
	firstErr int // the lowest position that finished with an error
	results  chan finished
	failed   error
	timeout  time.Duration
	recorded int // approximate bytes of node outputs in the record
}

// slot is one node's progress in an execution.
type slot struct {
	state     uint8
	remaining int // predecessors not finished yet
	input     any
	out       any
	err       error // the execution's error when this node failed
	child     *run  // set when the node ran next to others
	size      int   // the recorded outputs' approximate JSON size
}

const (
	pending uint8 = iota
	queued
	running
	over
)

// finished is a node's result coming back from its goroutine.
type finished struct {
	i     int
	out   any
	err   error
	dur   time.Duration
	child *run
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
//
// Nodes run in topological order; a node whose predecessors have all
// finished may start while other such nodes run (at most Parallel at a
// time). What an execution shows stays the same as one node at a time:
// the record lists nodes in topological order, logs, effects, variables
// and the result are merged in that order, and a node that reads other
// nodes' outputs or variables ($node, $vars) starts only after every node
// before it in that order is recorded. After a node fails, nodes that have
// not started are skipped; nodes already running finish and are recorded
// as they ended.
func (r *Runner) Run(ctx context.Context, g *Graph, triggerType string, payload any) *core.Execution {
	return r.runAs(ctx, g, triggerType, payload, "")
}

// runAs is Run with the execution's id given (a claimed run's); "" makes
// one. The id is known from the start so that live events carry it.
func (r *Runner) runAs(ctx context.Context, g *Graph, triggerType string, payload any, id string) *core.Execution {
	if id == "" {
		id = NewID()
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	timeout := r.timeoutFor(g)
	ctx, cancel := context.WithTimeout(ctx, timeout) // never past the caller's deadline
	defer cancel()
	if payload == nil {
		payload = map[string]any{}
	}
	pl := g.plan
	if pl == nil { // a graph not built by Parse; never written back (graphs are shared)
		pl = g.buildPlan()
	}
	n := len(g.order)
	st := &run{
		r: r, g: g, ctx: ctx, now: now(),
		exec: &core.Execution{
			ID: id, WorkflowID: g.Workflow.ID, Status: core.ExecExecuting, TriggerType: triggerType,
			TriggerPayload: capped(payload, maxRecordedTrigger), VariableMutations: []core.Mutation{}, Effects: []core.Effect{}, Logs: []core.LogLine{},
			NodeExecutions: make([]core.NodeExecution, n),
		},
		outputs: map[string]any{}, done: map[string]any{}, branch: map[string]string{}, vars: map[string]any{}, trigger: payload,
		slots: make([]slot, n), firstErr: n, timeout: timeout, plan: pl,
	}
	st.seen = st.vars
	st.exec.StartedAt = st.now.UTC()
	st.emit(EventStarted, EventData{Nodes: n})
	st.loadSecrets()
	st.schedule(r.parallelFor(g))
	st.seal(ctx, triggerType)
	return st.exec
}

// parallelFor is how many nodes of g may run at once: the Runner's bound,
// lowered by the workflow's maxParallel setting.
func (r *Runner) parallelFor(g *Graph) int {
	bound := r.Parallel
	if bound <= 0 {
		bound = DefaultParallel
	}
	if p, ok := number(g.Settings["maxParallel"]); ok && p >= 1 && int(p) < bound {
		bound = int(p)
	}
	return bound
}

// schedule runs the nodes, at most bound at a time, until every node is
// recorded (run, skipped or failed) in topological order.
func (st *run) schedule(bound int) {
	g, pl, n := st.g, st.plan, len(st.g.order)
	buf := make([]int, 2*n) // ready and waiting each hold at most n
	st.ready, st.waiting = buf[:0:n], buf[n:n]
	for i := range st.slots {
		st.slots[i].remaining = pl.npred[i]
		if pl.npred[i] == 0 {
			st.ready = append(st.ready, i)
		}
	}
	for st.next < n {
		progress := st.decide()
		if st.launch(bound) {
			progress = true
		}
		st.record()
		if st.next >= n || progress {
			continue
		}
		if st.inflight == 0 { // cannot happen in a DAG; never hang on it
			st.failed = fmt.Errorf("execution stalled before node %q", g.order[st.next].ID)
			break
		}
		d := <-st.results
		st.inflight--
		st.slots[d.i].child = d.child
		if took, ok := d.child.branch[g.order[d.i].ID]; ok {
			st.branch[g.order[d.i].ID] = took
		}
		st.finish(d.i, true, d.out, d.err, d.dur)
		st.record()
	}
}

// seal ends the execution record: its end time and status, its result and
// logs within their bounds, and no secret left in it.
func (st *run) seal(ctx context.Context, triggerType string) {
	st.exec.EndedAt = time.Now().UTC()
	st.exec.Status = core.ExecCompleted
	if st.failed != nil {
		st.exec.Status, st.exec.Error = core.ExecError, st.failed.Error()
		if errors.Is(ctx.Err(), context.Canceled) {
			st.exec.Status = core.ExecCancelled
		}
	}
	st.exec.Result = capped(st.exec.Result, maxResult)
	for i, l := range st.exec.Logs {
		if len(l.Message) > maxLogMessage {
			st.exec.Logs[i].Message = strings.ToValidUTF8(l.Message[:maxLogMessage], "") + "…"
		}
	}
	if err := redactRecord(st.exec, st.redact); err != nil { // never keep a record that may hold a secret
		*st.exec = core.Execution{ID: st.exec.ID, WorkflowID: st.exec.WorkflowID, Status: core.ExecError, TriggerType: triggerType,
			StartedAt: st.exec.StartedAt, EndedAt: st.exec.EndedAt, Error: "the execution record could not be cleared of secrets",
			VariableMutations: []core.Mutation{}, Effects: []core.Effect{}, Logs: []core.LogLine{}, NodeExecutions: []core.NodeExecution{}}
	}
}

// decide settles the ready nodes, lowest position first: skipped (an
// earlier node failed, or no live edge leads in), failed (past the
// deadline), or queued to run. A node reading shared state waits until
// every node before it is recorded.
func (st *run) decide() bool {
	progress := false
	for k := 0; k < len(st.ready); {
		i := st.ready[k]
		if st.plan.barrier[i] && i != st.next {
			k++
			continue
		}
		st.ready = append(st.ready[:k], st.ready[k+1:]...)
		progress = true
		n := st.g.order[i]
		input, live := st.liveInput(n)
		if st.firstErr < i || !live {
			st.finish(i, false, nil, nil, 0)
			continue
		}
		if st.expired(i) {
			continue
		}
		st.slots[i].input, st.slots[i].state = input, queued
		st.waiting = insertSorted(st.waiting, i)
	}
	return progress
}

// expired fails node i when the execution's context has ended.
func (st *run) expired(i int) bool {
	err := st.ctx.Err()
	if err == nil {
		return false
	}
	id := st.g.order[i].ID
	failed := fmt.Errorf("execution deadline of %s exceeded before node %q", st.timeout, id)
	if errors.Is(err, context.Canceled) {
		failed = fmt.Errorf("execution cancelled before node %q", id)
	}
	st.finish(i, false, nil, failed, 0)
	return true
}

// launch starts queued nodes while slots are free: on this goroutine when
// it is the only node that can run (a chain pays nothing for the
// scheduler), otherwise each on its own goroutine with a child run.
func (st *run) launch(bound int) bool {
	progress := false
	for len(st.waiting) > 0 && st.inflight < bound {
		i := st.waiting[0]
		st.waiting = st.waiting[:copy(st.waiting, st.waiting[1:])]
		progress = true
		n := st.g.order[i]
		if st.firstErr < i { // an earlier node failed meanwhile
			st.finish(i, false, nil, nil, 0)
			continue
		}
		if st.expired(i) {
			continue
		}
		input := st.slots[i].input
		st.slots[i].input = nil
		st.emit(EventExecuting, EventData{NodeID: n.ID, NodeType: n.Type})
		if st.inflight == 0 && i == st.next && (len(st.waiting) == 0 || bound == 1) {
			start := time.Now()
			out, err := st.node(n, input)
			st.finish(i, true, out, err, time.Since(start))
			continue
		}
		if st.results == nil {
			st.results = make(chan finished, bound)
		}
		st.slots[i].state = running
		st.inflight++
		go st.child().work(i, n, input, st.results)
	}
	return progress
}

// child is a run for one node started next to others: it reads the
// parent's outputs and variables (frozen while it may read them: see
// decide) and collects its logs, effects, variables and branch apart.
func (st *run) child() *run {
	return &run{
		r: st.r, g: st.g, ctx: st.ctx, now: st.now, trigger: st.trigger, outputs: st.outputs, timeout: st.timeout,
		exec: &core.Execution{}, branch: map[string]string{}, vars: map[string]any{}, seen: st.vars,
		secrets: st.secrets, secretsErr: st.secretsErr,
	}
}

// work runs node i on st, a child run of its own, and reports to results.
func (st *run) work(i int, n *Node, input any, results chan<- finished) {
	start := time.Now()
	var out any
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("node failed: %v", p)
			}
		}()
		out, err = st.node(n, input)
	}()
	results <- finished{i: i, out: out, err: err, dur: time.Since(start), child: st}
}

// finish settles node i: skipped when it did not run (ran false, no
// error), failed, or completed; its successors become ready once all
// their predecessors have finished.
func (st *run) finish(i int, ran bool, out any, err error, dur time.Duration) {
	n := st.g.order[i]
	sl := &st.slots[i]
	sl.state = over
	ne := &st.exec.NodeExecutions[i]
	ne.NodeID, ne.Type, ne.Status = n.ID, n.Type, core.NodeSkipped
	if ran {
		ne.DurationMs = float64(dur.Microseconds()) / 1000
	}
	switch {
	case err != nil && !ran: // failed before it ran
		ne.Status, ne.Error = core.NodeError, err.Error()
		sl.err = err
	case err != nil:
		ne.Status, ne.Error = core.NodeError, err.Error()
		sl.err = fmt.Errorf("node %q (%s): %w", n.ID, n.Type, err)
	case ran:
		ne.Outputs, sl.size = capOutput(out, maxRecordedOutput)
		ne.Status, ne.Branch = core.NodeCompleted, st.branch[n.ID]
		sl.out = out
		st.done[n.ID] = out
	}
	if sl.err != nil && i < st.firstErr {
		st.firstErr = i
	}
	switch {
	case ne.Status == core.NodeError:
		st.emit(EventNodeError, EventData{NodeID: n.ID, NodeType: n.Type, Error: ne.Error})
	case ne.Status == core.NodeCompleted:
		st.emit(EventNodeCompleted, EventData{NodeID: n.ID, NodeType: n.Type})
	}
	for _, j := range st.plan.succ[i] {
		if st.slots[j].remaining--; st.slots[j].remaining == 0 {
			st.ready = insertSorted(st.ready, j)
		}
	}
}

// emit sends a live event of this run (live.go); the run's end is sent
// by the Service once the record is saved, so that a client that reads
// the record on "completed" finds it.
func (st *run) emit(typ string, data EventData) {
	if st.r.Live != nil {
		if data.Error != "" { // the record is cleared of secrets at its end; an event now
			for _, v := range st.redact {
				data.Error = strings.ReplaceAll(data.Error, v, redactedMark)
			}
		}
		st.r.Live.Publish(st.r.Live.event(typ, st.exec.ID, st.g.Workflow.ID, data))
	}
}

// record merges finished nodes into the execution in topological order:
// outputs for $node, the result, and a child run's logs, effects and
// variables; the first failure in that order is the execution's error.
func (st *run) record() {
	for st.next < len(st.slots) && st.slots[st.next].state == over {
		i := st.next
		st.next++
		sl := &st.slots[i]
		if c := sl.child; c != nil {
			st.exec.Logs = append(st.exec.Logs, c.exec.Logs...)
			st.exec.Effects = append(st.exec.Effects, c.exec.Effects...)
			st.exec.VariableMutations = append(st.exec.VariableMutations, c.exec.VariableMutations...)
			if st.exec.Response == nil {
				st.exec.Response = c.exec.Response
			}
			for k, v := range c.vars {
				st.vars[k] = v
			}
			sl.child = nil
		}
		if sl.err != nil {
			if st.failed == nil {
				st.failed = sl.err
			}
			continue
		}
		if st.exec.NodeExecutions[i].Status != core.NodeCompleted {
			continue
		}
		if st.recorded += sl.size; st.recorded > maxRecordedOutputs && sl.size > 0 {
			st.exec.NodeExecutions[i].Outputs = map[string]any{"truncated": true, "approxBytes": sl.size, "reason": "the record's outputs are over their cap"}
		}
		n := st.g.order[i]
		st.outputs[n.ID] = sl.out
		if n.Label != "" {
			if _, taken := st.outputs[n.Label]; !taken {
				st.outputs[n.Label] = sl.out
			}
		}
		st.exec.Result = sl.out
		sl.out = nil
	}
}

// insertSorted inserts v into the ascending list s.
func insertSorted(s []int, v int) []int {
	k := len(s)
	for k > 0 && s[k-1] > v {
		k--
	}
	s = append(s, 0)
	copy(s[k+1:], s[k:])
	s[k] = v
	return s
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

// scope returns the expression scope for a node: one map per run (a
// child run has its own), with $input set to the node's input.
func (st *run) scope(input any) scope {
	if st.sc == nil {
		st.sc = newScope(input, st.trigger, st.outputs, st.seen, st.r.Env, st.now)
		st.sc["$secrets"] = st.secrets
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

// capOutput keeps v for the record when its JSON is about limit bytes or
// less (estimated without encoding it), and returns that estimate.
func capOutput(v any, limit int) (any, int) {
	n := approxSize(v, limit)
	if n > limit {
		return map[string]any{"truncated": true, "approxBytes": n}, n
	}
	return v, n
}

func capped(v any, limit int) any {
	v, _ = capOutput(v, limit)
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
