package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/frontbase/edge/core"
)

// ListWorkflows returns every workflow, by name.
func (s *Store) ListWorkflows(ctx context.Context) ([]core.WorkflowSummary, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := s.b.DB.QueryContext(ctx, `SELECT document, version, updated_at FROM workflows ORDER BY id`)
	if err != nil {
		return nil, s.dbError("list workflows", err)
	}
	defer rows.Close()
	out := []core.WorkflowSummary{}
	for rows.Next() {
		var (
			doc, updated string
			version      int64
		)
		if err := rows.Scan(&doc, &version, &updated); err != nil {
			return nil, s.dbError("list workflows", err)
		}
		var w core.Workflow
		if err := json.Unmarshal([]byte(doc), &w); err != nil {
			return nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored workflow", Err: err}
		}
		at, _ := parseTime(updated)
		out = append(out, core.WorkflowSummary{ID: w.ID, Name: w.Name, TriggerType: w.TriggerType, IsActive: w.Active(), Version: version, UpdatedAt: at})
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbError("list workflows", err)
	}
	return out, nil
}

// DeleteWorkflow removes a workflow and its versions in one batch.
func (s *Store) DeleteWorkflow(ctx context.Context, id string) error {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return err
	}
	results, err := s.batch(ctx, "delete workflow", []Stmt{
		{`SELECT count(*) FROM workflows WHERE id = ?`, []any{id}},
		{`DELETE FROM workflow_versions WHERE workflow_id = ?`, []any{id}},
		{`DELETE FROM workflows WHERE id = ?`, []any{id}},
	})
	if err != nil {
		return err
	}
	if asInt(results[0][0][0]) == 0 {
		return core.Errorf(core.ENOTFOUND, "workflow %q not found", id)
	}
	return nil
}

// SetWorkflowActive rewrites the current document's isActive flag, only if
// the workflow is still at version (compare-and-set, no version bump: the
// flag is state, not a new deployment).
func (s *Store) SetWorkflowActive(ctx context.Context, id string, version int64, active bool) error {
	cur, err := s.Workflow(ctx, id)
	if err != nil {
		return err
	}
	if cur.Version != version {
		return core.Errorf(core.ECONFLICT, "workflow %q is at version %d, not %d", id, cur.Version, version)
	}
	cur.Workflow.IsActive = &active
	doc, err := json.Marshal(cur.Workflow)
	if err != nil {
		return &core.Error{Code: core.EINTERNAL, Message: "encode workflow", Err: err}
	}
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	results, err := s.batch(ctx, "toggle workflow", []Stmt{
		{`UPDATE workflows SET document = ?, updated_at = ? WHERE id = ? AND version = ?`,
			[]any{string(doc), FormatTime(time.Now()), id, version}},
		{`SELECT count(*) FROM workflows WHERE id = ? AND version = ? AND document = ?`, []any{id, version, string(doc)}},
	})
	if err != nil {
		return err
	}
	if asInt(results[1][0][0]) == 0 {
		return core.Errorf(core.ECONFLICT, "workflow %q changed while it was being toggled; try again", id)
	}
	return nil
}

// RollbackWorkflow copies an old version's document forward as a new
// version, in one batch.
func (s *Store) RollbackWorkflow(ctx context.Context, id string, version int64) (int64, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	now := FormatTime(time.Now())
	old := `(SELECT document FROM workflow_versions WHERE workflow_id = ? AND version = ?)`
	results, err := s.batch(ctx, "roll back workflow", []Stmt{
		{`SELECT count(*) FROM workflow_versions WHERE workflow_id = ? AND version = ?`, []any{id, version}},
		{`UPDATE workflows SET document = ` + old + `, version = version + 1, updated_at = ?
			WHERE id = ? AND ` + old + ` IS NOT NULL`, []any{id, version, now, id, id, version}},
		{`INSERT INTO workflow_versions (workflow_id, version, document, created_at)
			SELECT id, version, document, ? FROM workflows WHERE id = ? AND ` + old + ` IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM workflow_versions v WHERE v.workflow_id = workflows.id AND v.version = workflows.version)`,
			[]any{now, id, id, version}},
		{`SELECT version FROM workflows WHERE id = ?`, []any{id}},
	})
	if err != nil {
		return 0, err
	}
	if asInt(results[0][0][0]) == 0 {
		return 0, core.Errorf(core.ENOTFOUND, "workflow %q has no version %d", id, version)
	}
	if len(results[3]) == 0 {
		return 0, core.Errorf(core.ENOTFOUND, "workflow %q not found", id)
	}
	return asInt(results[3][0][0]), nil
}

