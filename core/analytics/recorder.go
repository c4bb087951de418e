package analytics

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frontbase/edge/core"
)

// RedisRecorder buffers views in the shared cache with one pipelined call,
// bounded by Timeout. Failures are swallowed (a lost count is better than a
// slow page) and logged at most once a minute; for a second after one,
// views are dropped at once (recorderBackoff).
//
// Concurrent views share calls (group commit): while one call is in
// flight, views that arrive wait for the next one, which carries them all,
// merged (one HINCRBY per counter, one PFADD per page and day). A view
// waits for its own call, at most Timeout, and nothing runs after its
// request: the next call is made by one of the requests waiting for it, so
// this holds on FaaS too. Alone (one request at a time, as on Lambda) a
// view costs exactly one round trip; under load a few round trips carry
// hundreds of views, which is what keeps Redis and the engine's CPU free
// for pages.
//
// With Async (long-lived servers only, never FaaS) no request waits: a
// view is buffered in process and a sender goroutine, running only while
// there is something to send, makes the calls one after the other, each
// carrying every view buffered meanwhile, with AsyncTimeout (default 2 s)
// since no page waits for it. Drain (the flush, and so a clean stop)
// waits for the call in flight and sends what is left.
type RedisRecorder struct {
	Cache   core.Cache
	Timeout time.Duration // default 50ms
	Async   bool
	// AsyncTimeout bounds each call of the Async sender (default 2s).
	AsyncTimeout time.Duration
	Logger       *slog.Logger
	lastLog      atomic.Int64
	Dropped      atomic.Int64 // views that could not be counted
	Calls        atomic.Int64 // pipelined calls made

	// failedUntil: until then (unix nanos, after a failed call) views
	// are dropped at once instead of waiting for a cache that is down.
	failedUntil atomic.Int64

	mu       sync.Mutex
	sending  bool       // a call is in flight
	inflight *viewBatch // the batch of that call
	pending  *viewBatch // views waiting for the next call
}

type viewBatch struct {
	views []View
	done  chan struct{} // closed when the batch's call returned
	wake  chan struct{} // closed when the call before it returned: a waiter sends it
}

func newViewBatch() *viewBatch {
	return &viewBatch{done: make(chan struct{}), wake: make(chan struct{})}
}

func (rr *RedisRecorder) Record(ctx context.Context, v View) {
	timeout := rr.Timeout
	if timeout <= 0 {
		timeout = 50 * time.Millisecond
	}
	now := time.Now()
	if !rr.Async && now.UnixNano() < rr.failedUntil.Load() {
		rr.Dropped.Add(1) // the last call failed: no page waits for a dead cache
		return
	}
	deadline := now.Add(timeout)
	rr.mu.Lock()
	if rr.pending == nil {
		rr.pending = newViewBatch()
	}
	b := rr.pending
	if len(b.views) >= maxPendingViews { // Redis is slow or down
		rr.mu.Unlock()
		rr.Dropped.Add(1)
		return
	}
	b.views = append(b.views, v)
	if rr.Async {
		if rr.lead(b) {
			go rr.sendAll(b)
		}
		return // the sender's next call carries it
	}
	if rr.lead(b) {
		rr.send(ctx, b, deadline)
		return
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-b.done:
		return
	case <-b.wake:
		rr.mu.Lock()
		if rr.lead(b) {
			rr.send(ctx, b, deadline)
			return
		}
	case <-timer.C:
		return // still pending: the next call takes it
	}
	select {
	case <-b.done:
	case <-timer.C:
	}
}

// recorderBackoff is how long views are dropped after a failed call, so
// that a hung or dead cache costs the page views that follow nothing (a
// lost count is better than a slow page).
const recorderBackoff = time.Second

// maxPendingViews bounds the views waiting for the next call.
const maxPendingViews = 50_000

// sendAll is the Async sender: it sends b, then every batch that filled
// meanwhile, and ends when nothing is left.
func (rr *RedisRecorder) sendAll(b *viewBatch) {
	timeout := rr.AsyncTimeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	for b != nil {
		rr.send(context.Background(), b, time.Now().Add(timeout))
		rr.mu.Lock()
		next := rr.pending
		if next == nil {
			rr.mu.Unlock()
			return
		}
		if !rr.lead(next) {
			return // a Drain took it
		}
		b = next
	}
}

