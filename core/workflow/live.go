package workflow

// The live events of runs in this process, for GET /api/realtime/sse/{id}
// (core/api/realtime.go). The builder's ExecutionStream component reads
// them; event names and fields are the ones it parses. Everything here is
// bounded: events kept per run, runs kept, and each subscriber's queue. A
// subscriber that falls behind is dropped (its channel closed) rather than
// slowing a run; the client reconnects and catches up from the record.

import (
	"sync"
	"time"
)

// Live event types, as ExecutionStream.tsx names them.
const (
	EventStarted       = "started"        // the run began; data.nodes
	EventExecuting     = "executing"      // a node started; data.nodeId, nodeType
	EventNodeCompleted = "node_completed" // data.nodeId, nodeType
	EventNodeError     = "node_error"     // data.nodeId, nodeType, error
	EventCompleted     = "completed"      // the run ended and is recorded; data.nodes, status
	EventError         = "error"          // the run failed (or was cancelled) and is recorded; data.error, status
)

// Event is one step of a run. GET /api/realtime/sse/{id} sends it as the
// data of a server-sent event in the shape of wire.LiveEvent
// (core/api/wire names the JSON fields; core/api converts): a field added
// here is added there too.
type Event struct {
	Type        string
	ExecutionID string
	WorkflowID  string
	Timestamp   time.Time // UTC
	Data        EventData
}

// EventData is what ExecutionStream.tsx reads from an event's data
// (wire.LiveEventData, field for field: core/api converts one to the
// other).
type EventData struct {
	NodeID   string
	NodeType string
	Error    string
	Nodes    int
	Status   string
}

// Terminal reports whether e ends its run's stream.
func (e Event) Terminal() bool { return e.Type == EventCompleted || e.Type == EventError }

// maxEventError caps an error message carried by an event: the record
// holds the whole message.
const maxEventError = 1 << 10

// Broker limits (NewBroker).
const (
	DefaultLiveRuns      = 512             // runs whose events are kept (the oldest go first)
	DefaultLiveEvents    = 100             // events kept per run (the oldest go first)
	DefaultLiveQueue     = 64              // events queued per subscriber before it is dropped
	DefaultLiveKeepEnded = 5 * time.Minute // how long an ended run's events stay for late subscribers
)

// Broker fans the events of runs out to subscribers in this process.
type Broker struct {
	mu     sync.Mutex
	topics map[string]*topic
	order  []string // run ids in the order their first event came
	now    func() time.Time

	MaxRuns   int
	MaxEvents int
	Queue     int
	KeepEnded time.Duration
}

type topic struct {
	events  []Event
	subs    map[*Subscription]struct{}
	ended   bool
	touched time.Time
}

// Subscription receives one run's events until it is closed, the run
// ends, or it falls behind (then its channel is closed and Dropped says
// so).
type Subscription struct {
	b       *Broker
	id      string
	ch      chan Event
	dropped bool // under b.mu
	closed  bool // under b.mu
}

// NewBroker returns a broker with the default limits; now nil is time.Now.
func NewBroker(now func() time.Time) *Broker {
	if now == nil {
		now = time.Now
	}
	return &Broker{topics: map[string]*topic{}, now: now,
		MaxRuns: DefaultLiveRuns, MaxEvents: DefaultLiveEvents, Queue: DefaultLiveQueue, KeepEnded: DefaultLiveKeepEnded}
}

// Publish records e and hands it to the run's subscribers. It never blocks.
func (b *Broker) Publish(e Event) {
	if b == nil || e.ExecutionID == "" {
		return
	}
	if len(e.Data.Error) > maxEventError {
		e.Data.Error = e.Data.Error[:maxEventError] + "…"
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := e.Timestamp // one clock read per event (b.event stamps it)
	if now.IsZero() {
		now = b.now()
	}
	t := b.topics[e.ExecutionID]
	if t == nil {
		b.makeRoom(now)
		t = &topic{subs: map[*Subscription]struct{}{}}
		if e.Type == EventStarted { // room for each node's two events and the end, at once
			t.events = make([]Event, 0, min(b.MaxEvents, 2*e.Data.Nodes+2))
		}
		b.topics[e.ExecutionID] = t
		b.order = append(b.order, e.ExecutionID)
	}
	t.touched = now
	if len(t.events) >= b.MaxEvents {
		t.events = t.events[:copy(t.events, t.events[1:])]
	}
	t.events = append(t.events, e)
	if e.Terminal() {
		t.ended = true
	}
	for s := range t.subs {
		select {
		case s.ch <- e:
		default: // fallen behind: drop it rather than wait
			s.dropped = true
			b.unsubscribe(t, s)
		}
	}
}

// makeRoom drops, oldest first, runs that ended more than KeepEnded ago
// and, while the broker is full, the oldest run (its subscribers are
// dropped: they reconnect and read the record). Amortised O(1): runs
// leave in the order they came. Called with b.mu held, before a run is
// added.
func (b *Broker) makeRoom(now time.Time) {
	for len(b.order) > 0 {
		id := b.order[0]
		t := b.topics[id]
		switch {
		case t == nil: // dropped already
		case t.ended && now.Sub(t.touched) > b.KeepEnded, len(b.topics) >= b.MaxRuns:
			b.drop(id, t)
		default:
			return
		}
		b.order = b.order[1:]
	}
}

func (b *Broker) drop(id string, t *topic) {
	for s := range t.subs {
		s.dropped = true
		b.unsubscribe(t, s)
	}
	delete(b.topics, id)
}

// Subscribe returns the events of run id kept so far and a subscription
// to the ones that follow; known is false (and sub nil) when this process
// holds nothing of the run: it ran elsewhere, or long ago.
func (b *Broker) Subscribe(id string) (sub *Subscription, past []Event, known bool) {
	if b == nil {
		return nil, nil, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.topics[id]
	if t == nil {
		return nil, nil, false
	}
	past = append([]Event(nil), t.events...)
	if t.ended { // nothing follows
		return nil, past, true
	}
	sub = &Subscription{b: b, id: id, ch: make(chan Event, b.Queue)}
	t.subs[sub] = struct{}{}
	return sub, past, true
}

// Events is the subscription's channel; it is closed when the
// subscription ends.
func (s *Subscription) Events() <-chan Event { return s.ch }

// Dropped reports whether the broker ended the subscription because it
// fell behind or its run was evicted.
func (s *Subscription) Dropped() bool {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	return s.dropped
}

// Close ends the subscription; it may be called more than once, and on nil.
func (s *Subscription) Close() {
	if s == nil {
		return
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if t := s.b.topics[s.id]; t != nil {
		s.b.unsubscribe(t, s)
	}
}

// unsubscribe, with b.mu held.
func (b *Broker) unsubscribe(t *topic, s *Subscription) {
	if s.closed {
		return
	}
	s.closed = true
	delete(t.subs, s)
	close(s.ch)
}

// Subscribers counts the open subscriptions to run id (tests, stats).
func (b *Broker) Subscribers(id string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t := b.topics[id]; t != nil {
		return len(t.subs)
	}
	return 0
}

// Runs counts the runs whose events are kept.
func (b *Broker) Runs() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.topics)
}

// event builds an event stamped now.
func (b *Broker) event(typ, execID, workflowID string, data EventData) Event {
	return Event{Type: typ, ExecutionID: execID, WorkflowID: workflowID, Timestamp: b.now().UTC(), Data: data}
}
