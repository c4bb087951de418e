package tick

import (
	"context"
	"testing"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/analytics"
)

type genStore int64

func (g genStore) Generation(context.Context) (int64, error) { return int64(g), nil }

type fakeFlush struct {
	rep analytics.Report
	err error
}

func (f fakeFlush) Flush(context.Context) (analytics.Report, error) { return f.rep, f.err }

func TestTickRunsTheFlush(t *testing.T) {
	tests := []struct {
		name        string
		flush       Flusher
		wantFlushed int
		wantErr     string
	}{
		{"no flush wired", nil, 0, ""},
		{"a flush that moved rows", fakeFlush{rep: analytics.Report{Rows: 42, Batches: 1}}, 42, ""},
		{"a flush that stopped", fakeFlush{rep: analytics.Report{Rows: 3}, err: core.Errorf(core.EUNAVAILABLE, "redis down")}, 3, "redis down"},
		{"a nil flusher (an engine without counters)", (*analytics.Flusher)(nil), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := (&Ticker{Store: genStore(7), Flush: tt.flush}).Tick(context.Background())
			if err != nil || !r.StoreOK || r.Generation != 7 {
				t.Fatalf("%+v %v", r, err)
			}
			if r.Flushed != tt.wantFlushed || r.FlushError != tt.wantErr {
				t.Errorf("flushed %d error %q, want %d %q", r.Flushed, r.FlushError, tt.wantFlushed, tt.wantErr)
			}
		})
	}
}
