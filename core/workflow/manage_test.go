package workflow

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/frontbase/edge/core"
)

// versionStore is the part of a WorkflowStore the toggle and rollback
// rules use: one workflow at a version, and what was asked of it.
type versionStore struct {
	Store // unused methods panic
	wf    *core.StoredWorkflow
	// conflict makes SetWorkflowActive answer ECONFLICT.
	conflict bool

	setAt     int64 // the version SetWorkflowActive was given
	setTo     *bool
	rolledTo  int64 // the version RollbackWorkflow was given
	rollbacks int
}

func (m *versionStore) Workflow(_ context.Context, id string) (*core.StoredWorkflow, error) {
	if m.wf == nil || m.wf.Workflow.ID != id {
		return nil, core.Errorf(core.ENOTFOUND, "workflow %q not found", id)
	}
	return m.wf, nil
}

func (m *versionStore) SetWorkflowActive(_ context.Context, id string, version int64, active bool) error {
	if m.conflict {
		return core.Errorf(core.ECONFLICT, "workflow %q moved on", id)
	}
	m.setAt, m.setTo = version, &active
	return nil
}

func (m *versionStore) RollbackWorkflow(_ context.Context, id string, version int64) (int64, error) {
	if version > m.wf.Version {
		return 0, core.Errorf(core.ENOTFOUND, "version %d of %q not found", version, id)
	}
	m.rolledTo = version
	m.rollbacks++
	return m.wf.Version + 1, nil
}

func storedAt(t *testing.T, version int64, active bool) *core.StoredWorkflow {
	t.Helper()
	var w core.Workflow
	doc, _ := json.Marshal(map[string]any{"id": "wf", "name": "wf", "isActive": active, "nodes": []any{}, "edges": []any{}})
	if err := json.Unmarshal(doc, &w); err != nil {
		t.Fatal(err)
	}
	return &core.StoredWorkflow{Workflow: &w, Version: version}
}

func TestSetActive(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name     string
		stored   bool
		want     *bool
		conflict bool
		id       string
		active   bool
		code     string
	}{
		{name: "no flag flips an active workflow", stored: true, active: false},
		{name: "no flag flips an inactive workflow", stored: false, active: true},
		{name: "a flag is written as given", stored: true, want: &yes, active: true},
		{name: "false is written as given", stored: false, want: &no, active: false},
		{name: "a workflow moved on is a conflict", stored: true, conflict: true, code: core.ECONFLICT},
		{name: "an unknown workflow is not found", id: "other", code: core.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &versionStore{wf: storedAt(t, 7, tt.stored), conflict: tt.conflict}
			id := tt.id
			if id == "" {
				id = "wf"
			}
			got, err := New(store, Options{}).SetActive(context.Background(), id, tt.want)
			if tt.code != "" {
				if core.ErrorCode(err) != tt.code {
					t.Fatalf("err = %v, want %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.active || store.setTo == nil || *store.setTo != tt.active {
				t.Errorf("active = %v (stored %v), want %v", got, store.setTo, tt.active)
			}
			if store.setAt != 7 {
				t.Errorf("written at version %d, want the version read (7)", store.setAt)
			}
		})
	}
}

func TestRollback(t *testing.T) {
	tests := []struct {
		name     string
		current  int64
		target   int64
		restored int64
		code     string
	}{
		{name: "no version restores the one before the current", current: 5, target: 0, restored: 4},
		{name: "a version is restored as given", current: 5, target: 2, restored: 2},
		{name: "the first version has no earlier one", current: 1, target: 0, code: core.EINVALID},
		{name: "a version not kept is not found", current: 5, target: 9, code: core.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &versionStore{wf: storedAt(t, tt.current, true)}
			current, restored, err := New(store, Options{}).Rollback(context.Background(), "wf", tt.target)
			if tt.code != "" {
				if core.ErrorCode(err) != tt.code {
					t.Fatalf("err = %v, want %s", err, tt.code)
				}
				if tt.code == core.EINVALID && store.rollbacks != 0 {
					t.Errorf("a refused rollback reached the store")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if restored != tt.restored || store.rolledTo != tt.restored {
				t.Errorf("restored %d (store asked for %d), want %d", restored, store.rolledTo, tt.restored)
			}
			if current != tt.current+1 {
				t.Errorf("current = %d, want %d", current, tt.current+1)
			}
		})
	}
}

func TestRollbackOfUnknownWorkflow(t *testing.T) {
	store := &versionStore{wf: storedAt(t, 3, true)}
	if _, _, err := New(store, Options{}).Rollback(context.Background(), "other", 0); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("err = %v, want ENOTFOUND", err)
	}
}