// SaveExecution writes a finished execution in one statement.
func (s *Store) SaveExecution(ctx context.Context, e *core.Execution) error {
	doc, err := json.Marshal(e)
	if err != nil {
		return &core.Error{Code: core.EINTERNAL, Message: "encode execution", Err: err}
	}
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return err
	}
	_, err = s.batch(ctx, "save execution", []Stmt{
		{`INSERT INTO executions (id, workflow_id, status, trigger_type, document, started_at, ended_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET status = excluded.status, document = excluded.document, ended_at = excluded.ended_at`,
			[]any{e.ID, e.WorkflowID, e.Status, e.TriggerType, string(doc), FormatTime(e.StartedAt), FormatTime(e.EndedAt)}},
	})
	return err
}

// ClaimExecution inserts e unless its id exists; the batch reads back the
// stored document to tell whether this insert won.
func (s *Store) ClaimExecution(ctx context.Context, e *core.Execution) (bool, error) {
	doc, err := json.Marshal(e)
	if err != nil {
		return false, &core.Error{Code: core.EINTERNAL, Message: "encode execution", Err: err}
	}
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return false, err
	}
	results, err := s.batch(ctx, "claim execution", []Stmt{
		{`INSERT INTO executions (id, workflow_id, status, trigger_type, document, started_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			[]any{e.ID, e.WorkflowID, e.Status, e.TriggerType, string(doc), FormatTime(e.StartedAt)}},
		{`SELECT document FROM executions WHERE id = ?`, []any{e.ID}},
	})
	if err != nil {
		return false, err
	}
	return len(results[1]) == 1 && asString(results[1][0][0]) == string(doc), nil
}

// Execution returns one execution record.
func (s *Store) Execution(ctx context.Context, id string) (*core.Execution, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	var doc string
	err := s.b.DB.QueryRowContext(ctx, `SELECT document FROM executions WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.ENOTFOUND, "execution %q not found", id)
	}
	if err != nil {
		return nil, s.dbError("read execution", err)
	}
	var e core.Execution
	if err := json.Unmarshal([]byte(doc), &e); err != nil {
		return nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored execution", Err: err}
	}
	return &e, nil
}

// ListExecutions returns a workflow's executions, newest first.
func (s *Store) ListExecutions(ctx context.Context, q core.ExecutionQuery) ([]core.Execution, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.b.DB.QueryContext(ctx, `SELECT document FROM executions
		WHERE workflow_id = ? AND (? = '' OR status = ?) ORDER BY started_at DESC, id LIMIT ?`,
		q.WorkflowID, q.Status, q.Status, limit)
	if err != nil {
		return nil, s.dbError("list executions", err)
	}
	defer rows.Close()
	out := []core.Execution{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, s.dbError("list executions", err)
		}
		var e core.Execution
		if err := json.Unmarshal([]byte(doc), &e); err != nil {
			return nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored execution", Err: err}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbError("list executions", err)
	}
	return out, nil
}

// DeleteExecutionsBefore deletes at most limit execution records started
// before `before`, oldest first, in one statement (core/workflow's
// retention calls it in bounded batches). The orders follow the indexes
// (executions_by_start, executions_by_workflow) with no tie-breaker, so a
// batch reads only the rows it deletes instead of sorting the backlog.
func (s *Store) DeleteExecutionsBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.deleteExecutions(ctx, "prune executions", `DELETE FROM executions WHERE id IN (
		SELECT id FROM executions WHERE started_at < ? ORDER BY started_at LIMIT ?)`, FormatTime(before), limit)
}

// WorkflowsOverExecutions lists up to limit workflows with more than keep
// execution records.
func (s *Store) WorkflowsOverExecutions(ctx context.Context, keep, limit int) ([]string, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := s.b.DB.QueryContext(ctx, `SELECT workflow_id FROM executions GROUP BY workflow_id
		HAVING count(*) > ? ORDER BY workflow_id LIMIT ?`, keep, limit)
	if err != nil {
		return nil, s.dbError("list workflows over their execution cap", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.dbError("list workflows over their execution cap", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbError("list workflows over their execution cap", err)
	}
	return out, nil
}

// TrimExecutions deletes, in one statement, at most limit of a workflow's
// execution records beyond its keep newest, only among those started
// before `before`.
func (s *Store) TrimExecutions(ctx context.Context, workflowID string, keep int, before time.Time, limit int) (int, error) {
	return s.deleteExecutions(ctx, "trim executions", `DELETE FROM executions WHERE started_at < ? AND id IN (
		SELECT id FROM executions WHERE workflow_id = ? ORDER BY started_at DESC LIMIT ? OFFSET ?)`,
		FormatTime(before), workflowID, limit, keep)
}

func (s *Store) deleteExecutions(ctx context.Context, what, query string, args ...any) (int, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	// RETURNING counts the rows: not every backend reports rows affected
	// (tursodb over Hrana answers 0).
	results, err := s.batch(ctx, what, []Stmt{{query + " RETURNING id", args}})
	if err != nil {
		return 0, err
	}
	return len(results[0]), nil
}
