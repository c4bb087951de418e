package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/frontbase/edge/core/analytics"
	"github.com/frontbase/edge/core/tick"
)

// flushInterval is how often the standalone server moves buffered page
// views (in process, or in Redis) to the state store; FaaS deployments
// have the scheduled function for it.
const flushInterval = 30 * time.Second

// scheduleInterval is how often the standalone server runs the scheduled
// workflows that are due (schedules have minute granularity: a slot runs
// at most this late). FRONTBASE_SCHEDULER changes it or turns it off.
const scheduleInterval = 15 * time.Second

// tickBudget bounds one scheduling tick: due workflows run one after
// another, each within its own execution deadline; what a tick leaves
// undone the next one picks up while the slot is still the latest.
const tickBudget = time.Minute

// schedulerInterval reads FRONTBASE_SCHEDULER: empty or "on" is every
// scheduleInterval, "off" (or "false", "0") disables the scheduler (another
// timer, or another replica, runs the ticks), a Go duration ("5s", "1m")
// sets the interval.
func schedulerInterval(v string) (time.Duration, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "on", "true", "1":
		return scheduleInterval, nil
	case "off", "false", "0":
		return 0, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < time.Second {
		return 0, fmt.Errorf("FRONTBASE_SCHEDULER: %q is not on, off or a duration of at least 1s", v)
	}
	return d, nil
}

// background is the standalone server's one timer loop, until ctx ends:
// the analytics flush every flushEvery and, when ticker is set, the due
// scheduled workflows every tickEvery (core/tick; several replicas may all
// tick: each slot is claimed in the state store, so it runs once). On stop
// it flushes once more, so counts buffered in process survive a clean
// stop. done, when set, receives each tick's report (tests).
func background(ctx context.Context, f *analytics.Flusher, flushEvery time.Duration, ticker *tick.Ticker, tickEvery time.Duration,
	logger *slog.Logger, done func(tick.Report)) {
	flush := func(parent context.Context) {
		if f == nil {
			return
		}
		ctx, cancel := context.WithTimeout(parent, flushEvery-time.Second)
		defer cancel()
		rep, err := f.Flush(ctx)
		if err != nil {
			logger.Warn("analytics flush failed; the next one retries", "err", err, "rows", rep.Rows)
		} else if rep.Rows > 0 {
			logger.Debug("analytics flushed", "rows", rep.Rows, "views", rep.Views, "batches", rep.Batches)
		}
	}
	runTick := func() {
		tctx, cancel := context.WithTimeout(ctx, tickBudget)
		defer cancel()
		rep, err := ticker.Tick(tctx)
		switch {
		case err != nil:
			logger.Warn("scheduler tick failed; the next one retries", "err", err)
		case rep.WorkflowError != "":
			logger.Warn("scheduled workflows", "ran", rep.WorkflowsRun, "err", rep.WorkflowError)
		case rep.WorkflowsRun > 0:
			logger.Debug("scheduled workflows ran", "ran", rep.WorkflowsRun, "ms", rep.DurationMs)
		}
		if done != nil {
			done(rep)
		}
	}
	var flushC, tickC <-chan time.Time
	if f != nil {
		t := time.NewTicker(flushEvery)
		defer t.Stop()
		flushC = t.C
	}
	if ticker != nil && tickEvery > 0 {
		t := time.NewTicker(tickEvery)
		defer t.Stop()
		tickC = t.C
	}
	for {
		select {
		case <-ctx.Done():
			flush(context.WithoutCancel(ctx))
			return
		case <-flushC:
			flush(ctx)
		case <-tickC:
			if ctx.Err() == nil {
				runTick()
			}
		}
	}
}
