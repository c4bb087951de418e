package engine

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLogSinkBatchesInfoAndWritesErrorsAtOnce(t *testing.T) {
	synctest.Test(t, testLogSinkBatchesInfoAndWritesErrorsAtOnce)
}

// In a bubble: the flush period passes on the bubble's clock, exactly.
func testLogSinkBatchesInfoAndWritesErrorsAtOnce(t *testing.T) {
	out := &lockedBuffer{}
	sink := NewLogSink(out)
	logger := slog.New(urgentFlush{Handler: slog.NewJSONHandler(sink, nil), sink: sink})

	logger.Info("access line")
	if strings.Contains(out.String(), "access line") {
		t.Fatal("an info line was written through at once; it should be batched")
	}
	logger.With("requestId", "r1").Error("boom")
	if s := out.String(); !strings.Contains(s, "access line") || !strings.Contains(s, "boom") {
		t.Fatalf("an error did not flush the buffer: %q", s)
	}

	logger.Info("later line")
	time.Sleep(FlushEvery)
	synctest.Wait() // the periodic flush has run
	if !strings.Contains(out.String(), "later line") {
		t.Fatalf("a buffered line waited more than the flush period %v", FlushEvery)
	}

	logger.Info("last line")
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "last line") {
		t.Fatal("Close lost a buffered line")
	}
}
