package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/core/workflow"
)

type sse struct{ event, data string }

// readSSE parses a stream into events as EventSource does (event and data
// lines, a blank line ends one); the channel closes at the stream's end.
func readSSE(t *testing.T, resp *http.Response) <-chan sse {
	ch := make(chan sse, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		var cur sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if cur.event != "" || cur.data != "" {
					ch <- cur
				}
				cur = sse{}
			case strings.HasPrefix(line, "event: "):
				cur.event = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				cur.data = line[len("data: "):]
			}
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan sse) sse {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("the stream ended")
		}
		return e
	case <-time.After(30 * time.Second): // a hang, not a timing assertion
		t.Fatal("no event")
	}
	return sse{}
}

func names(t *testing.T, ch <-chan sse) string {
	var s []string
	for e := range ch {
		s = append(s, e.event)
	}
	return strings.Join(s, " ")
}

func TestRealtimeStream(t *testing.T) {
	running := &core.Execution{ID: "run-1", WorkflowID: "wf", Status: core.ExecStarted, StartedAt: time.Unix(1e9, 0)}
	ended := &core.Execution{ID: "old-1", WorkflowID: "wf", Status: core.ExecError, Error: "boom",
		NodeExecutions: []core.NodeExecution{{NodeID: "t", Type: "trigger", Status: core.NodeCompleted, Outputs: map[string]any{"secret": "s3"}}}}
	records := map[string]*core.Execution{"run-1": running, "old-1": ended}
	newRT := func(streams bool) (*realtime, *workflow.Broker, string) {
		b := workflow.NewBroker(nil)
		rt := &realtime{broker: b, streams: streams, heartbeat: time.Hour, maxLife: time.Hour,
			record: func(ctx context.Context, id string) (*core.Execution, error) {
				if e := records[id]; e != nil {
					return e, nil
				}
				return nil, core.Errorf(core.ENOTFOUND, "no execution")
			}}
		mux := http.NewServeMux()
		mux.Handle("GET /api/realtime/sse/{executionId}", rt)
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		return rt, b, srv.URL + "/api/realtime/sse/"
	}
	open := func(t *testing.T, ctx context.Context, url string) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		req.Header.Set("Accept", "text/event-stream") // as EventSource sends
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	t.Run("live run: replay, live events, end", func(t *testing.T) {
		_, b, base := newRT(true)
		b.Publish(workflow.Event{Type: workflow.EventStarted, ExecutionID: "run-1", WorkflowID: "wf", Data: workflow.EventData{Nodes: 2}})
		resp := open(t, context.Background(), base+"run-1")
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("headers %v", resp.Header)
		}
		ch := readSSE(t, resp)
		snap := next(t, ch)
		var body wire.LiveSnapshot
		if snap.event != "snapshot" || json.Unmarshal([]byte(snap.data), &body) != nil || body.Status != core.ExecStarted || body.ExecutionID != "run-1" {
			t.Fatalf("snapshot %+v", snap)
		}
		if e := next(t, ch); e.event != "started" || !strings.Contains(e.data, `"nodes":2`) {
			t.Fatalf("replay %+v", e)
		}
		b.Publish(workflow.Event{Type: workflow.EventNodeCompleted, ExecutionID: "run-1", WorkflowID: "wf", Data: workflow.EventData{NodeID: "t", NodeType: "trigger"}})
		e := next(t, ch)
		var ev wire.LiveEvent
		if e.event != "node_completed" || json.Unmarshal([]byte(e.data), &ev) != nil || ev.Data.NodeID != "t" || ev.Type != "node_completed" {
			t.Fatalf("live %+v", e)
		}
		b.Publish(workflow.Event{Type: workflow.EventCompleted, ExecutionID: "run-1", WorkflowID: "wf"})
		if got := names(t, ch); got != "completed close" {
			t.Fatalf("end %q", got)
		}
	})
	t.Run("heartbeat", func(t *testing.T) {
		rt, b, base := newRT(true)
		rt.heartbeat = time.Millisecond
		b.Publish(workflow.Event{Type: workflow.EventStarted, ExecutionID: "run-1"})
		ch := readSSE(t, open(t, context.Background(), base+"run-1"))
		for e := next(t, ch); e.event != "ping"; e = next(t, ch) {
		}
	})
	t.Run("the client going away ends the subscription", func(t *testing.T) {
		_, b, base := newRT(true)
		b.Publish(workflow.Event{Type: workflow.EventStarted, ExecutionID: "run-1"})
		ctx, cancel := context.WithCancel(context.Background())
		ch := readSSE(t, open(t, ctx, base+"run-1"))
		next(t, ch) // snapshot: subscribed by now
		if b.Subscribers("run-1") != 1 {
			t.Fatalf("%d subscribers", b.Subscribers("run-1"))
		}
		cancel()
		deadline := time.Now().Add(30 * time.Second)
		for b.Subscribers("run-1") != 0 {
			if time.Now().After(deadline) {
				t.Fatal("the subscription outlived its client")
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	t.Run("a platform that cannot stream: what is known, then close", func(t *testing.T) {
		_, b, base := newRT(false)
		b.Publish(workflow.Event{Type: workflow.EventStarted, ExecutionID: "run-1"})
		if got := names(t, readSSE(t, open(t, context.Background(), base+"run-1"))); got != "snapshot started close" {
			t.Fatalf("events %q", got)
		}
	})
	t.Run("a run this process does not hold: its record's end", func(t *testing.T) {
		_, _, base := newRT(true)
		ch := readSSE(t, open(t, context.Background(), base+"old-1"))
		snap := next(t, ch)
		if strings.Contains(snap.data, "s3") || !strings.Contains(snap.data, `"error":"boom"`) {
			t.Fatalf("snapshot %s", snap.data)
		}
		if e := next(t, ch); e.event != "error" || !strings.Contains(e.data, `"error":"boom"`) {
			t.Fatalf("end %+v", e)
		}
		if got := names(t, ch); got != "close" {
			t.Fatalf("then %q", got)
		}
	})
	t.Run("an unknown run", func(t *testing.T) {
		_, _, base := newRT(true)
		ch := readSSE(t, open(t, context.Background(), base+"nope"))
		if e := next(t, ch); e.event != "snapshot" || e.data != `{"error":"Execution not found"}` {
			t.Fatalf("%+v", e)
		}
		if got := names(t, ch); got != "close" {
			t.Fatalf("then %q", got)
		}
		if resp := open(t, context.Background(), base+"bad%20id"); resp.StatusCode != 404 {
			t.Fatalf("a malformed id: %d", resp.StatusCode)
		}
	})
}
