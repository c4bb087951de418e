package workflow

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

// events drains what the broker kept of run id.
func kept(b *Broker, id string) []Event {
	_, past, _ := b.Subscribe(id)
	return past
}

func describe(evs []Event) string {
	var s []string
	for _, e := range evs {
		d := e.Data.NodeID
		if e.Data.Nodes > 0 {
			d += fmt.Sprint(e.Data.Nodes)
		}
		s = append(s, e.Type+":"+d)
	}
	return strings.Join(s, " ")
}

// The runner reports a run's start and each node's start and end, in the
// fields ExecutionStream.tsx reads; the end of the run is the Service's
// to send (after the record is saved).
func TestRunnerSendsLiveEvents(t *testing.T) {
	fail := newTarget(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	for _, c := range []struct {
		name  string
		nodes []nd
		edges []string
		want  string
	}{
		{"completed", []nd{{id: "t", typ: "trigger"}, {id: "v", typ: "set_variable", in: map[string]any{"key": "k", "value": "x"}}}, []string{"t->v"},
			"started:2 executing:t node_completed:t executing:v node_completed:v"},
		{"node error", []nd{{id: "t", typ: "trigger"}, {id: "h", typ: "http_request", in: map[string]any{"url": "http://127.0.0.1:1/x"}},
			{id: "v", typ: "set_variable", in: map[string]any{"key": "k", "value": "x"}}}, []string{"t->h", "h->v"},
			"started:3 executing:t node_completed:t executing:h node_error:h"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runnerFor(t, fail)
			r.Live = NewBroker(nil)
			e := r.Run(context.Background(), mustParse(t, build(t, c.nodes, c.edges...)), "manual", nil)
			evs := kept(r.Live, e.ID)
			if got := describe(evs); got != c.want {
				t.Errorf("events %q, want %q", got, c.want)
			}
			for _, ev := range evs {
				if ev.ExecutionID != e.ID || ev.WorkflowID != "wf" || ev.Timestamp.IsZero() {
					t.Errorf("event %+v", ev)
				}
				if ev.Type == EventNodeError && (ev.Data.NodeType != "http_request" || ev.Data.Error == "") {
					t.Errorf("node_error %+v", ev.Data)
				}
			}
		})
	}
}

// The broker keeps a bounded number of events per run and of runs, and
// drops a subscriber that falls behind instead of blocking the run.
func TestBroker(t *testing.T) {
	ev := func(id, typ string) Event { return Event{Type: typ, ExecutionID: id, WorkflowID: "wf"} }
	now := time.Unix(1e9, 0)
	newBroker := func() *Broker {
		b := NewBroker(func() time.Time { return now })
		b.MaxRuns, b.MaxEvents, b.Queue, b.KeepEnded = 3, 4, 2, time.Minute
		return b
	}
	t.Run("replay then live, closed after the end", func(t *testing.T) {
		b := newBroker()
		b.Publish(ev("a", EventStarted))
		sub, past, known := b.Subscribe("a")
		if !known || sub == nil || describe(past) != "started:" {
			t.Fatalf("known %v sub %v past %q", known, sub, describe(past))
		}
		b.Publish(ev("a", EventExecuting))
		b.Publish(ev("b", EventExecuting)) // another run's event is not delivered
		if got := <-sub.Events(); got.Type != EventExecuting || got.ExecutionID != "a" {
			t.Fatalf("got %+v", got)
		}
		sub.Close()
		sub.Close()
		if _, ok := <-sub.Events(); ok || sub.Dropped() || b.Subscribers("a") != 0 {
			t.Fatal("a closed subscription still receives")
		}
		b.Publish(ev("a", EventCompleted))
		if sub, past, known := b.Subscribe("a"); sub != nil || !known || !past[len(past)-1].Terminal() {
			t.Fatalf("an ended run: sub %v known %v past %q", sub, known, describe(past))
		}
		if sub, _, known := b.Subscribe("nothing"); sub != nil || known {
			t.Fatal("an unknown run makes a subscription")
		}
		if b.Runs() != 2 {
			t.Fatalf("a subscription to an unknown run made one: %d runs", b.Runs())
		}
	})
	t.Run("a slow subscriber is dropped", func(t *testing.T) {
		b := newBroker()
		b.Publish(ev("a", EventStarted))
		sub, _, _ := b.Subscribe("a")
		for range 3 { // its queue holds 2
			b.Publish(ev("a", EventExecuting))
		}
		n := 0
		for range sub.Events() {
			n++
		}
		if n != 2 || !sub.Dropped() || b.Subscribers("a") != 0 {
			t.Fatalf("received %d, dropped %v, subscribers %d", n, sub.Dropped(), b.Subscribers("a"))
		}
	})
	t.Run("events per run are bounded, the newest kept", func(t *testing.T) {
		b := newBroker()
		for i := range 10 {
			b.Publish(Event{Type: EventExecuting, ExecutionID: "a", Data: EventData{NodeID: fmt.Sprint(i)}})
		}
		if got := describe(kept(b, "a")); got != "executing:6 executing:7 executing:8 executing:9" {
			t.Fatalf("kept %q", got)
		}
	})
	t.Run("runs are bounded, the oldest evicted", func(t *testing.T) {
		b := newBroker()
		b.Publish(ev("a", EventStarted))
		sub, _, _ := b.Subscribe("a")
		b.Publish(ev("b", EventCompleted))
		b.Publish(ev("c", EventStarted))
		b.Publish(ev("d", EventStarted)) // full: a goes, its subscriber told
		if _, ok := <-sub.Events(); ok || !sub.Dropped() || b.Runs() != 3 {
			t.Fatalf("a's subscriber not dropped; %d runs", b.Runs())
		}
		for range 100 {
			b.Publish(ev("c", EventExecuting)) // a known run takes no room
		}
		if _, _, known := b.Subscribe("b"); !known || b.Runs() != 3 {
			t.Fatalf("b dropped, %d runs", b.Runs())
		}
	})
	t.Run("ended runs expire", func(t *testing.T) {
		b := newBroker()
		b.Publish(ev("a", EventCompleted))
		now = now.Add(2 * time.Minute)
		b.Publish(ev("b", EventStarted))
		if _, _, known := b.Subscribe("a"); known {
			t.Fatal("an ended run kept past KeepEnded")
		}
	})
	t.Run("long errors are cut", func(t *testing.T) {
		b := newBroker()
		b.Publish(Event{Type: EventError, ExecutionID: "a", Data: EventData{Error: strings.Repeat("x", 5000)}})
		if got := kept(b, "a")[0].Data.Error; len(got) > maxEventError+len("…") {
			t.Fatalf("error of %d bytes", len(got))
		}
	})
}

