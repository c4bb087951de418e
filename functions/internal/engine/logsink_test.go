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

// A sink that is never written to costs a start nothing: no buffer, no
// goroutine (a synctest bubble fails if one outlives it), and Close
// writes nothing.
func TestLogSinkStartsOnFirstWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := &lockedBuffer{}
		idle := NewLogSink(out)
		if idle.w != nil || idle.done != nil {
			t.Fatal("NewLogSink made its buffer or goroutine before any write")
		}
		if err := idle.Close(); err != nil || out.String() != "" {
			t.Fatalf("Close of an unused sink: err %v, wrote %q", err, out.String())
		}

		used := NewLogSink(out)
		used.Write([]byte("line\n"))
		if used.w == nil || used.done == nil {
			t.Fatal("the first write did not start the buffer and its flusher")
		}
		if err := used.Close(); err != nil || out.String() != "line\n" {
			t.Fatalf("Close after one write: err %v, wrote %q", err, out.String())
		}
	})
}
