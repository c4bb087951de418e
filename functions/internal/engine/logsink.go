package engine

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// LogSink batches log lines so that a busy server does not pay one write
// system call per request: access logging would otherwise cost about 15%
// of cache-hit throughput (see README, Performance). Lines wait at most
// FlushEvery; warnings and errors are written at once, and Close writes
// the rest. Only long-lived servers use it: a FaaS process may be frozen
// right after a response, so those entrypoints log unbuffered.
type LogSink struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// FlushEvery bounds how long a buffered log line may wait.
const FlushEvery = 200 * time.Millisecond

// NewLogSink buffers writes to out until Close.
func NewLogSink(out io.Writer) *LogSink {
	s := &LogSink{w: bufio.NewWriterSize(out, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go s.flushPeriodically()
	return s
}

func (s *LogSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// Flush writes what is buffered.
func (s *LogSink) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Flush()
}

func (s *LogSink) flushPeriodically() {
	defer close(s.done)
	t := time.NewTicker(FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.Flush()
		case <-s.stop:
			return
		}
	}
}

// Close stops the flusher and writes what is left.
func (s *LogSink) Close() error {
	close(s.stop)
	<-s.done
	return s.Flush()
}

// urgentFlush is a slog.Handler that writes warnings and errors through
// at once, so a problem is never stuck in a buffer.
type urgentFlush struct {
	slog.Handler
	sink *LogSink
}

func (h urgentFlush) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.sink.Flush()
	}
	return err
}

func (h urgentFlush) WithAttrs(attrs []slog.Attr) slog.Handler {
	return urgentFlush{h.Handler.WithAttrs(attrs), h.sink}
}

func (h urgentFlush) WithGroup(name string) slog.Handler {
	return urgentFlush{h.Handler.WithGroup(name), h.sink}
}
