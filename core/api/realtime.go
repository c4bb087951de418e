package api

// GET /api/realtime/sse/{executionId}: a run's progress as server-sent
// events, for the builder's ExecutionStream component (an EventSource on
// the engine's origin). As in the TypeScript engine the route is public:
// the random execution id is the capability, and the stream carries no
// node outputs and no result (those stay behind the key, GET
// /api/executions/{id}).
//
// The stream: "snapshot" (the record as it stands), the run's events this
// process kept, then live ones until "completed" or "error", then
// "close". A "ping" every 15 s keeps proxies from closing it. Where the
// platform cannot stream (the FaaS entrypoints buffer a response), or the
// run is not in this process, the stream sends what is known and closes;
// EventSource reconnects after the "retry" it was given and gets a fresh
// snapshot.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/core/workflow"
)

// Stream bounds.
const (
	sseHeartbeat = 15 * time.Second // the TypeScript engine's ping interval
	sseMaxLife   = 10 * time.Minute // past any run's timeout: a stream is never endless
	sseRetryMs   = 3000             // EventSource's reconnection delay when a stream closes early
)

// realtime serves the stream; its fields are what tests vary.
type realtime struct {
	broker    *workflow.Broker
	record    func(ctx context.Context, id string) (*core.Execution, error)
	streams   bool // the platform sends a response as it is written
	heartbeat time.Duration
	maxLife   time.Duration
}

func (h *handler) realtimeRoutes(mux *http.ServeMux) {
	if h.opts.Workflows == nil {
		return // the 501 of contract.go answers
	}
	rt := &realtime{
		broker: h.opts.Workflows.Live(), record: h.opts.Workflows.Execution,
		// The standalone server streams; Lambda, Cloud Functions and
		// Vercel hand the handler a buffered writer.
		streams:   h.opts.Manifest.Platform == "" || h.opts.Manifest.Platform == "docker",
		heartbeat: sseHeartbeat, maxLife: sseMaxLife,
	}
	mux.Handle("GET /api/realtime/sse/{executionId}", rt)
}

// liveEvent is e as the stream sends it: the broker keeps core/workflow's
// Event (the engine does not import the API's bodies), the wire names its
// fields.
func liveEvent(e workflow.Event) wire.LiveEvent {
	return wire.LiveEvent{Type: e.Type, ExecutionID: e.ExecutionID, WorkflowID: e.WorkflowID, Timestamp: e.Timestamp,
		Data: wire.LiveEventData(e.Data)}
}

func validExecutionID(id string) bool {
	if id == "" || len(id) > 100 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == ':' || c == '.') {
			return false
		}
	}
	return true
}

func (rt *realtime) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("executionId")
	if !validExecutionID(id) {
		writeError(w, r, core.Errorf(core.ENOTFOUND, "no execution %q", id))
		return
	}
	// Subscribe before reading the record, so that nothing that happens
	// in between is missed.
	sub, past, local := rt.broker.Subscribe(id)
	defer sub.Close()

	snap, final := rt.snapshot(r.Context(), id)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not hold the stream back
	// EventSource from the builder's origin, without credentials; the
	// route is public.
	hd.Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(http.StatusOK)
	s := &sseWriter{w: w, rc: http.NewResponseController(w), deadline: rt.heartbeat + 30*time.Second}
	s.raw(fmt.Sprintf("retry: %d\n\n", sseRetryMs))
	s.event("snapshot", snap)
	for _, e := range past {
		s.event(e.Type, liveEvent(e))
		if e.Terminal() {
			s.event("close", wire.LiveClose{})
			return
		}
	}
	if !local || sub == nil || !rt.streams {
		if final != nil { // the run ended elsewhere or long ago: say how
			s.event(final.Type, liveEvent(*final))
		}
		s.event("close", wire.LiveClose{})
		return
	}
	if s.err != nil {
		return
	}
	beat := time.NewTicker(rt.heartbeat)
	defer beat.Stop()
	life := time.NewTimer(rt.maxLife)
	defer life.Stop()
	for {
		select {
		case <-r.Context().Done(): // the client went away
			return
		case <-life.C:
			s.event("close", wire.LiveClose{})
			return
		case t := <-beat.C:
			s.raw(fmt.Sprintf("event: ping\ndata: %d\n\n", t.UnixMilli()))
		case e, ok := <-sub.Events():
			if !ok { // fell behind, or evicted: the client reconnects and catches up
				s.event("close", wire.LiveClose{})
				return
			}
			s.event(e.Type, liveEvent(e))
			if e.Terminal() {
				s.event("close", wire.LiveClose{})
				return
			}
		}
		if s.err != nil {
			return
		}
	}
}

// snapshot reads the record; final is the event that ends the stream when
// the record has ended (nil while it runs, or when there is none).
func (rt *realtime) snapshot(ctx context.Context, id string) (wire.LiveSnapshot, *workflow.Event) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	e, err := rt.record(ctx, id)
	if err != nil {
		msg := "Execution not found" // the TypeScript engine's words
		if core.ErrorCode(err) != core.ENOTFOUND {
			msg = "the execution record cannot be read now"
		}
		return wire.LiveSnapshot{Error: msg}, nil
	}
	b := wire.LiveSnapshot{ExecutionID: e.ID, WorkflowID: e.WorkflowID, Status: e.Status, Error: e.Error,
		NodeExecutions: make([]wire.LiveSnapshotNode, 0, len(e.NodeExecutions))}
	if !e.StartedAt.IsZero() {
		b.StartedAt = &e.StartedAt
	}
	if !e.EndedAt.IsZero() {
		b.EndedAt = &e.EndedAt
	}
	ran := 0
	for _, n := range e.NodeExecutions {
		b.NodeExecutions = append(b.NodeExecutions, wire.LiveSnapshotNode{NodeID: n.NodeID, Type: n.Type, Status: n.Status, Error: n.Error, DurationMs: n.DurationMs})
		if n.Status != core.NodeSkipped {
			ran++
		}
	}
	var final *workflow.Event
	switch e.Status {
	case core.ExecCompleted:
		final = &workflow.Event{Type: workflow.EventCompleted, Data: workflow.EventData{Nodes: ran, Status: e.Status}}
	case core.ExecError, core.ExecCancelled:
		final = &workflow.Event{Type: workflow.EventError, Data: workflow.EventData{Nodes: ran, Status: e.Status, Error: e.Error}}
	}
	if final != nil {
		final.ExecutionID, final.WorkflowID = e.ID, e.WorkflowID
		final.Timestamp = e.EndedAt.UTC()
	}
	return b, final
}

// sseWriter writes events and flushes each; the first failure stops it.
type sseWriter struct {
	w        io.Writer
	rc       *http.ResponseController
	deadline time.Duration
	err      error
}

func (s *sseWriter) event(name string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		data = []byte("{}")
	}
	s.raw("event: " + name + "\ndata: " + string(data) + "\n\n")
}

func (s *sseWriter) raw(text string) {
	if s.err != nil {
		return
	}
	// The server's WriteTimeout would cut a long stream: each write gets
	// its own deadline instead (where the writer allows it).
	if err := s.rc.SetWriteDeadline(time.Now().Add(s.deadline)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.err = err
		return
	}
	if _, err := io.WriteString(s.w, text); err != nil {
		s.err = err
		return
	}
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.err = err
	}
}
