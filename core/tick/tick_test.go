package tick

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

type fakeStore struct {
	gen int64
	err error
}

func (f fakeStore) Generation(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return f.gen, f.err
}

func TestTick(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		store    Generationer
		ctx      context.Context
		wantGen  int64
		wantOK   bool
		wantCode string
	}{
		{"store answers", fakeStore{gen: 42}, context.Background(), 42, true, ""},
		{"store down", fakeStore{err: errors.New("dial tcp: refused")}, context.Background(), 0, false, core.EUNAVAILABLE},
		{"store says unavailable", fakeStore{err: core.Errorf(core.EUNAVAILABLE, "down")}, context.Background(), 0, false, core.EUNAVAILABLE},
		{"budget gone", fakeStore{gen: 1}, cancelled, 0, false, core.EUNAVAILABLE},
		{"no store", nil, context.Background(), 0, false, core.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := (&Ticker{Store: tt.store}).Tick(tt.ctx)
			if core.ErrorCode(err) != tt.wantCode {
				t.Fatalf("error %v, want code %q", err, tt.wantCode)
			}
			if r.Generation != tt.wantGen || r.StoreOK != tt.wantOK {
				t.Errorf("report %+v, want generation %d ok %v", r, tt.wantGen, tt.wantOK)
			}
		})
	}
}

func TestBudget(t *testing.T) {
	parent, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx, c2 := Budget(parent, 2*time.Second, time.Minute)
	defer c2()
	pd, _ := parent.Deadline()
	d, ok := ctx.Deadline()
	if !ok || pd.Sub(d) != 2*time.Second {
		t.Errorf("deadline %v, want 2s before %v", d, pd)
	}
	ctx, c3 := Budget(context.Background(), 2*time.Second, time.Minute)
	defer c3()
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > time.Minute || time.Until(d) < 59*time.Second {
		t.Errorf("fallback deadline %v", d)
	}
	r, _ := (&Ticker{Store: fakeStore{gen: 1}}).Tick(ctx)
	if r.BudgetMs < 59000 || r.BudgetMs > 60000 {
		t.Errorf("budgetMs %d, want about 60000", r.BudgetMs)
	}
}
