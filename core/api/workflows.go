package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/core/clientip"
	"github.com/frontbase/edge/core/workflow"
)

// workflowRoutes mounts the actions engine's routes (when it is wired).
func (h *handler) workflowRoutes(mux *http.ServeMux) {
	if h.opts.Workflows == nil {
		return
	}
	mux.Handle("POST /api/deploy", h.managed(h.deployWorkflow))
	mux.Handle("POST /api/execute/{id}", h.managed(h.executeWorkflow))
	mux.Handle("POST /api/workflows/validate", h.managed(h.validateWorkflow))
	mux.Handle("GET /api/workflows", h.managed(h.listWorkflows))
	mux.Handle("GET /api/workflows/{id}", h.managed(h.getWorkflow))
	mux.Handle("DELETE /api/workflows/{id}", h.managed(h.deleteWorkflow))
	mux.Handle("PATCH /api/workflows/{id}/toggle", h.managed(h.toggleWorkflow))
	mux.Handle("POST /api/workflows/{id}/rollback", h.managed(h.rollbackWorkflow))
	mux.Handle("GET /api/executions/{id}", h.managed(h.getExecution))
	mux.Handle("GET /api/executions/workflow/{workflowId}", h.managed(h.listExecutions))
	for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH"} {
		mux.HandleFunc(m+" /api/webhook/{id}", h.webhook) // authenticated by the workflow's trigger
	}
	mux.HandleFunc("POST /api/public/execute/{id}", h.publicExecute)
	h.workflowHistoryRoutes(mux) // executions.go
}

