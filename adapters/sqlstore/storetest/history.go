package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

// WorkflowHistory checks what the control plane's Actions pages read: the
// execution log across workflows (filters, tenant), the run counts per
// workflow, and a workflow's kept versions.
func WorkflowHistory(t *testing.T, s Store) {
	t.Helper()
	ctx := context.Background()
	for i, wf := range []struct{ id, tenant string }{{"wf-a", ""}, {"wf-b", "acme"}} {
		w := &core.Workflow{ID: wf.id, Name: fmt.Sprint("n", i), TriggerType: "manual"}
		if wf.tenant != "" {
			w.Extra = map[string]json.RawMessage{"tenantSlug": json.RawMessage(`"` + wf.tenant + `"`)}
		}
		for range 2 {
			if _, err := s.SaveWorkflow(ctx, w); err != nil {
				t.Fatal(err)
			}
		}
	}
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	runs := []struct {
		wf, status string
	}{{"wf-a", core.ExecCompleted}, {"wf-a", core.ExecError}, {"wf-b", core.ExecCompleted}, {"wf-a", core.ExecCompleted}, {"wf-gone", core.ExecCancelled}}
	for i, r := range runs {
		at := base.Add(time.Duration(i) * time.Hour)
		e := &core.Execution{ID: fmt.Sprint("e", i), WorkflowID: r.wf, Status: r.status, TriggerType: "manual", StartedAt: at, EndedAt: at.Add(time.Second)}
		if err := s.SaveExecution(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(list []core.Execution) string {
		out := ""
		for _, e := range list {
			out += e.ID + " "
		}
		return out
	}
	for _, c := range []struct {
		name string
		q    core.ExecutionQuery
		want string
	}{
		{"all, newest first", core.ExecutionQuery{}, "e4 e3 e2 e1 e0 "},
		{"limit", core.ExecutionQuery{Limit: 2}, "e4 e3 "},
		{"statuses", core.ExecutionQuery{Statuses: []string{core.ExecError, core.ExecCancelled}}, "e4 e1 "},
		{"one workflow, one status", core.ExecutionQuery{WorkflowID: "wf-a", Status: core.ExecCompleted}, "e3 e0 "},
		{"since and until", core.ExecutionQuery{Since: base.Add(time.Hour), Until: base.Add(3 * time.Hour)}, "e3 e2 e1 "},
		{"default tenant", core.ExecutionQuery{Tenant: "_default"}, "e3 e1 e0 "},
		{"named tenant", core.ExecutionQuery{Tenant: "acme"}, "e2 "},
	} {
		list, err := s.ListExecutions(ctx, c.q)
		if err != nil || ids(list) != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, ids(list), err, c.want)
		}
	}

	stats, err := s.ExecutionStats(ctx, "")
	stat := func(id string, total, ok, failed int64) core.ExecutionStat {
		return core.ExecutionStat{WorkflowID: id, TotalRuns: total, SuccessfulRuns: ok, FailedRuns: failed}
	}
	want := []core.ExecutionStat{stat("wf-a", 3, 2, 1), stat("wf-b", 1, 1, 0), stat("wf-gone", 1, 0, 0)}
	if err != nil || fmt.Sprint(stats) != fmt.Sprint(want) {
		t.Errorf("stats = %v, %v; want %v", stats, err, want)
	}
	if stats, _ := s.ExecutionStats(ctx, "acme"); fmt.Sprint(stats) != fmt.Sprint(want[1:2]) {
		t.Errorf("acme's stats = %v", stats)
	}

	vs, err := s.WorkflowVersions(ctx, "wf-a", 10)
	if err != nil || len(vs) != 2 || vs[0].Version != 2 || vs[1].Version != 1 || vs[0].Workflow.Name != "n0" || vs[1].UpdatedAt.IsZero() {
		t.Fatalf("versions = %+v, %v", vs, err)
	}
	if v, err := s.WorkflowVersion(ctx, "wf-a", 1); err != nil || v.Version != 1 || v.Workflow.ID != "wf-a" {
		t.Fatalf("version 1 = %+v, %v", v, err)
	}
	if _, err := s.WorkflowVersion(ctx, "wf-a", 9); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("missing version: %v", err)
	}
	if err := s.DeleteWorkflowVersion(ctx, "wf-a", 2); core.ErrorCode(err) != core.ECONFLICT {
		t.Fatalf("deleting the current version: %v", err)
	}
	if err := s.DeleteWorkflowVersion(ctx, "wf-a", 1); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWorkflowVersion(ctx, "wf-a", 1); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("deleting it again: %v", err)
	}
	if vs, _ := s.WorkflowVersions(ctx, "wf-a", 10); len(vs) != 1 {
		t.Fatalf("after delete: %+v", vs)
	}
}
