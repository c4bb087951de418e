package wire

import (
	"time"

	"github.com/frontbase/edge/core"
)

// The actions routes, in the shapes of the TypeScript engine's
// routes/execute.ts, executions.ts and versions.ts. Two bodies stay maps
// in core/api, because their keys are not fixed: GET /api/executions/{id}
// spreads the execution record's own fields at the top level beside
// success and execution, and a form post's run body carries the form's
// fields. A run's {"parameters": {...}} and a deploy's workflow are read
// by core/workflow.

// DeployResponse answers POST /api/deploy; the control plane reads version.
type DeployResponse struct {
	Message    string            `json:"message"`
	Success    bool              `json:"success"`
	Version    int64             `json:"version"`
	Warnings   []core.FieldError `json:"warnings"`
	WorkflowID string            `json:"workflowId"`
}

// ValidateResponse answers POST /api/workflows/validate.
type ValidateResponse struct {
	Errors   []core.FieldError `json:"errors"`
	IsValid  bool              `json:"isValid"`
	Success  bool              `json:"success"`
	Warnings []core.FieldError `json:"warnings"`
}

// Run answers POST /api/execute/{id}; the control plane reads
// executionId, status, message or error, a page's script
// variableMutations.
type Run struct {
	Effects           []core.Effect   `json:"effects"`
	Error             string          `json:"error,omitempty"`
	ExecutionID       string          `json:"executionId"`
	Result            any             `json:"result"`
	Status            string          `json:"status"`
	Success           bool            `json:"success"`
	VariableMutations []core.Mutation `json:"variableMutations"`
}

// PublicRun answers POST /api/public/execute/{id}: Run without the result,
// and with a generic error line (node errors may name internal services).
type PublicRun struct {
	Effects           []core.Effect   `json:"effects"`
	Error             string          `json:"error,omitempty"`
	ExecutionID       string          `json:"executionId"`
	Status            string          `json:"status"`
	Success           bool            `json:"success"`
	VariableMutations []core.Mutation `json:"variableMutations"`
}

// NodeRun answers POST /api/execute/{id}/node/{nodeId}; error is present
// (possibly empty) exactly when the node did not complete.
type NodeRun struct {
	Error          *string              `json:"error,omitempty"`
	ExecutionID    string               `json:"executionId"`
	Message        string               `json:"message"`
	NodeExecutions []core.NodeExecution `json:"nodeExecutions"`
	Result         any                  `json:"result"`
	Status         string               `json:"status"`
	Success        bool                 `json:"success"`
}

// WebhookRun answers /api/webhook/{id} when no http_response node did:
// 202 run, 500 failed (with error), or 200 debounced (executionId null,
// with message).
type WebhookRun struct {
	Error       string  `json:"error,omitempty"`
	ExecutionID *string `json:"executionId"`
	Message     string  `json:"message,omitempty"`
	Status      string  `json:"status"`
	Success     bool    `json:"success"`
}

// WorkflowsResponse answers GET /api/workflows.
type WorkflowsResponse struct {
	Success   bool                   `json:"success"`
	Workflows []core.WorkflowSummary `json:"workflows"`
}

// WorkflowResponse answers GET /api/workflows/{id}.
type WorkflowResponse struct {
	Success   bool           `json:"success"`
	UpdatedAt time.Time      `json:"updatedAt"`
	Version   int64          `json:"version"`
	Workflow  *core.Workflow `json:"workflow"`
}

// ToggleResponse answers PATCH /api/workflows/{id}/toggle.
type ToggleResponse struct {
	IsActive   bool   `json:"isActive"`
	Success    bool   `json:"success"`
	WorkflowID string `json:"workflowId"`
}

// WorkflowRollbackResponse answers POST /api/workflows/{id}/rollback.
type WorkflowRollbackResponse struct {
	RestoredFrom int64  `json:"restoredFrom"`
	Success      bool   `json:"success"`
	Version      int64  `json:"version"`
	WorkflowID   string `json:"workflowId"`
}

// ExecutionsResponse answers GET /api/executions/workflow/{id}: whole
// records. The control plane reads executions[] and total.
type ExecutionsResponse struct {
	Executions []core.Execution `json:"executions"`
	Success    bool             `json:"success"`
	Total      int              `json:"total"`
}

