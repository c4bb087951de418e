package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontbase/edge/adapters/testservers"
	"github.com/frontbase/edge/adapters/turso"
	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/tick"
	"github.com/frontbase/edge/core/workflow"
)

func TestSchedulerInterval(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"", scheduleInterval, false},
		{"on", scheduleInterval, false},
		{"off", 0, false},
		{"FALSE", 0, false},
		{"0", 0, false},
		{"5s", 5 * time.Second, false},
		{"1m", time.Minute, false},
		{"100ms", 0, true},
		{"sometimes", 0, true},
	}
	for _, tt := range tests {
		got, err := schedulerInterval(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%q: %s, %v", tt.in, got, err)
		}
	}
}

const everyMinute = `{"id":"every-minute","name":"Every minute","triggerType":"scheduled","nodes":[
 {"id":"s","type":"schedule_trigger","data":{"type":"schedule_trigger","inputs":[{"name":"mode","value":"interval"},{"name":"intervalSeconds","value":60}]}},
 {"id":"l","type":"log","data":{"type":"log","inputs":[{"name":"message","value":"slot {{ $input.scheduledTime }}"}]}}],
 "edges":[{"source":"s","target":"l"}]}`

// Two server replicas, each with its own connection to one tursodb, run
// their scheduler loops side by side many times over the same due slot:
// the slot runs exactly once.
func TestTwoReplicasRunASlotOnce(t *testing.T) {
	srv := testservers.StartTurso(t)
	open := func() core.Store {
		s, err := turso.Open(srv.URL, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	first := open()
	if _, err := first.(*turso.Store).Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The clock stands past the next minute, so a slot after the deploy is
	// due, and still, so every tick sees that same slot.
	at := time.Now().Add(2 * time.Minute)
	later := func() time.Time { return at }
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	replicas := []*workflow.Service{
		workflow.New(first, workflow.Options{Now: later, Logger: logger}),
		workflow.New(open(), workflow.Options{Now: later, Logger: logger}),
	}
	if _, err := replicas[0].Deploy(context.Background(), []byte(everyMinute)); err != nil {
		t.Fatal(err)
	}

	const ticksEach = 8
	var mu sync.Mutex
	ran, ticks := 0, make([]int, len(replicas))
	var errs []string
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i, svc := range replicas {
		tk := &tick.Ticker{Store: open().(tick.Generationer), Workflows: svc}
		wg.Add(1)
		go func() {
			defer wg.Done()
			background(ctx, nil, flushInterval, tk, time.Millisecond, logger, func(r tick.Report) {
				mu.Lock()
				defer mu.Unlock()
				ran += r.WorkflowsRun
				if r.WorkflowError != "" && ctx.Err() == nil { // not the tick cut short by the stop
					errs = append(errs, r.WorkflowError)
				}
				if ticks[i]++; ticks[0] >= ticksEach && ticks[1] >= ticksEach {
					cancel()
				}
			})
		}()
	}
	wg.Wait()
	if ran != 1 || len(errs) > 0 {
		t.Errorf("the slot ran %d times over %v ticks (errors %v), want once", ran, ticks, errs)
	}
	list, err := first.ListExecutions(context.Background(), core.ExecutionQuery{WorkflowID: "every-minute", Limit: 10})
	if err != nil || len(list) != 1 || list[0].Status != core.ExecCompleted || len(list[0].Logs) != 1 {
		t.Fatalf("executions %+v, %v", list, err)
	}
}

// Without a ticker the loop only flushes, and stops when asked.
func TestBackgroundWithoutScheduler(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		background(ctx, nil, flushInterval, nil, 0, slog.New(slog.NewTextHandler(io.Discard, nil)), func(tick.Report) {
			t.Error("ticked without a scheduler")
		})
		close(done)
	}()
	cancel()
	<-done
}

func TestRunRejectsBadSchedulerRetentionAndParallel(t *testing.T) {
	tests := []struct {
		name, key, value string
	}{
		{"scheduler", "FRONTBASE_SCHEDULER", "sometimes"},
		{"retention", "FRONTBASE_EXECUTION_RETENTION", "forever"},
		{"retention under an hour", "FRONTBASE_EXECUTION_RETENTION", "10m"},
		{"parallel of zero", "FRONTBASE_WORKFLOW_PARALLEL", "0"},
		{"parallel not a number", "FRONTBASE_WORKFLOW_PARALLEL", "many"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{tt.key: tt.value, "FRONTBASE_LOCAL_DB_PATH": filepath.Join(t.TempDir(), "pages.db")}
			err := run(context.Background(), func(k string) string { return env[k] }, nil)
			if err == nil || !strings.HasPrefix(err.Error(), tt.key+":") || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v, want one line naming %s", err, tt.key)
			}
		})
	}
}
