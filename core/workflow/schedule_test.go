package workflow

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

// memStore holds workflows and executions in memory for the scheduling
// rules (the real stores' claim is tested in adapters/sqlstore/storetest).
type memStore struct {
	Store // unused methods panic
	mu    sync.Mutex
	wfs   map[string]*core.StoredWorkflow
	execs map[string]*core.Execution
}

func (m *memStore) ListWorkflows(context.Context) ([]core.WorkflowSummary, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []core.WorkflowSummary
	for _, w := range m.wfs {
		out = append(out, core.WorkflowSummary{ID: w.Workflow.ID, TriggerType: w.Workflow.TriggerType, IsActive: w.Workflow.Active(), Version: w.Version})
	}
	return out, nil
}

func (m *memStore) Workflow(_ context.Context, id string) (*core.StoredWorkflow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if w := m.wfs[id]; w != nil {
		return w, nil
	}
	return nil, core.Errorf(core.ENOTFOUND, "no")
}

func (m *memStore) ClaimExecution(_ context.Context, e *core.Execution) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.execs[e.ID] != nil {
		return false, nil
	}
	c := *e
	m.execs[e.ID] = &c
	return true, nil
}

func (m *memStore) SaveExecution(_ context.Context, e *core.Execution) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := *e
	m.execs[e.ID] = &c
	return nil
}

func scheduled(t *testing.T, id string, inputs map[string]any, updated time.Time, active bool) *core.StoredWorkflow {
	w := build(t, []nd{{id: "s", typ: "schedule_trigger", in: inputs}, {id: "l", typ: "log", in: map[string]any{"message": "at {{ $input.scheduledTime }}"}}}, "s->l")
	w.ID, w.TriggerType, w.IsActive = id, "scheduled", &active
	return &core.StoredWorkflow{Workflow: w, Version: 1, UpdatedAt: updated}
}

func TestScheduledWorkflowsRunOncePerSlot(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	store := &memStore{wfs: map[string]*core.StoredWorkflow{}, execs: map[string]*core.Execution{}}
	store.wfs["every"] = scheduled(t, "every", map[string]any{"mode": "interval", "intervalSeconds": 60}, at("2026-01-01T10:00:30Z"), true)
	store.wfs["oslo"] = scheduled(t, "oslo", map[string]any{"mode": "cron", "cronExpression": "0 6 * * *", "timezone": "Europe/Oslo"}, at("2026-01-01T00:00:00Z"), true)
	store.wfs["off"] = scheduled(t, "off", map[string]any{"mode": "interval", "intervalSeconds": 60}, at("2026-01-01T00:00:00Z"), false)
	var now time.Time
	var mu sync.Mutex
	svc := New(store, Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	set := func(s string) { mu.Lock(); now = at(s); mu.Unlock() }

	steps := []struct {
		now  string
		want int
	}{
		{"2026-01-01T10:00:50Z", 0}, // no slot since the deploy
		{"2026-01-01T10:01:05Z", 1}, // every: 10:01
		{"2026-01-01T10:01:40Z", 0}, // the same slot again
		{"2026-01-01T04:59:59Z", 0}, // (clock back) before 06:00 Oslo; 'every' slot precedes its deploy
		{"2026-01-01T05:00:30Z", 1}, // 06:00 Oslo is due (every's 05:00 slot precedes its deploy)
	}
	for i, st := range steps {
		set(st.now)
		ran, err := svc.RunDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if ran != st.want {
			t.Errorf("step %d at %s: ran %d, want %d", i, st.now, ran, st.want)
		}
	}
	// Overlapping ticks: one run per slot in total.
	set("2026-01-01T10:07:00Z")
	var wg sync.WaitGroup
	total := make(chan int, 8)
	for range 8 {
		wg.Go(func() {
			n, _ := svc.RunDue(context.Background())
			total <- n
		})
	}
	wg.Wait()
	close(total)
	sum := 0
	for n := range total {
		sum += n
	}
	if sum != 1 {
		t.Errorf("8 overlapping ticks ran %d times", sum)
	}
	// Records: completed, with the slot as the trigger's scheduledTime.
	e := store.execs[slotID("oslo", at("2026-01-01T05:00:00Z"))]
	if e == nil || e.Status != core.ExecCompleted || e.Logs[0].Message != "at 2026-01-01T05:00:00Z" {
		b, _ := json.Marshal(e)
		t.Errorf("oslo record: %s", b)
	}
	for id := range store.execs {
		if store.execs[id].WorkflowID == "off" {
			t.Error("an inactive workflow ran")
		}
	}
	// Past the lookback a missed slot is skipped.
	set("2026-01-02T07:30:00Z")
	store.wfs = map[string]*core.StoredWorkflow{"oslo": store.wfs["oslo"]}
	if ran, _ := svc.RunDue(context.Background()); ran != 0 {
		t.Errorf("a slot 1.5 h old ran")
	}
}

func TestScheduleValidation(t *testing.T) {
	for _, tt := range []struct {
		in   map[string]any
		path string
	}{
		{map[string]any{"mode": "interval", "intervalSeconds": 5}, "nodes[0].data.inputs.intervalSeconds"},
		{map[string]any{"mode": "cron", "cronExpression": "61 * * * *"}, "nodes[0].data.inputs.cronExpression"},
		{map[string]any{"mode": "cron", "cronExpression": "0 6 * * *", "timezone": "Mars/Olympus"}, "nodes[0].data.inputs.timezone"},
	} {
		_, is := Parse(build(t, []nd{{id: "s", typ: "schedule_trigger", in: tt.in}}))
		if len(is.Errors) != 1 || is.Errors[0].Path != tt.path {
			t.Errorf("%v: %v", tt.in, is.Errors)
		}
	}
}