// ExecutionRowsResponse answers GET /api/executions/all: records without
// node executions and payloads. The control plane sorts by startedAt.
type ExecutionRowsResponse struct {
	Executions []ExecutionRow `json:"executions"`
	Success    bool           `json:"success"`
	Total      int            `json:"total"`
}

// ExecutionRow is an execution in a list (GET /api/executions/{id} has the
// rest).
type ExecutionRow struct {
	EndedAt         time.Time `json:"endedAt,omitzero"`
	Error           string    `json:"error,omitempty"`
	ID              string    `json:"id"`
	StartedAt       time.Time `json:"startedAt"`
	Status          string    `json:"status"`
	TriggerType     string    `json:"triggerType"`
	WorkflowID      string    `json:"workflowId"`
	WorkflowVersion int64     `json:"workflowVersion"`
}

// ExecutionStatsResponse answers GET /api/executions/stats.
type ExecutionStatsResponse struct {
	Stats   []core.ExecutionStat `json:"stats"`
	Success bool                 `json:"success"`
}

// WorkflowVersionsResponse answers GET /api/versions/workflow/{id}.
type WorkflowVersionsResponse struct {
	Success  bool             `json:"success"`
	Total    int              `json:"total"`
	Versions []VersionSummary `json:"versions"`
}

// VersionSummary is a workflow version in a list; id is
// "<workflowId>:v<version>". Null stands for an empty description,
// trigger type or publisher, as the TypeScript engine answers.
type VersionSummary struct {
	CreatedAt   time.Time `json:"createdAt"`
	CreatedBy   *string   `json:"createdBy"`
	Description *string   `json:"description"`
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	TriggerType *string   `json:"triggerType"`
	Version     int64     `json:"version"`
	WorkflowID  string    `json:"workflowId"`
}

// VersionDetail is one workflow version: the summary's fields and the
// document, nodes, edges, settings and triggerConfig as JSON text (the
// TypeScript engine stores and answers them so).
type VersionDetail struct {
	CreatedAt     time.Time `json:"createdAt"`
	CreatedBy     *string   `json:"createdBy"`
	Description   *string   `json:"description"`
	Edges         string    `json:"edges"`
	ID            string    `json:"id"`
	IsActive      bool      `json:"isActive"`
	Name          string    `json:"name"`
	Nodes         string    `json:"nodes"`
	Settings      *string   `json:"settings"`
	TriggerConfig string    `json:"triggerConfig"`
	TriggerType   *string   `json:"triggerType"`
	Version       int64     `json:"version"`
	WorkflowID    string    `json:"workflowId"`
}

// WorkflowVersionResponse answers GET /api/versions/{id}.
type WorkflowVersionResponse struct {
	Success bool          `json:"success"`
	Version VersionDetail `json:"version"`
}

// WorkflowVersionRollbackRequest is POST /api/versions/rollback.
type WorkflowVersionRollbackRequest struct {
	WorkflowID *string `json:"workflowId"`
	VersionID  *string `json:"versionId"`
}

// WorkflowVersionRollbackResponse answers POST /api/versions/rollback.
type WorkflowVersionRollbackResponse struct {
	CurrentVersion int64  `json:"currentVersion"`
	Message        string `json:"message"`
	RestoredFrom   int64  `json:"restoredFrom"`
	Success        bool   `json:"success"`
	WorkflowID     string `json:"workflowId"`
}

// UIEvents answers GET /api/public/ui-events (public); the published
// page's script reads triggers[].
type UIEvents struct {
	Count    int              `json:"count"`
	Triggers []UIEventTrigger `json:"triggers"`
}

// UIEventTrigger is one DOM listener the published page's script wires.
type UIEventTrigger struct {
	WorkflowID       string  `json:"workflowId"`
	WorkflowName     string  `json:"workflowName"`
	EventType        string  `json:"eventType"`
	ElementSelector  string  `json:"elementSelector"`
	DebounceMs       float64 `json:"debounceMs"`
	ThrottleMs       float64 `json:"throttleMs"`
	CaptureEventData bool    `json:"captureEventData"`
	PreventDefault   bool    `json:"preventDefault"`
	StopPropagation  bool    `json:"stopPropagation"`
	KeyFilter        string  `json:"keyFilter"`
}