func (h *handler) deployWorkflow(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	res, err := h.opts.Workflows.Deploy(r.Context(), body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	warnings := res.Warnings
	if warnings == nil {
		warnings = []core.FieldError{}
	}
	writeJSON(w, http.StatusOK, wire.DeployResponse{Success: true, WorkflowID: res.ID, Version: res.Version,
		Warnings: warnings, Message: "Workflow deployed"})
}

func (h *handler) validateWorkflow(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	is, err := h.opts.Workflows.Validate(body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	errs, warns := is.Errors, is.Warnings
	if errs == nil {
		errs = []core.FieldError{}
	}
	if warns == nil {
		warns = []core.FieldError{}
	}
	writeJSON(w, http.StatusOK, wire.ValidateResponse{Success: true, IsValid: len(errs) == 0, Errors: errs, Warnings: warns})
}

// executionBody is what /api/execute answers.
func executionBody(e *core.Execution) wire.Run {
	return wire.Run{
		Success: e.Status == core.ExecCompleted, ExecutionID: e.ID, Status: e.Status,
		VariableMutations: e.VariableMutations, Effects: e.Effects, Result: e.Result, Error: e.Error,
	}
}

// publicExecutionBody is what /api/public/execute answers.
func publicExecutionBody(e *core.Execution) wire.PublicRun {
	body := wire.PublicRun{
		Success: e.Status == core.ExecCompleted, ExecutionID: e.ID, Status: e.Status,
		VariableMutations: e.VariableMutations, Effects: e.Effects,
	}
	if e.Error != "" {
		// Node errors may name internal services: visitors get a generic line.
		body.Error = "the workflow failed (execution " + e.ID + ")"
	}
	return body
}

// readParameters reads a run's {"parameters": {...}} body; on a bad body it
// has answered the request and returns false.
func (h *handler) readParameters(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	body, err := h.readBody(w, r)
	if err == nil {
		var params map[string]any
		if params, err = workflow.Parameters(body); err == nil {
			return params, true
		}
	}
	writeError(w, r, err)
	return nil, false
}

func (h *handler) executeWorkflow(w http.ResponseWriter, r *http.Request) {
	params, ok := h.readParameters(w, r)
	if !ok {
		return
	}
	ctx, adm := workflow.TrackAdmission(r.Context())
	e, err := h.opts.Workflows.Execute(ctx, r.PathValue("id"), "manual", params)
	if err != nil {
		writeRunError(w, r, err)
		return
	}
	setRateLimitRemaining(w, adm)
	writeJSON(w, http.StatusOK, executionBody(e))
}

func (h *handler) publicExecute(w http.ResponseWriter, r *http.Request) {
	if isFormPost(r) { // an HTML form without JavaScript: forms.go
		h.formSubmit(w, r)
		return
	}
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ctx, adm := workflow.TrackAdmission(r.Context())
	e, err := h.opts.Workflows.ExecutePublic(ctx, r.PathValue("id"), h.clientKey(r), body)
	if err != nil {
		if core.ErrorCode(err) == core.ECONFLICT { // inactive: do not tell visitors more
			err = core.Errorf(core.ENOTFOUND, "workflow not found")
		}
		writeRunError(w, r, err)
		return
	}
	setRateLimitRemaining(w, adm)
	writeJSON(w, http.StatusOK, publicExecutionBody(e))
}

// clientKey is the visitor a public run is counted against: the one
// client-address rule of rate limits and analytics (clientip.Of), so that
// behind a trusted proxy each visitor has their own allowance instead of
// sharing the proxy's.
func (h *handler) clientKey(r *http.Request) string {
	return clientip.Of(r, h.opts.TrustedProxies)
}

// hopHeaders are never taken from an http_response node.
var hopHeaders = map[string]bool{"Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"Keep-Alive": true, "Upgrade": true, "Trailer": true, "Te": true}

func (h *handler) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ctx, adm := workflow.TrackAdmission(r.Context())
	e, err := h.opts.Workflows.Webhook(ctx, r.PathValue("id"), r, body)
	if g, ok := errors.AsType[*workflow.GuardError](err); ok && g.Name == workflow.GuardDebounced {
		// The peer answers a debounced webhook 200, skipped, not 429.
		writeJSON(w, http.StatusOK, wire.WebhookRun{Success: true, ExecutionID: nil, Status: "debounced", Message: g.Message()})
		return
	}
	if err != nil {
		if core.ErrorCode(err) == core.EUNAUTHORIZED {
			w.Header().Set("WWW-Authenticate", `Basic realm="webhook"`)
		}
		writeRunError(w, r, err)
		return
	}
	setRateLimitRemaining(w, adm)
	if resp := e.Response; resp != nil && e.Status == core.ExecCompleted {
		for k, v := range resp.Headers {
			if k = http.CanonicalHeaderKey(strings.TrimSpace(k)); k != "" && !hopHeaders[k] {
				w.Header().Set(k, v)
			}
		}
		ct := resp.ContentType
		if !strings.Contains(ct, "charset") && (strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json")) {
			ct += "; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("X-Frontbase-Execution", e.ID)
		w.WriteHeader(resp.Status)
		w.Write([]byte(resp.Body))
		return
	}
	if e.Status != core.ExecCompleted {
		writeJSON(w, http.StatusInternalServerError, wire.WebhookRun{Success: false, ExecutionID: &e.ID, Status: e.Status,
			Error: "the workflow failed; see the execution record"})
		return
	}
	writeJSON(w, http.StatusAccepted, wire.WebhookRun{Success: true, ExecutionID: &e.ID, Status: e.Status})
}

func (h *handler) listWorkflows(w http.ResponseWriter, r *http.Request) {
	list, err := h.opts.Workflows.ListWorkflows(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.WorkflowsResponse{Success: true, Workflows: list})
}

func (h *handler) getWorkflow(w http.ResponseWriter, r *http.Request) {
	sw, err := h.opts.Workflows.Workflow(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.WorkflowResponse{Success: true, Workflow: sw.Workflow, Version: sw.Version, UpdatedAt: sw.UpdatedAt})
}

func (h *handler) deleteWorkflow(w http.ResponseWriter, r *http.Request) {
	if err := h.opts.Workflows.DeleteWorkflow(r.Context(), r.PathValue("id")); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.Message{Success: true, Message: "Workflow deleted"})
}

// toggleWorkflow flips isActive, or sets it from {"isActive": bool}.
func (h *handler) toggleWorkflow(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	var want *bool
	if p, err := workflow.Parameters([]byte(`{"parameters":` + orEmptyObject(body) + `}`)); err == nil {
		if v, ok := p["isActive"].(bool); ok {
			want = &v
		}
	}
	active, err := h.opts.Workflows.SetActive(r.Context(), id, want)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.ToggleResponse{Success: true, WorkflowID: id, IsActive: active})
}

func orEmptyObject(b []byte) string {
	if s := strings.TrimSpace(string(b)); strings.HasPrefix(s, "{") {
		return s
	}
	return "{}"
}

// rollbackWorkflow makes {"version": N} current again (as a new version);
// without a version, the one before the current.
func (h *handler) rollbackWorkflow(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	var target int64
	if p, err := workflow.Parameters([]byte(`{"parameters":` + orEmptyObject(body) + `}`)); err == nil {
		if v, ok := p["version"].(float64); ok {
			target = int64(v)
		}
	}
	v, target, err := h.opts.Workflows.Rollback(r.Context(), id, target)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.WorkflowRollbackResponse{Success: true, WorkflowID: id, Version: v, RestoredFrom: target})
}

func (h *handler) getExecution(w http.ResponseWriter, r *http.Request) {
	e, err := h.opts.Workflows.Execution(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	// The control plane reads the record's fields at the top level (as the
	// peer answers them); "execution" keeps this engine's earlier shape.
	// A map, not a wire type: the record's own fields are spread beside
	// success and execution, sorted with them.
	body := map[string]any{}
	if doc, err := json.Marshal(e); err == nil {
		json.Unmarshal(doc, &body)
	}
	body["success"], body["execution"] = true, e
	writeJSON(w, http.StatusOK, body)
}

func (h *handler) listExecutions(w http.ResponseWriter, r *http.Request) {
	q := core.ExecutionQuery{WorkflowID: r.PathValue("workflowId"), Status: r.URL.Query().Get("status")}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			writeError(w, r, core.Errorf(core.EINVALID, "limit must be a number from 1 to 500"))
			return
		}
		q.Limit = n
	}
	list, err := h.opts.Workflows.ListExecutions(r.Context(), q)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.ExecutionsResponse{Success: true, Executions: list, Total: len(list)})
}
