// Package storetest holds store checks that every backend of sqlstore
// runs (SQLite in adapters/sqlite, Turso in adapters/turso).
package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

// Workflows checks versions, rollback, toggle, delete and execution records.
func Workflows(t *testing.T, s Store) {
	t.Helper()
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		v, err := s.SaveWorkflow(ctx, &core.Workflow{ID: "wf-a", Name: fmt.Sprint("v", i), TriggerType: "manual"})
		if err != nil || v != int64(i) {
			t.Fatalf("deploy %d = %d, %v", i, v, err)
		}
	}
	if _, err := s.SaveWorkflow(ctx, &core.Workflow{ID: "wf-b", Name: "b"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListWorkflows(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "wf-a" || list[0].Version != 3 || !list[0].IsActive {
		t.Fatalf("list = %+v, %v", list, err)
	}

	// Rollback to 1 is a new version 4 holding version 1's document.
	v, err := s.RollbackWorkflow(ctx, "wf-a", 1)
	if err != nil || v != 4 {
		t.Fatalf("rollback = %d, %v", v, err)
	}
	if w, err := s.Workflow(ctx, "wf-a"); err != nil || w.Workflow.Name != "v1" || w.Version != 4 {
		t.Fatalf("after rollback = %+v, %v", w, err)
	}
	if v, err := s.RollbackWorkflow(ctx, "wf-a", 3); err != nil || v != 5 {
		t.Fatalf("roll forward = %d, %v", v, err)
	}
	if _, err := s.RollbackWorkflow(ctx, "wf-a", 99); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("rollback to a missing version: %v", err)
	}
	if _, err := s.RollbackWorkflow(ctx, "nope", 1); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("rollback of a missing workflow: %v", err)
	}

	// Toggle is a compare-and-set on the version.
	if err := s.SetWorkflowActive(ctx, "wf-a", 5, false); err != nil {
		t.Fatal(err)
	}
	if w, _ := s.Workflow(ctx, "wf-a"); w.Workflow.Active() || w.Version != 5 {
		t.Fatalf("after toggle: active=%v version=%d", w.Workflow.Active(), w.Version)
	}
	if err := s.SetWorkflowActive(ctx, "wf-a", 4, true); core.ErrorCode(err) != core.ECONFLICT {
		t.Fatalf("toggle of an old version: %v", err)
	}

	// Executions.
	start := time.Now().UTC().Truncate(time.Millisecond)
	for i, status := range []string{core.ExecCompleted, core.ExecError, core.ExecCompleted} {
		e := &core.Execution{ID: fmt.Sprint("ex", i), WorkflowID: "wf-a", Status: status, TriggerType: "manual",
			NodeExecutions: []core.NodeExecution{{NodeID: "t", Status: core.NodeCompleted, Outputs: map[string]any{"i": float64(i)}}},
			StartedAt:      start.Add(time.Duration(i) * time.Second), EndedAt: start.Add(time.Duration(i)*time.Second + time.Millisecond)}
		if err := s.SaveExecution(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Execution(ctx, "ex1")
	if err != nil || got.Status != core.ExecError || got.NodeExecutions[0].Outputs.(map[string]any)["i"] != float64(1) || !got.StartedAt.Equal(start.Add(time.Second)) {
		t.Fatalf("execution = %+v, %v", got, err)
	}
	if _, err := s.Execution(ctx, "missing"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("missing execution: %v", err)
	}
	all, err := s.ListExecutions(ctx, core.ExecutionQuery{WorkflowID: "wf-a"})
	if err != nil || len(all) != 3 || all[0].ID != "ex2" || all[2].ID != "ex0" {
		t.Fatalf("list = %v, %v", ids(all), err)
	}
	done, _ := s.ListExecutions(ctx, core.ExecutionQuery{WorkflowID: "wf-a", Status: core.ExecCompleted, Limit: 1})
	if len(done) != 1 || done[0].ID != "ex2" {
		t.Fatalf("completed, limit 1 = %v", ids(done))
	}

	// A claim writes once; the finished record then replaces it.
	claim := &core.Execution{ID: "sched-1", WorkflowID: "wf-a", Status: core.ExecStarted, StartedAt: start, Result: map[string]any{"claimedBy": "a"}}
	if won, err := s.ClaimExecution(ctx, claim); err != nil || !won {
		t.Fatalf("first claim = %v %v", won, err)
	}
	other := *claim
	other.Result = map[string]any{"claimedBy": "b"}
	if won, err := s.ClaimExecution(ctx, &other); err != nil || won {
		t.Fatalf("second claim = %v %v", won, err)
	}
	claim.Status, claim.EndedAt = core.ExecCompleted, start.Add(time.Second)
	if err := s.SaveExecution(ctx, claim); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Execution(ctx, "sched-1"); err != nil || got.Status != core.ExecCompleted {
		t.Fatalf("claimed then saved = %+v %v", got, err)
	}

	// Delete keeps executions.
	if err := s.DeleteWorkflow(ctx, "wf-a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Workflow(ctx, "wf-a"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("deleted workflow: %v", err)
	}
	if err := s.DeleteWorkflow(ctx, "wf-a"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.Execution(ctx, "ex0"); err != nil {
		t.Fatalf("execution after delete: %v", err)
	}
	// Redeploying a deleted workflow starts its versions again.
	if v, err := s.SaveWorkflow(ctx, &core.Workflow{ID: "wf-a"}); err != nil || v != 1 {
		t.Fatalf("redeploy = %d, %v", v, err)
	}
}

func ids(es []core.Execution) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}
