package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/functions/internal/engine"
)

const flushUsage = `usage: frontbase flush [--timeout 50s]

  Moves the page-view counters buffered in Redis (FRONTBASE_REDIS_URL) to
  the state database named by the engine's environment, as the scheduled
  function does every minute, and prints what moved as JSON. Safe to run
  at any time, and again after a crash: batches are claimed atomically
  and recorded in a ledger, so nothing is lost or counted twice. Without
  FRONTBASE_REDIS_URL there is no shared buffer and it says so (exit 2).
`

func runFlush(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("flush", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, flushUsage) }
	timeout := fs.Duration("timeout", 50*time.Second, "time budget; the flush stops cleanly before it")
	rest, err := parseAnywhere(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "flush: unexpected argument %q: flush takes only --timeout\n", rest[0])
		return 2
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "flush:", err)
		return 2
	}
	if cfg.RedisURL == "" {
		// Without a shared cache each engine counts in its own memory and
		// flushes it itself; this process has nothing to move.
		fmt.Fprintln(stderr, "flush: no buffer to flush: page views are buffered in Redis only when FRONTBASE_REDIS_URL is set; "+
			"without it each engine keeps its counts in memory and flushes them itself (the standalone server every minute and on stop)")
		return 2
	}
	eng, err := engine.New(ctx, cfg, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), nil)
	if err != nil {
		fmt.Fprintln(stderr, "flush:", err)
		return 2
	}
	defer eng.Close()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	rep, err := eng.Flusher.Flush(ctx)
	out, _ := json.Marshal(rep)
	fmt.Fprintln(stdout, string(out))
	if err != nil {
		fmt.Fprintln(stderr, "flush:", err)
		return 1
	}
	return 0
}
