package storetest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/tick"
	"github.com/frontbase/edge/core/workflow"
)

// Retention checks the execution retention: the store's bounded deletes
// (one statement, at most limit rows) and the tick enforcing
// FRONTBASE_EXECUTION_RETENTION through workflow.Service.
func Retention(t *testing.T, s Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	save := func(wf string, n int, start time.Time) {
		t.Helper()
		for i := range n {
			e := &core.Execution{ID: fmt.Sprintf("%s-%s-%03d", wf, start.Format("0102150405"), i), WorkflowID: wf,
				Status: core.ExecCompleted, StartedAt: start.Add(time.Duration(i) * time.Millisecond)}
			if err := s.SaveExecution(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	count := func(wf string) int {
		t.Helper()
		list, err := s.ListExecutions(ctx, core.ExecutionQuery{WorkflowID: wf, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	// old: 7 records from ten days ago and 3 from an hour and a half ago;
	// busy: 12 from two hours ago and 4 from now.
	save("old", 7, now.Add(-240*time.Hour))
	save("old", 3, now.Add(-90*time.Minute))
	save("busy", 12, now.Add(-2*time.Hour))
	save("busy", 4, now)

	// One statement deletes at most its limit, oldest first.
	steps := []struct {
		limit, want int
	}{{3, 3}, {3, 3}, {3, 1}, {3, 0}}
	for i, st := range steps {
		n, err := s.DeleteExecutionsBefore(ctx, now.Add(-7*24*time.Hour), st.limit)
		if err != nil || n != st.want {
			t.Fatalf("delete before, step %d: %d, %v; want %d", i, n, err, st.want)
		}
	}
	if c := count("old"); c != 3 {
		t.Fatalf("old has %d records after the age limit, want 3", c)
	}
	over, err := s.WorkflowsOverExecutions(ctx, 5, 10)
	if err != nil || !slices.Equal(over, []string{"busy"}) {
		t.Fatalf("over 5: %v %v", over, err)
	}
	// Trim keeps the newest 5, and anything from the last hour.
	if n, err := s.TrimExecutions(ctx, "busy", 5, now.Add(-time.Hour), 4); err != nil || n != 4 {
		t.Fatalf("trim: %d %v", n, err)
	}
	if n, err := s.TrimExecutions(ctx, "busy", 5, now.Add(-time.Hour), 100); err != nil || n != 7 {
		t.Fatalf("trim the rest: %d %v", n, err)
	}
	list, _ := s.ListExecutions(ctx, core.ExecutionQuery{WorkflowID: "busy", Limit: 100})
	if len(list) != 5 || !list[4].StartedAt.Equal(now.Add(-2*time.Hour+11*time.Millisecond)) {
		t.Fatalf("busy kept %d: %v", len(list), ids(list))
	}
	if n, err := s.TrimExecutions(ctx, "busy", 1, now.Add(-time.Hour), 100); err != nil || n != 1 {
		t.Fatalf("trim to 1 spares the last hour: %d %v", n, err)
	}
	if c := count("busy"); c != 4 {
		t.Fatalf("busy has %d, want the 4 recent ones", c)
	}

	// The tick enforces the retention through the workflow service with
	// "2h,2": the age limit deletes older's three (3 hours old); old's
	// three (1.5 hours) are younger, but its row cap of 2 trims one; busy
	// keeps its four of the last hour whatever the cap.
	save("older", 3, now.Add(-3*time.Hour))
	r, err := workflow.ParseRetention("2h,2")
	if err != nil {
		t.Fatal(err)
	}
	svc := workflow.New(s, workflow.Options{Retention: &r, Pruner: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rep, err := (&tick.Ticker{Store: s, Workflows: svc}).Tick(ctx)
	if err != nil || rep.Pruned != 4 || rep.PruneError != "" {
		t.Fatalf("tick: %+v %v", rep, err)
	}
	for wf, want := range map[string]int{"old": 2, "busy": 4, "older": 0} {
		if c := count(wf); c != want {
			t.Errorf("%s: %d records after the tick, want %d", wf, c, want)
		}
	}
	if rep, _ := (&tick.Ticker{Store: s, Workflows: svc}).Tick(ctx); rep.Pruned != 0 {
		t.Errorf("a second tick pruned %d", rep.Pruned)
	}
}
