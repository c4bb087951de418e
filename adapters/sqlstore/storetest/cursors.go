package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

// DataCursors checks the compare-and-swap of data_change_trigger cursors:
// the first cursor is set once, a move from a stale cursor loses and
// writes no claim, and of racing movers from the same cursor exactly one
// wins and writes its claim.
func DataCursors(t *testing.T, s Store) {
	t.Helper()
	ctx := context.Background()
	if _, had, err := s.DataCursor(ctx, "wf|k"); err != nil || had {
		t.Fatalf("fresh cursor: had %v, %v", had, err)
	}
	if won, err := s.AdvanceDataCursor(ctx, "wf|k", nil, "10", nil); err != nil || !won {
		t.Fatalf("first baseline: won %v, %v", won, err)
	}
	if won, err := s.AdvanceDataCursor(ctx, "wf|k", nil, "99", nil); err != nil || won {
		t.Fatalf("second baseline must lose: won %v, %v", won, err)
	}
	if cur, had, err := s.DataCursor(ctx, "wf|k"); err != nil || !had || cur != "10" {
		t.Fatalf("cursor = %q %v %v, want 10", cur, had, err)
	}
	claim := func(id string) *core.Execution {
		return &core.Execution{ID: id, WorkflowID: "wf", Status: core.ExecStarted, TriggerType: "data_change", StartedAt: time.Now().UTC()}
	}
	stale := "5"
	if won, err := s.AdvanceDataCursor(ctx, "wf|k", &stale, "20", claim("stale-claim")); err != nil || won {
		t.Fatalf("a move from a stale cursor must lose: won %v, %v", won, err)
	}
	if _, err := s.Execution(ctx, "stale-claim"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("a losing move wrote its claim: %v", err)
	}

	// Racing movers from the same cursor (to different values, as ticks
	// that saw different rows would): exactly one wins.
	old := "10"
	var wg sync.WaitGroup
	var mu sync.Mutex
	var winners []string
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("claim-%d", i)
			won, err := s.AdvanceDataCursor(ctx, "wf|k", &old, fmt.Sprint(20+i), claim(id))
			if err != nil {
				t.Errorf("mover %d: %v", i, err)
			}
			if won {
				mu.Lock()
				winners = append(winners, id)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("winners = %v, want exactly one", winners)
	}
	cur, _, _ := s.DataCursor(ctx, "wf|k")
	if want := fmt.Sprint(20 + int(winners[0][len("claim-")]-'0')); cur != want {
		t.Fatalf("cursor = %s, want the winner's %s", cur, want)
	}
	for i := range 8 {
		id := fmt.Sprintf("claim-%d", i)
		_, err := s.Execution(ctx, id)
		if (id == winners[0]) != (err == nil) {
			t.Fatalf("claim %s: %v (winner %s)", id, err, winners[0])
		}
	}
}
