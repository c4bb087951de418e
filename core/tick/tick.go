// Package tick is the scheduled job every platform's timer calls (an
// EventBridge schedule on Lambda, Cloud Scheduler on Cloud Functions, a
// Vercel cron). Today it checks that the state store answers and reports
// the publish generation; it flushes the counters buffered in Redis (core/analytics),
// runs the scheduled workflows that are due and deletes execution records
// past their retention.
package tick

import (
	"context"
	"sync"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/analytics"
)

// Generationer is the part of the state store a tick reads.
type Generationer interface {
	Generation(ctx context.Context) (int64, error)
}

// Report says what one tick did. It is the scheduled function's response.
type Report struct {
	Generation int64 `json:"generation"`
	StoreOK    bool  `json:"storeOk"`
	Flushed    int   `json:"flushed"` // counter rows moved to the state store
	// FlushReport says what the flush moved; FlushError why it stopped.
	FlushReport *analytics.Report `json:"flush,omitempty"`
	FlushError  string            `json:"flushError,omitempty"`
	// WorkflowsRun counts scheduled workflows this tick ran (one per due slot).
	WorkflowsRun  int    `json:"workflowsRun"`
	WorkflowError string `json:"workflowError,omitempty"`
	// Pruned counts execution records the retention deleted this tick
	// (bounded per tick; a backlog drains over ticks); PruneError why it
	// stopped.
	Pruned     int     `json:"pruned"`
	PruneError string  `json:"pruneError,omitempty"`
	DurationMs float64 `json:"durationMs"`
	BudgetMs   int64   `json:"budgetMs,omitempty"` // the time the tick was given, when it had a deadline
}

// Ticker runs ticks against a store.
type Ticker struct {
	Store Generationer
	Now   func() time.Time // default time.Now
	// Workflows, when set, runs the scheduled workflows that are due.
	Workflows Scheduler
	// Flush, when set, moves buffered counters to the state store
	// (core/analytics.Flusher) while the workflows run.
	Flush Flusher
}

// Flusher moves buffered counters to the state store.
type Flusher interface {
	Flush(ctx context.Context) (analytics.Report, error)
}

// Scheduler runs due scheduled workflows (core/workflow.Service).
type Scheduler interface {
	RunDue(ctx context.Context) (ran int, err error)
}

// Pruner deletes execution records past their retention, in bounded
// batches (core/workflow.Service). A Scheduler that is also a Pruner is
// asked to prune while the due workflows run.
type Pruner interface {
	PruneExecutions(ctx context.Context) (deleted int, err error)
}

// Tick runs one tick within ctx's deadline. A store that cannot be reached
// is an EUNAVAILABLE error, and the report still says what was seen.
func (t *Ticker) Tick(ctx context.Context) (Report, error) {
	now := t.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	var r Report
	if d, ok := ctx.Deadline(); ok {
		r.BudgetMs = d.Sub(start).Milliseconds()
	}
	if t.Store == nil {
		return r, core.Errorf(core.EINTERNAL, "tick: no state store")
	}
	gen, err := t.Store.Generation(ctx)
	r.DurationMs = float64(now().Sub(start).Microseconds()) / 1000
	if err != nil {
		if core.ErrorCode(err) == core.EUNAVAILABLE {
			return r, err
		}
		return r, &core.Error{Code: core.EUNAVAILABLE, Message: "tick: the state store did not answer", Err: err}
	}
	r.Generation, r.StoreOK = gen, true
	// The flush, the due workflows and the retention work on different
	// rows and share only the budget, so they run at once: a tick costs the
	// longest of them, not their sum (each is one or more round trips to
	// the state store, and on a cold start nearly all of the tick). Each
	// writes only its own fields of r.
	var wg sync.WaitGroup
	if t.Flush != nil {
		wg.Go(func() {
			rep, err := t.Flush.Flush(ctx)
			r.Flushed, r.FlushReport = rep.Rows, &rep
			if err != nil {
				r.FlushError = core.ErrorMessage(err)
			}
		})
	}
	if t.Workflows != nil {
		wg.Go(func() {
			n, err := t.Workflows.RunDue(ctx)
			r.WorkflowsRun = n
			if err != nil {
				r.WorkflowError = core.ErrorMessage(err)
			}
		})
		// The retention deletes only records past their age (at least the
		// schedules' look-back) or beyond a workflow's cap while sparing
		// the recent ones, so it never touches what the due runs write.
		if p, ok := t.Workflows.(Pruner); ok && ctx.Err() == nil {
			wg.Go(func() {
				n, err := p.PruneExecutions(ctx)
				r.Pruned = n
				if err != nil {
					r.PruneError = core.ErrorMessage(err)
				}
			})
		}
	}
	wg.Wait()
	r.DurationMs = float64(now().Sub(start).Microseconds()) / 1000
	return r, nil
}

// Budget derives the context a scheduled run should use: the platform's
// deadline minus a margin for reporting, so the tick stops before the
// platform kills it. Without a deadline it applies fallback.
func Budget(ctx context.Context, margin, fallback time.Duration) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-margin))
	}
	return context.WithTimeout(ctx, fallback)
}
