package core

import "time"

// Execution statuses.
const (
	ExecStarted   = "started"
	ExecExecuting = "executing"
	ExecCompleted = "completed"
	ExecError     = "error"
	ExecCancelled = "cancelled"

	NodeCompleted = "completed"
	NodeError     = "error"
	NodeSkipped   = "skipped"
)

// Execution is the record of one run of a workflow (docs/workflow-format.md, "Execution record").
type Execution struct {
	ID                string          `json:"id"`
	WorkflowID        string          `json:"workflowId"`
	WorkflowVersion   int64           `json:"workflowVersion"`
	Status            string          `json:"status"`
	TriggerType       string          `json:"triggerType"`
	TriggerPayload    any             `json:"triggerPayload"`
	NodeExecutions    []NodeExecution `json:"nodeExecutions"`
	Result            any             `json:"result"`
	Error             string          `json:"error,omitempty"`
	VariableMutations []Mutation      `json:"variableMutations"`
	Effects           []Effect        `json:"effects"`
	Logs              []LogLine       `json:"logs"`
	Response          *HTTPResponse   `json:"response,omitempty"`
	StartedAt         time.Time       `json:"startedAt"`
	EndedAt           time.Time       `json:"endedAt"`
}

// NodeExecution is one node's part of an execution.
type NodeExecution struct {
	NodeID     string  `json:"nodeId"`
	Type       string  `json:"type"`
	Status     string  `json:"status"`
	Outputs    any     `json:"outputs,omitempty"`
	Error      string  `json:"error,omitempty"`
	Branch     string  `json:"branch,omitempty"` // the route a condition took
	DurationMs float64 `json:"durationMs"`
}

// Mutation is a variable a set_variable node set, for the caller to apply.
type Mutation struct {
	Scope string `json:"scope"`
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// Effect is a browser-side effect (toast, redirect, refresh, setVariable)
// in the shape the page runtime applies.
type Effect map[string]any

// LogLine is one line a log node wrote.
type LogLine struct {
	NodeID  string    `json:"nodeId"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

// HTTPResponse is what an http_response node makes a webhook answer.
type HTTPResponse struct {
	Status      int               `json:"status"`
	ContentType string            `json:"contentType"`
	Headers     map[string]string `json:"headers,omitempty"`
	Body        string            `json:"body"`
}

// WorkflowSummary is one row of the workflow list.
type WorkflowSummary struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	TriggerType string    `json:"triggerType"`
	IsActive    bool      `json:"isActive"`
	Version     int64     `json:"version"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// ExecutionQuery filters executions, newest first.
type ExecutionQuery struct {
	WorkflowID string   // empty: every workflow
	Status     string   // empty: any
	Statuses   []string // any of these (with Status, either matches)
	Since      time.Time
	Until      time.Time // zero: no bound
	// Tenant keeps the executions of workflows deployed for that tenant
	// (the deploy's tenantSlug, "_default" when it had none); empty: all.
	Tenant string
	Limit  int
}

// Active reports whether the workflow may run (workflows are active unless
// the control plane says otherwise).
func (w *Workflow) Active() bool { return w.IsActive == nil || *w.IsActive }
