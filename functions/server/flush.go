package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/frontbase/edge/core/analytics"
)

// flushInterval is how often the standalone server moves buffered page
// views (in process, or in Redis) to the state store; FaaS deployments
// have the scheduled function for it.
const flushInterval = 30 * time.Second

// flushEvery runs f every interval until ctx ends, then once more so that
// counts buffered in process survive a clean stop.
func flushEvery(ctx context.Context, f *analytics.Flusher, interval time.Duration, logger *slog.Logger) {
	if f == nil {
		return
	}
	once := func(parent context.Context) {
		ctx, cancel := context.WithTimeout(parent, interval-time.Second)
		defer cancel()
		rep, err := f.Flush(ctx)
		if err != nil {
			logger.Warn("analytics flush failed; the next one retries", "err", err, "rows", rep.Rows)
		} else if rep.Rows > 0 {
			logger.Debug("analytics flushed", "rows", rep.Rows, "views", rep.Views, "batches", rep.Batches)
		}
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			once(context.WithoutCancel(ctx))
			return
		case <-t.C:
			once(ctx)
		}
	}
}
