package workflow

import (
	"context"
	"time"
)

// Retries: the builder's "Queue & Durability" settings. This engine has no
// message queue; with queue_enabled a failed run of a background trigger
// (a webhook, a schedule tick, a data-change tick: nobody is waiting on a
// page or in the editor) is tried again in the same invocation up to
// retry_count times, waiting retry_backoff between attempts. Every
// attempt is its own execution record.

// retryBase is the first wait between attempts (the builder's tooltip:
// exponential 1s → 2s → 4s).
const retryBase = time.Second

// retriesFor is how many times a failed run of kind is tried again.
func retriesFor(g *Graph, kind string) int {
	if !g.Opts.QueueEnabled {
		return 0
	}
	switch kind {
	case "http_webhook", "scheduled", "data_change":
		return g.Opts.RetryCount
	}
	return 0
}

// backoff is the wait before retry number attempt (1, 2, ...).
func backoff(o Settings, attempt int) time.Duration {
	if o.RetryBackoff == "linear" {
		return time.Duration(attempt) * retryBase
	}
	return retryBase << min(attempt-1, 10)
}

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
