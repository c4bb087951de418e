package contracttest_test

import (
	"encoding/json"
	"strings"
	"testing"

	ct "github.com/frontbase/edge/functions/internal/contracttest"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// liveEvent is the part of an event ExecutionStream.tsx reads:
// {type, ...JSON.parse(e.data)}, then data.nodeId, data.nodeType,
// data.error (or error), timestamp.
type liveEvent struct {
	ExecutionID string `json:"executionId"`
	WorkflowID  string `json:"workflowId"`
	Timestamp   string `json:"timestamp"`
	Status      string `json:"status"`
	Error       string `json:"error"`
	Data        *struct {
		NodeID   string `json:"nodeId"`
		NodeType string `json:"nodeType"`
		Error    string `json:"error"`
		Nodes    int    `json:"nodes"`
		Status   string `json:"status"`
	} `json:"data"`
}

// GET /api/realtime/sse/{executionId} as ExecutionStream.tsx opens it on
// the engine's origin after a run the control plane started: a snapshot,
// the run's node events, "completed", "close"; public, as in the
// TypeScript engine (the id is the capability).
func TestExecutionStream(t *testing.T) {
	ct.ForModes(t, func(t *testing.T, e *enginetest.Engine) {
		key := ct.SystemKeyHeaders(e.Key)
		wf := map[string]any{
			"id": "wf-live", "name": "Live", "description": nil, "triggerType": "manual", "triggerConfig": map[string]any{},
			"nodes": []any{
				map[string]any{"id": "t", "type": "trigger", "position": map[string]any{"x": 0, "y": 0},
					"data": map[string]any{"label": "Start", "type": "trigger", "inputs": []any{}}},
				map[string]any{"id": "say", "type": "log", "position": map[string]any{"x": 200, "y": 0},
					"data": map[string]any{"label": "Say", "type": "log", "inputs": []any{map[string]any{"name": "message", "type": "string", "value": "hi"}}}},
			},
			"edges":    []any{map[string]any{"id": "e1", "source": "t", "target": "say"}},
			"settings": nil, "isActive": true, "publishedBy": nil, "tenantSlug": "_default",
		}
		if r := ct.ControlPlane(t, e, ct.Call{Method: "POST", Path: "/api/deploy", JSON: wf, Headers: key}); r.Status != 200 {
			t.Fatalf("deploy: %d %s", r.Status, r.Body)
		}
		r := ct.ControlPlane(t, e, ct.Call{Method: "POST", Path: "/api/execute/wf-live", JSON: map[string]any{"parameters": map[string]any{}}, Headers: key})
		id, _ := r.JSON(t)["executionId"].(string)
		if r.Status != 200 || id == "" {
			t.Fatalf("execute: %d %s", r.Status, r.Body)
		}

		resp, events := ct.EventSource(t, e, "/api/realtime/sse/"+id, "http://localhost:5173")
		if resp.Status != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("%d %v %s", resp.Status, resp.Header, resp.Body)
		}
		if resp.Header.Get("Access-Control-Allow-Origin") == "" {
			t.Error("no Access-Control-Allow-Origin: the builder's EventSource (another origin) could not read the stream")
		}
		var got []string
		parsed := map[string]liveEvent{}
		for _, ev := range events {
			var le liveEvent
			if err := json.Unmarshal([]byte(ev.Data), &le); err != nil {
				t.Fatalf("%s: data is not a JSON object: %s", ev.Event, ev.Data)
			}
			name := ev.Event
			if le.Data != nil && le.Data.NodeID != "" {
				name += ":" + le.Data.NodeID
			}
			got = append(got, name)
			parsed[name] = le
		}
		want := "snapshot started executing:t node_completed:t executing:say node_completed:say completed close"
		if strings.Join(got, " ") != want {
			t.Fatalf("events %q, want %q", strings.Join(got, " "), want)
		}
		if s := parsed["snapshot"]; s.ExecutionID != id || s.Status != "completed" {
			t.Errorf("snapshot %+v", s)
		}
		if n := parsed["node_completed:say"]; n.ExecutionID != id || n.WorkflowID != "wf-live" || n.Timestamp == "" || n.Data.NodeType != "log" {
			t.Errorf("node_completed %+v", n)
		}
		if c := parsed["completed"]; c.Data == nil || c.Data.Nodes != 2 || c.Data.Status != "completed" {
			t.Errorf("completed %+v", c)
		}

		// An id nobody ran: the TypeScript engine's snapshot, then close
		// (EventSource reconnects; the builder falls back to the record).
		_, events = ct.EventSource(t, e, "/api/realtime/sse/00000000-0000-4000-8000-000000000000", "http://localhost:5173")
		if len(events) != 2 || events[0].Event != "snapshot" || events[0].Data != `{"error":"Execution not found"}` || events[1].Event != "close" {
			t.Errorf("unknown id: %+v", events)
		}
	})
}
