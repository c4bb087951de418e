package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/core/workflow"
)

// workflowHistoryRoutes are the routes the control plane's Actions pages
// call besides deploy and execute: the execution log across workflows, the
// run counts, one-node test runs, and workflow versions (in the shapes of
// the TypeScript engine's routes/executions.ts, execute.ts, versions.ts).
func (h *handler) workflowHistoryRoutes(mux *http.ServeMux) {
	mux.Handle("GET /api/executions/all", h.managed(h.allExecutions))
	mux.Handle("GET /api/executions/stats", h.managed(h.executionStats))
	mux.Handle("POST /api/execute/{id}/node/{nodeId}", h.managed(h.executeNode))
	mux.Handle("GET /api/versions/workflow/{workflowId}", h.managed(h.listWorkflowVersions))
	mux.Handle("GET /api/versions/{id}", h.managed(h.getWorkflowVersion))
	mux.Handle("DELETE /api/versions/{id}", h.managed(h.deleteWorkflowVersion))
	mux.Handle("POST /api/versions/rollback", h.managed(h.rollbackWorkflowVersion))
}

// executionRow is an execution in a list: without its node executions and
// trigger payload (the control plane fetches /api/executions/{id} for them).
func executionRow(e core.Execution) wire.ExecutionRow {
	return wire.ExecutionRow{ID: e.ID, WorkflowID: e.WorkflowID, WorkflowVersion: e.WorkflowVersion,
		Status: e.Status, TriggerType: e.TriggerType, StartedAt: e.StartedAt, Error: e.Error, EndedAt: e.EndedAt}
}

func executionRows(list []core.Execution) []wire.ExecutionRow {
	rows := make([]wire.ExecutionRow, 0, len(list))
	for _, e := range list {
		rows = append(rows, executionRow(e))
	}
	return rows
}

// queryLimit reads ?limit= (def when absent), from 1 to max.
func queryLimit(r *http.Request, def, max int) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, core.Errorf(core.EINVALID, "limit must be a number from 1 to %d", max)
	}
	return n, nil
}

// queryTime reads an ISO date or date-time query parameter.
func queryTime(r *http.Request, name string) (time.Time, error) {
	s := strings.TrimSpace(r.URL.Query().Get(name))
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, core.Errorf(core.EINVALID, "%s must be an ISO date (2006-01-02) or date-time (2006-01-02T15:04:05Z)", name)
}

// tenantParam is the control plane's ?tenant_slug=.
func tenantParam(r *http.Request) string { return strings.TrimSpace(r.URL.Query().Get("tenant_slug")) }

// allExecutions is GET /api/executions/all?limit&status&workflowId&since&until&tenant_slug.
func (h *handler) allExecutions(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r, 100, 500)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := core.ExecutionQuery{WorkflowID: r.URL.Query().Get("workflowId"), Tenant: tenantParam(r), Limit: limit}
	for _, st := range strings.Split(r.URL.Query().Get("status"), ",") {
		if st = strings.TrimSpace(st); st != "" {
			q.Statuses = append(q.Statuses, st)
		}
	}
	if q.Since, err = queryTime(r, "since"); err == nil {
		q.Until, err = queryTime(r, "until")
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, err := h.opts.Workflows.ListExecutions(r.Context(), q)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.ExecutionRowsResponse{Success: true, Executions: executionRows(list), Total: len(list)})
}

