package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
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

// ListExecutions returns executions newest first, filtered as q says.
// The query is built from the filters given so that each shape uses its
// index (executions_by_workflow, or executions_by_start for every workflow).
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
	var where []string
	var args []any
	if q.WorkflowID != "" {
		where, args = append(where, "workflow_id = ?"), append(args, q.WorkflowID)
	}
	statuses := q.Statuses
	if q.Status != "" {
		statuses = append([]string{q.Status}, statuses...)
	}
	if len(statuses) > 0 {
		where = append(where, "status IN (?"+strings.Repeat(", ?", len(statuses)-1)+")")
		for _, st := range statuses {
			args = append(args, st)
		}
	}
	if !q.Since.IsZero() {
		where, args = append(where, "started_at >= ?"), append(args, FormatTime(q.Since))
	}
	if !q.Until.IsZero() {
		where, args = append(where, "started_at <= ?"), append(args, FormatTime(q.Until))
	}
	if q.Tenant != "" {
		where, args = append(where, "workflow_id IN "+tenantWorkflows), append(args, q.Tenant)
	}
	query := "SELECT document FROM executions"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.b.DB.QueryContext(ctx, query+" ORDER BY started_at DESC, id LIMIT ?", append(args, limit)...)
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

// tenantWorkflows selects the ids of the workflows deployed for a tenant
// (the deploy's tenantSlug; "_default" when it had none).
const tenantWorkflows = `(SELECT id FROM workflows
	WHERE coalesce(nullif(json_extract(document, '$.tenantSlug'), ''), '_default') = ?)`

// ExecutionStats counts the kept execution records per workflow, in one
// aggregate query.
func (s *Store) ExecutionStats(ctx context.Context, tenant string) ([]core.ExecutionStat, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	query := `SELECT workflow_id, count(*), sum(status = 'completed'), sum(status = 'error') FROM executions`
	var args []any
	if tenant != "" {
		query, args = query+" WHERE workflow_id IN "+tenantWorkflows, []any{tenant}
	}
	rows, err := s.b.DB.QueryContext(ctx, query+" GROUP BY workflow_id ORDER BY workflow_id", args...)
	if err != nil {
		return nil, s.dbError("count executions", err)
	}
	defer rows.Close()
	out := []core.ExecutionStat{}
	for rows.Next() {
		var st core.ExecutionStat
		if err := rows.Scan(&st.WorkflowID, &st.TotalRuns, &st.SuccessfulRuns, &st.FailedRuns); err != nil {
			return nil, s.dbError("count executions", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbError("count executions", err)
	}
	return out, nil
}

// WorkflowVersions lists a workflow's kept versions, newest first.
func (s *Store) WorkflowVersions(ctx context.Context, id string, limit int) ([]core.StoredWorkflow, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.b.DB.QueryContext(ctx, `SELECT version, document, created_at FROM workflow_versions
		WHERE workflow_id = ? ORDER BY version DESC LIMIT ?`, id, limit)
	if err != nil {
		return nil, s.dbError("list workflow versions", err)
	}
	defer rows.Close()
	out := []core.StoredWorkflow{}
	for rows.Next() {
		var (
			v            int64
			doc, created string
		)
		if err := rows.Scan(&v, &doc, &created); err != nil {
			return nil, s.dbError("list workflow versions", err)
		}
		sw, err := storedVersion(v, doc, created)
		if err != nil {
			return nil, err
		}
		out = append(out, *sw)
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbError("list workflow versions", err)
	}
	return out, nil
}

// WorkflowVersion reads one kept version.
func (s *Store) WorkflowVersion(ctx context.Context, id string, version int64) (*core.StoredWorkflow, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	var doc, created string
	err := s.b.DB.QueryRowContext(ctx, `SELECT document, created_at FROM workflow_versions
		WHERE workflow_id = ? AND version = ?`, id, version).Scan(&doc, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.ENOTFOUND, "workflow %q has no version %d", id, version)
	}
	if err != nil {
		return nil, s.dbError("read workflow version", err)
	}
	return storedVersion(version, doc, created)
}

func storedVersion(v int64, doc, created string) (*core.StoredWorkflow, error) {
	var w core.Workflow
	if err := json.Unmarshal([]byte(doc), &w); err != nil {
		return nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored workflow version", Err: err}
	}
	at, _ := parseTime(created)
	return &core.StoredWorkflow{Workflow: &w, Version: v, UpdatedAt: at}, nil
}

// DeleteWorkflowVersion forgets a kept version other than the current one,
// in one batch.
func (s *Store) DeleteWorkflowVersion(ctx context.Context, id string, version int64) error {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return err
	}
	results, err := s.batch(ctx, "delete workflow version", []Stmt{
		{`SELECT count(*) FROM workflow_versions WHERE workflow_id = ? AND version = ?`, []any{id, version}},
		{`SELECT count(*) FROM workflows WHERE id = ? AND version = ?`, []any{id, version}},
		{`DELETE FROM workflow_versions WHERE workflow_id = ? AND version = ?
			AND NOT EXISTS (SELECT 1 FROM workflows WHERE id = ? AND version = ?)`, []any{id, version, id, version}},
	})
	if err != nil {
		return err
	}
	switch {
	case asInt(results[0][0][0]) == 0:
		return core.Errorf(core.ENOTFOUND, "workflow %q has no version %d", id, version)
	case asInt(results[1][0][0]) > 0:
		return core.Errorf(core.ECONFLICT, "version %d is workflow %q's current version; deploy or roll back to another first", version, id)
	}
	return nil
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
