package workflow

import (
	"context"
	"encoding/json"

	"github.com/frontbase/edge/core"
)

// ExecuteNode runs one node of a deployed workflow as the editor's "test
// node" button asks: the node and the nodes upstream of it (with the
// trigger, which hands the parameters in), nothing downstream. As in the
// TypeScript engine, the workflow's guards do not apply and an inactive
// workflow may be tested. The record's trigger type is node_test, its
// payload {nodeId, parameters}, and its result {nodeId: the node's outputs}.
func (s *Service) ExecuteNode(ctx context.Context, id, nodeID string, params map[string]any) (*core.Execution, error) {
	g, sw, err := s.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if g.byID[nodeID] == nil {
		return nil, core.Errorf(core.ENOTFOUND, "workflow %q has no node %q", id, nodeID)
	}
	keep := map[string]bool{}
	var up func(string)
	up = func(n string) {
		if keep[n] {
			return
		}
		keep[n] = true
		for _, e := range g.in[n] {
			up(e.Source)
		}
	}
	up(nodeID)
	if g.Trigger != nil {
		keep[g.Trigger.ID] = true
	}
	sub, err := subWorkflow(sw.Workflow, keep)
	if err != nil {
		return nil, err
	}
	sg, is := Parse(sub)
	if err := is.Err(); err != nil {
		return nil, err
	}
	if params == nil {
		params = map[string]any{}
	}
	exec := s.runner.Run(ctx, sg, "node_test", params)
	exec.TriggerPayload = map[string]any{"nodeId": nodeID, "parameters": params}
	var out any
	for _, ne := range exec.NodeExecutions {
		if ne.NodeID == nodeID {
			out = ne.Outputs
		}
	}
	exec.Result = map[string]any{nodeID: out}
	exec.WorkflowVersion = sw.Version
	saveCtx, cancel := recordContext(ctx)
	defer cancel()
	err = s.store.SaveExecution(saveCtx, exec)
	s.publishEnd(exec) // live.go: the run's stream ends once the record is saved
	return exec, err
}

// subWorkflow is w with only the nodes in keep and the edges between them,
// active (a test runs whatever the toggle says).
func subWorkflow(w *core.Workflow, keep map[string]bool) (*core.Workflow, error) {
	var nodes, edges []json.RawMessage
	if err := json.Unmarshal(orNull(w.Nodes), &nodes); err != nil {
		return nil, core.Errorf(core.EINVALID, "stored workflow %q: nodes: %v", w.ID, err)
	}
	json.Unmarshal(orNull(w.Edges), &edges) // Load parsed them already
	var keptNodes, keptEdges []json.RawMessage
	for _, raw := range nodes {
		var n struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &n) == nil && keep[n.ID] {
			keptNodes = append(keptNodes, raw)
		}
	}
	for _, raw := range edges {
		var e rawEdge
		if json.Unmarshal(raw, &e) == nil && keep[e.Source] && keep[e.Target] {
			keptEdges = append(keptEdges, raw)
		}
	}
	sub := *w
	active := true
	sub.IsActive = &active
	sub.Nodes, _ = json.Marshal(keptNodes)
	sub.Edges, _ = json.Marshal(keptEdges)
	if keptEdges == nil {
		sub.Edges = json.RawMessage("[]")
	}
	return &sub, nil
}