// executionStats is GET /api/executions/stats: run counts per workflow.
func (h *handler) executionStats(w http.ResponseWriter, r *http.Request) {
	stats, err := h.opts.Workflows.ExecutionStats(r.Context(), tenantParam(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.ExecutionStatsResponse{Success: true, Stats: stats})
}

// executeNode is POST /api/execute/{id}/node/{nodeId} with
// {"parameters": {...}}. A node that fails is a 200 with status "error",
// as in the peer; the record has the details.
func (h *handler) executeNode(w http.ResponseWriter, r *http.Request) {
	params, ok := h.readParameters(w, r)
	if !ok {
		return
	}
	nodeID := r.PathValue("nodeId")
	e, err := h.opts.Workflows.ExecuteNode(r.Context(), r.PathValue("id"), nodeID, params)
	if err != nil && e == nil {
		writeError(w, r, err)
		return
	}
	resp := wire.NodeRun{Success: e.Status == core.ExecCompleted, ExecutionID: e.ID, Status: e.Status,
		Result: e.Result, NodeExecutions: e.NodeExecutions, Message: "Node " + nodeID + " execution completed"}
	if e.Status != core.ExecCompleted {
		resp.Status = core.ExecError
		resp.Error = &e.Error
		resp.Message = "Node " + nodeID + " execution failed"
	}
	if err != nil { // ran, but the record could not be written
		logger(r).WarnContext(r.Context(), "node test execution not recorded", "err", err, "executionId", e.ID)
	}
	writeJSON(w, http.StatusOK, resp)
}

// Workflow versions are named "<workflowId>:v<version>" (the peer's ids
// are "<workflowId>:v<version>:<time>"; the part after the version is
// ignored, so either form is accepted).
func versionID(id string, v int64) string { return id + ":v" + strconv.FormatInt(v, 10) }

func parseVersionID(s string) (string, int64, error) {
	i := strings.LastIndex(s, ":v")
	for i > 0 { // "<id>:v<n>:<time>": the last ":v" may be in the time
		rest := s[i+2:]
		num, _, _ := strings.Cut(rest, ":")
		if v, err := strconv.ParseInt(num, 10, 64); err == nil && v > 0 {
			return s[:i], v, nil
		}
		i = strings.LastIndex(s[:i], ":v")
	}
	return "", 0, core.Errorf(core.EINVALID, "version id %q is not <workflowId>:v<version>", s)
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// extraString reads a kept field of the deploy (publishedBy, tenantSlug).
func extraString(wf *core.Workflow, name string) string {
	var s string
	if raw, ok := wf.Extra[name]; ok {
		json.Unmarshal(raw, &s)
	}
	return s
}

func versionSummary(sw core.StoredWorkflow) wire.VersionSummary {
	wf := sw.Workflow
	return wire.VersionSummary{ID: versionID(wf.ID, sw.Version), WorkflowID: wf.ID, Version: sw.Version,
		Name: wf.Name, Description: nullable(wf.Description), TriggerType: nullable(wf.TriggerType),
		CreatedAt: sw.UpdatedAt, CreatedBy: nullable(extraString(wf, "publishedBy"))}
}

// jsonText is raw JSON as a string, as the peer stores and answers nodes,
// edges and settings; def when raw is empty.
func jsonText(raw json.RawMessage, def string) string {
	if len(raw) == 0 || string(raw) == "null" {
		return def
	}
	return string(raw)
}

func (h *handler) listWorkflowVersions(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r, 50, 100)
	if err != nil {
		writeError(w, r, err)
		return
	}
	id := r.PathValue("workflowId")
	list, err := h.opts.Workflows.Versions(r.Context(), id, limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	rows := make([]wire.VersionSummary, 0, len(list))
	for _, sw := range list {
		rows = append(rows, versionSummary(sw))
	}
	writeJSON(w, http.StatusOK, wire.WorkflowVersionsResponse{Success: true, Versions: rows, Total: len(rows)})
}

func (h *handler) getWorkflowVersion(w http.ResponseWriter, r *http.Request) {
	id, v, err := parseVersionID(r.PathValue("id"))
	if err != nil {
		writeError(w, r, core.Errorf(core.ENOTFOUND, "version %q not found", r.PathValue("id")))
		return
	}
	sw, err := h.opts.Workflows.Version(r.Context(), id, v)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s := versionSummary(*sw)
	body := wire.VersionDetail{ID: s.ID, WorkflowID: s.WorkflowID, Version: s.Version, Name: s.Name, Description: s.Description,
		TriggerType: s.TriggerType, CreatedAt: s.CreatedAt, CreatedBy: s.CreatedBy}
	body.Nodes = jsonText(sw.Workflow.Nodes, "[]")
	body.Edges = jsonText(sw.Workflow.Edges, "[]")
	body.Settings = nullable(jsonText(sw.Workflow.Settings, ""))
	body.TriggerConfig = jsonText(sw.Workflow.TriggerConfig, "{}")
	body.IsActive = sw.Workflow.Active()
	writeJSON(w, http.StatusOK, wire.WorkflowVersionResponse{Success: true, Version: body})
}

func (h *handler) deleteWorkflowVersion(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("id")
	id, v, err := parseVersionID(raw)
	if err != nil {
		writeError(w, r, core.Errorf(core.ENOTFOUND, "version %q not found", raw))
		return
	}
	if err := h.opts.Workflows.DeleteVersion(r.Context(), id, v); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.Message{Success: true, Message: "Version " + raw + " deleted"})
}

// rollbackWorkflowVersion is POST /api/versions/rollback with
// {"workflowId", "versionId"}: the version's document becomes current
// again, as a new version.
func (h *handler) rollbackWorkflowVersion(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in wire.WorkflowVersionRollbackRequest
	var fields []core.FieldError
	if err := json.Unmarshal(body, &in); err != nil {
		fields = append(fields, core.FieldError{Path: "$", Message: "must be an object {workflowId, versionId} of strings"})
	} else {
		if in.WorkflowID == nil || *in.WorkflowID == "" {
			fields = append(fields, core.FieldError{Path: "workflowId", Message: "required"})
		}
		if in.VersionID == nil || *in.VersionID == "" {
			fields = append(fields, core.FieldError{Path: "versionId", Message: "required"})
		}
	}
	var id string
	var v int64
	if len(fields) == 0 {
		if id, v, err = parseVersionID(*in.VersionID); err != nil {
			fields = append(fields, core.FieldError{Path: "versionId", Message: "must be a version id <workflowId>:v<version>"})
		} else if id != *in.WorkflowID {
			fields = append(fields, core.FieldError{Path: "versionId", Message: "is a version of another workflow (" + id + ")"})
		}
	}
	if len(fields) > 0 {
		writeError(w, r, &core.Error{Code: core.EINVALID, Message: "validation failed: " + fields[0].String(), Details: fields})
		return
	}
	current, _, err := h.opts.Workflows.Rollback(r.Context(), id, v)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.WorkflowVersionRollbackResponse{Success: true, Message: "Workflow rolled back to version " + *in.VersionID,
		WorkflowID: id, CurrentVersion: current, RestoredFrom: v})
}

// writeRunError answers a refused run: the workflow's guards answer 429
// with the peer's error name ({"error": "RateLimited", "message": ...});
// everything else as writeError does.
func writeRunError(w http.ResponseWriter, r *http.Request, err error) {
	var g *workflow.GuardError
	if !errors.As(err, &g) {
		writeError(w, r, err)
		return
	}
	if g.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((g.RetryAfter+time.Second-1)/time.Second), 10))
	}
	if g.Name == workflow.GuardRateLimited {
		w.Header().Set("X-RateLimit-Remaining", "0")
	}
	writeJSON(w, http.StatusTooManyRequests, wire.RunRefused{Error: g.Name, Code: g.Name, Message: g.Message()})
}

// setRateLimitRemaining sets X-RateLimit-Remaining when the run was
// rate limited.
func setRateLimitRemaining(w http.ResponseWriter, a *workflow.Admission) {
	if a.RateLimitRemaining >= 0 {
		w.Header().Set("X-RateLimit-Remaining", strconv.FormatInt(a.RateLimitRemaining, 10))
	}
}
