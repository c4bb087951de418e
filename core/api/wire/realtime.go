package wire

import "time"

// The data of the server-sent events of GET /api/realtime/sse/{executionId}
// (docs/control-plane-contract.md B1), as the builder's ExecutionStream
// component parses them. The run's events are core/workflow's Event
// (the engine does not import the API's bodies); core/api converts each
// to LiveEvent as it sends it. "ping" carries a number, not a body.

// LiveEvent is the data of "started", "executing", "node_completed",
// "node_error", "completed" and "error": one step of a run.
type LiveEvent struct {
	Type        string        `json:"type"`
	ExecutionID string        `json:"executionId"`
	WorkflowID  string        `json:"workflowId"`
	Timestamp   time.Time     `json:"timestamp"` // RFC 3339, UTC
	Data        LiveEventData `json:"data,omitzero"`
}

// LiveEventData is what ExecutionStream reads from an event's data.
type LiveEventData struct {
	NodeID   string `json:"nodeId,omitempty"`
	NodeType string `json:"nodeType,omitempty"`
	Error    string `json:"error,omitempty"`
	Nodes    int    `json:"nodes,omitempty"`
	Status   string `json:"status,omitempty"`
}

// LiveSnapshot is the data of "snapshot": the execution record without
// node outputs or result; only error when the record cannot be read.
type LiveSnapshot struct {
	ExecutionID    string             `json:"executionId,omitempty"`
	WorkflowID     string             `json:"workflowId,omitempty"`
	Status         string             `json:"status,omitempty"`
	NodeExecutions []LiveSnapshotNode `json:"nodeExecutions,omitempty"`
	Error          string             `json:"error,omitempty"`
	StartedAt      *time.Time         `json:"startedAt,omitempty"`
	EndedAt        *time.Time         `json:"endedAt,omitempty"`
}

// LiveSnapshotNode is one node of a snapshot.
type LiveSnapshotNode struct {
	NodeID     string  `json:"nodeId"`
	Type       string  `json:"type"`
	Status     string  `json:"status"`
	Error      string  `json:"error,omitempty"`
	DurationMs float64 `json:"durationMs"`
}

// LiveClose is the data of "close" ({}), as the TypeScript engine sends it.
type LiveClose struct{}
