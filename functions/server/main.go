// Command server is the standalone edge node: the engine as a plain HTTP
// server for self-hosting, Docker and local work.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/core/tick"
	"github.com/frontbase/edge/functions/internal/engine"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, nil); err != nil {
		fmt.Fprintln(os.Stderr, "frontbase:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends. ready, when not nil, receives the bound
// address once the server accepts connections (tests use port 0).
func run(ctx context.Context, getenv func(string) string, ready chan<- string) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	tickEvery, err := schedulerInterval(getenv("FRONTBASE_SCHEDULER")) // background.go
	if err != nil {
		return err
	}
	logger, logSink := engine.NewBufferedLogger(cfg)
	defer logSink.Close()
	slog.SetDefault(logger)
	eng, err := engine.New(ctx, cfg, logger, nil)
	if err != nil {
		return err
	}
	defer eng.Close()
	if eng.Flusher != nil && eng.Flusher.Recorder != nil {
		// A long-lived process: a view that finds a Redis call in flight
		// rides the next one instead of waiting (the flush timer and the
		// final flush send what is left).
		eng.Flusher.Recorder.Async = true
	}

	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		return fmt.Errorf("PORT/FRONTBASE_BIND_ADDR: cannot listen on %s: %w", cfg.Addr(), err)
	}
	srv := &http.Server{
		Handler:           eng.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	logger.Info("engine listening", "addr", ln.Addr().String(), "env", cfg.Env, "db", cfg.LocalDBPath,
		"systemKeySet", cfg.SystemKey != "", "version", engine.Version, "scheduler", tickEvery.String())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// One loop for the timers (background.go): the analytics flush and the
	// scheduled workflows; it stops after the HTTP server, flushing once more.
	var ticker *tick.Ticker
	if tickEvery > 0 {
		ticker = &tick.Ticker{Store: eng.Store, Workflows: eng.Workflows}
	}
	bgCtx, stopBg := context.WithCancel(context.Background())
	bgDone := make(chan struct{})
	go func() { background(bgCtx, eng.Flusher, flushInterval, ticker, tickEvery, logger, nil); close(bgDone) }()
	defer func() { stopBg(); <-bgDone }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("engine stopped")
	return nil
}