// The Service ends a run's events once its record is saved, with the id
// the record has (a claimed run's id from the start).
func TestServiceEndsLiveRun(t *testing.T) {
	store := &memStore{wfs: map[string]*core.StoredWorkflow{}, execs: map[string]*core.Execution{}}
	svc := New(store, Options{})
	w := build(t, []nd{{id: "t", typ: "trigger"}, {id: "v", typ: "set_variable", in: map[string]any{"key": "k", "value": "x"}}}, "t->v")
	g := mustParse(t, w)
	sw := &core.StoredWorkflow{Workflow: w, Version: 1}
	exec, err := svc.runWithID(context.Background(), g, sw, "scheduled", nil, "claimed-id")
	if err != nil || exec.ID != "claimed-id" {
		t.Fatalf("%v %+v", err, exec)
	}
	evs := kept(svc.Live(), "claimed-id")
	if got := describe(evs); got != "started:2 executing:t node_completed:t executing:v node_completed:v completed:2" {
		t.Fatalf("events %q", got)
	}
	if last := evs[len(evs)-1]; last.Data.Status != core.ExecCompleted {
		t.Fatalf("last %+v", last.Data)
	}

	// A node test ends its stream too.
	store.wfs["wf"] = sw
	exec, err = svc.ExecuteNode(context.Background(), "wf", "v", nil)
	if err != nil {
		t.Fatal(err)
	}
	if evs := kept(svc.Live(), exec.ID); len(evs) == 0 || !evs[len(evs)-1].Terminal() {
		t.Fatalf("node test events %q", describe(evs))
	}
}

// BenchmarkEngine10NodesLive is BenchmarkEngine10Nodes with live events
// sent to a broker (as the Service runs): its cost over that baseline.
func BenchmarkEngine10NodesLive(b *testing.B) {
	for _, live := range []bool{false, true} {
		b.Run(fmt.Sprintf("live=%v", live), func(b *testing.B) {
			g := benchGraph(b)
			r := &Runner{}
			if live {
				r.Live = NewBroker(nil)
			}
			payload := map[string]any{"n": 7.0, "name": "ada"}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if e := r.Run(ctx, g, "manual", payload); e.Status != core.ExecCompleted {
					b.Fatal(e.Error)
				}
			}
		})
	}
}
