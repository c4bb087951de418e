package tick

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/analytics"
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

type pruningScheduler struct {
	fakeScheduler
	pruned int
	err    error
}

func (p *pruningScheduler) PruneExecutions(context.Context) (int, error) { return p.pruned, p.err }

func TestTickPrunesWithTheWorkflows(t *testing.T) {
	tests := []struct {
		name    string
		sched   Scheduler
		want    int
		wantErr string
	}{
		{"a scheduler that prunes", &pruningScheduler{fakeScheduler: fakeScheduler{ran: 1}, pruned: 500}, 500, ""},
		{"a prune failure is reported", &pruningScheduler{pruned: 20, err: core.Errorf(core.EUNAVAILABLE, "db busy")}, 20, "db busy"},
		{"a scheduler that does not prune", &fakeScheduler{ran: 1}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := (&Ticker{Store: fakeStore{gen: 1}, Workflows: tt.sched}).Tick(context.Background())
			if err != nil || r.Pruned != tt.want || r.PruneError != tt.wantErr {
				t.Errorf("report %+v, %v", r, err)
			}
			// The report keeps every field it had; pruned is always there.
			b, _ := json.Marshal(r)
			for _, field := range []string{`"generation"`, `"storeOk"`, `"flushed"`, `"workflowsRun"`, `"durationMs"`, `"pruned"`} {
				if !strings.Contains(string(b), field) {
					t.Errorf("report %s has no %s", b, field)
				}
			}
		})
	}
}

// meeting is a flush, a scheduler and a pruner that each wait, within the
// tick's budget, for the other two to have started: they all finish only
// when the tick runs them at once.
type meeting struct {
	flush, due, prune chan struct{}
}

func (m *meeting) arrive(ctx context.Context, mine chan struct{}) error {
	close(mine)
	for _, c := range []chan struct{}{m.flush, m.due, m.prune} {
		select {
		case <-c:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (m *meeting) Flush(ctx context.Context) (analytics.Report, error) {
	return analytics.Report{Rows: 1}, m.arrive(ctx, m.flush)
}

func (m *meeting) RunDue(ctx context.Context) (int, error) { return 1, m.arrive(ctx, m.due) }

func (m *meeting) PruneExecutions(ctx context.Context) (int, error) {
	return 1, m.arrive(ctx, m.prune)
}

// TestTickRunsItsStepsAtOnce: the flush, the due workflows and the
// retention share only the budget, so a tick costs the longest of them.
func TestTickRunsItsStepsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &meeting{make(chan struct{}), make(chan struct{}), make(chan struct{})}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		r, err := (&Ticker{Store: fakeStore{gen: 1}, Flush: m, Workflows: m}).Tick(ctx)
		if err != nil || r.Flushed != 1 || r.WorkflowsRun != 1 || r.Pruned != 1 ||
			r.FlushError != "" || r.WorkflowError != "" || r.PruneError != "" {
			t.Errorf("report %+v, %v: the steps did not run at once", r, err)
		}
	})
}
