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
//
// The buffer and the flushing goroutine come with the first line, not
// with the sink: a server at FRONTBASE_LOG_LEVEL=warn may write nothing
// for its whole life, and a start is cheaper without a 64 KiB buffer and a
// goroutine made before the first request.
type LogSink struct {
	mu   sync.Mutex
	out  io.Writer
	w    *bufio.Writer // nil until the first Write
	stop chan struct{}
	done chan struct{} // closed when the flushing goroutine ends; nil if none started
}

// FlushEvery bounds how long a buffered log line may wait.
const FlushEvery = 200 * time.Millisecond

// NewLogSink buffers writes to out until Close.
func NewLogSink(out io.Writer) *LogSink {
	return &LogSink{out: out, stop: make(chan struct{})}
}

func (s *LogSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		s.w = bufio.NewWriterSize(s.out, 64<<10)
		s.done = make(chan struct{})
		go s.flushPeriodically(s.done)
	}
	return s.w.Write(p)
}

// Flush writes what is buffered.
func (s *LogSink) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return nil
	}
	return s.w.Flush()
}

func (s *LogSink) flushPeriodically(done chan struct{}) {
	defer close(done)
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
	s.mu.Lock()
	close(s.stop)
	done := s.done
	s.mu.Unlock()
	if done != nil {
		<-done
	}
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
