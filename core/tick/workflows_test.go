package tick

import (
	"context"
	"errors"
	"testing"

	"github.com/frontbase/edge/core"
)

type fakeScheduler struct {
	ran   int
	err   error
	calls int
}

func (f *fakeScheduler) RunDue(context.Context) (int, error) {
	f.calls++
	return f.ran, f.err
}

func TestTickRunsDueWorkflows(t *testing.T) {
	tests := []struct {
		name     string
		sched    *fakeScheduler
		storeErr error
		wantRun  int
		wantErr  string
		calls    int
	}{
		{"runs them", &fakeScheduler{ran: 2}, nil, 2, "", 1},
		{"reports a failure without failing the tick", &fakeScheduler{ran: 1, err: core.Errorf(core.EUNAVAILABLE, "claim failed")}, nil, 1, "claim failed", 1},
		{"not when the store is down", &fakeScheduler{ran: 2}, errors.New("down"), 0, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := &Ticker{Store: fakeStore{gen: 3, err: tt.storeErr}, Workflows: tt.sched}
			r, err := tk.Tick(context.Background())
			if (err != nil) != (tt.storeErr != nil) || r.WorkflowsRun != tt.wantRun || r.WorkflowError != tt.wantErr || tt.sched.calls != tt.calls {
				t.Errorf("report %+v, err %v, calls %d", r, err, tt.sched.calls)
			}
		})
	}
}