// Drain sends the views the recorder holds when it is called: it waits
// for the call in flight and sends (or waits for) the batch filling
// behind it, then returns, even if more views keep arriving (or when ctx
// ends).
func (rr *RedisRecorder) Drain(ctx context.Context) {
	if rr == nil {
		return
	}
	rr.mu.Lock()
	last := rr.pending
	if last == nil {
		last = rr.inflight
	}
	rr.mu.Unlock()
	if last == nil {
		return
	}
	for {
		rr.mu.Lock()
		if !rr.sending && rr.pending == last {
			rr.lead(last) // unlocks; cannot fail here
			rr.send(ctx, last, time.Now().Add(max(rr.AsyncTimeout, 2*time.Second)))
			return
		}
		var inflight chan struct{}
		if rr.sending {
			inflight = rr.inflight.done
		}
		rr.mu.Unlock()
		if inflight == nil {
			return // not pending and nothing in flight: last was sent
		}
		select {
		case <-last.done:
			return
		case <-inflight:
		case <-ctx.Done():
			return
		}
	}
}

// lead makes the caller the sender of b when no call is in flight and b
// is the batch waiting. It is called with rr.mu held and releases it.
func (rr *RedisRecorder) lead(b *viewBatch) bool {
	defer rr.mu.Unlock()
	if rr.sending || rr.pending != b {
		return false
	}
	rr.sending, rr.inflight, rr.pending = true, b, nil
	return true
}

// send makes b's call, then hands over to the next batch's waiters.
func (rr *RedisRecorder) send(ctx context.Context, b *viewBatch, deadline time.Time) {
	ctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	_, err := rr.Cache.Exec(ctx, commands(b.views)...)
	cancel()
	rr.Calls.Add(1)
	if err != nil {
		rr.failedUntil.Store(time.Now().Add(recorderBackoff).UnixNano())
		dropped := rr.Dropped.Add(int64(len(b.views)))
		now := time.Now().Unix()
		if last := rr.lastLog.Load(); now-last >= 60 && rr.lastLog.CompareAndSwap(last, now) && rr.Logger != nil {
			rr.Logger.Warn("analytics: page views were not counted (logged at most once a minute)", "err", err, "dropped", dropped)
		}
	}
	rr.mu.Lock()
	rr.sending, rr.inflight = false, nil
	close(b.done) // under the lock: not sending and not pending means done
	next := rr.pending
	rr.mu.Unlock()
	if next != nil {
		close(next.wake)
	}
}

// commands merges views into one pipeline: a HINCRBY per counter, and per
// page and day a PFADD of its visitors and the sketch's expiry.
func commands(views []View) [][]any {
	if len(views) == 1 { // the common case when alone: no maps
		v := views[0]
		var buf [4]Row
		rows := v.appendRows(buf[:0])
		cmds := make([][]any, 0, len(rows)+2)
		for _, r := range rows {
			cmds = append(cmds, []any{"HINCRBY", bufferKey, field(r), 1})
		}
		if v.Visitor != "" {
			k := uniquesKey(v.Tenant, v.Day, v.Slug)
			cmds = append(cmds, []any{"PFADD", k, v.Visitor}, []any{"PEXPIRE", k, uniquesTTL.Milliseconds()})
		}
		return cmds
	}
	counts := map[string]int64{}
	var order []string
	visitors := map[string][]any{}
	seen := map[[2]string]bool{} // a visitor is added to a sketch once per call
	var keys []string
	for _, v := range views {
		var buf [4]Row
		for _, r := range v.appendRows(buf[:0]) {
			f := field(r)
			if _, seen := counts[f]; !seen {
				order = append(order, f)
			}
			counts[f] += r.N
		}
		if v.Visitor != "" {
			k := uniquesKey(v.Tenant, v.Day, v.Slug)
			if _, seen := visitors[k]; !seen {
				keys = append(keys, k)
				visitors[k] = []any{"PFADD", k}
			}
			if !seen[[2]string{k, v.Visitor}] {
				seen[[2]string{k, v.Visitor}] = true
				visitors[k] = append(visitors[k], v.Visitor)
			}
		}
	}
	cmds := make([][]any, 0, len(order)+2*len(keys))
	for _, f := range order {
		cmds = append(cmds, []any{"HINCRBY", bufferKey, f, counts[f]})
	}
	for _, k := range keys {
		cmds = append(cmds, visitors[k], []any{"PEXPIRE", k, uniquesTTL.Milliseconds()})
	}
	return cmds
}
