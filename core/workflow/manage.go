package workflow

import (
	"context"

	"github.com/frontbase/edge/core"
)

// The management routes (core/api) read and change stored workflows,
// their kept versions and their execution records through these methods,
// so the rules of a toggle and a rollback live here, beside the store
// they change, and a route holds no store of its own.

// ListWorkflows lists the deployed workflows.
func (s *Service) ListWorkflows(ctx context.Context) ([]core.WorkflowSummary, error) {
	return s.store.ListWorkflows(ctx)
}

// Workflow reads a deployed workflow; ENOTFOUND when there is none.
func (s *Service) Workflow(ctx context.Context, id string) (*core.StoredWorkflow, error) {
	return s.store.Workflow(ctx, id)
}

// DeleteWorkflow removes a workflow and its versions (its executions
// stay); ENOTFOUND when there is none.
func (s *Service) DeleteWorkflow(ctx context.Context, id string) error {
	return s.store.DeleteWorkflow(ctx, id)
}

// SetActive sets the workflow's isActive flag to *active, or flips it when
// active is nil, and returns the flag it wrote. The write applies only to
// the version it read: ECONFLICT when a deploy moved it on in between.
func (s *Service) SetActive(ctx context.Context, id string, active *bool) (bool, error) {
	sw, err := s.store.Workflow(ctx, id)
	if err != nil {
		return false, err
	}
	next := !sw.Workflow.Active()
	if active != nil {
		next = *active
	}
	if err := s.store.SetWorkflowActive(ctx, id, sw.Version, next); err != nil {
		return false, err
	}
	return next, nil
}

// Rollback makes version's document current again, as a new version, and
// returns that new version and the one restored. Version 0 means the one
// before the current: EINVALID when the current is the first.
func (s *Service) Rollback(ctx context.Context, id string, version int64) (current, restoredFrom int64, err error) {
	if version == 0 {
		sw, err := s.store.Workflow(ctx, id)
		if err != nil {
			return 0, 0, err
		}
		if version = sw.Version - 1; version < 1 {
			return 0, 0, core.Errorf(core.EINVALID, "workflow %q has no earlier version", id)
		}
	}
	current, err = s.store.RollbackWorkflow(ctx, id, version)
	if err != nil {
		return 0, 0, err
	}
	return current, version, nil
}

// Versions lists a workflow's kept versions, newest first, at most limit.
func (s *Service) Versions(ctx context.Context, id string, limit int) ([]core.StoredWorkflow, error) {
	return s.store.WorkflowVersions(ctx, id, limit)
}

// Version reads one kept version; ENOTFOUND when it is not kept.
func (s *Service) Version(ctx context.Context, id string, version int64) (*core.StoredWorkflow, error) {
	return s.store.WorkflowVersion(ctx, id, version)
}

// DeleteVersion forgets a kept version: ENOTFOUND when there is none,
// ECONFLICT for the current one (it is what runs).
func (s *Service) DeleteVersion(ctx context.Context, id string, version int64) error {
	return s.store.DeleteWorkflowVersion(ctx, id, version)
}

// Execution reads an execution record; ENOTFOUND when there is none.
func (s *Service) Execution(ctx context.Context, id string) (*core.Execution, error) {
	return s.store.Execution(ctx, id)
}

// ListExecutions lists execution records newest first, as q selects.
func (s *Service) ListExecutions(ctx context.Context, q core.ExecutionQuery) ([]core.Execution, error) {
	return s.store.ListExecutions(ctx, q)
}

// ExecutionStats counts the kept execution records per workflow.
func (s *Service) ExecutionStats(ctx context.Context, tenant string) ([]core.ExecutionStat, error) {
	return s.store.ExecutionStats(ctx, tenant)
}
