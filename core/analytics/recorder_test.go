package analytics

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/internal/poll"
)

// gateCache records pipelines; the first one blocks until release is
// closed, so a test can line views up behind a call in flight.
type gateCache struct {
	core.Cache
	mu      sync.Mutex
	calls   [][][]any
	release chan struct{}
	first   sync.Once
	entered chan struct{}
}

func (g *gateCache) Exec(_ context.Context, cmds ...[]any) ([]any, error) {
	blocked := false
	g.first.Do(func() { blocked = true })
	if blocked {
		close(g.entered)
		<-g.release
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, cmds)
	return make([]any, len(cmds)), nil
}

func TestRecorderMergesViewsWaitingBehindACall(t *testing.T) {
	g := &gateCache{release: make(chan struct{}), entered: make(chan struct{})}
	rr := &RedisRecorder{Cache: g, Timeout: time.Minute}
	view := func(page, visitor int) View {
		return View{Tenant: "t", Day: "2026-11-22", Slug: fmt.Sprintf("/p%d", page), Visitor: fmt.Sprintf("v%d", visitor), Device: "mobile"}
	}
	var wg sync.WaitGroup
	wg.Go(func() { rr.Record(context.Background(), view(0, 0)) }) // the leader, blocked in its call
	<-g.entered
	const waiting = 30
	for i := range waiting {
		wg.Go(func() { rr.Record(context.Background(), view(i%3, i)) })
	}
	poll.Until(t, "every waiter joins the next batch", func() bool {
		rr.mu.Lock()
		defer rr.mu.Unlock()
		return rr.pending != nil && len(rr.pending.views) == waiting
	})
	close(g.release)
	wg.Wait()

	if len(g.calls) != 2 {
		t.Fatalf("%d calls, want 2: the leader's and one for the 30 waiting", len(g.calls))
	}
	sums := map[string]int64{}
	pfadds := 0
	for _, cmd := range g.calls[1] {
		switch cmd[0] {
		case "HINCRBY":
			sums[cmd[2].(string)] += cmd[3].(int64)
		case "PFADD":
			pfadds++
			if len(cmd) != 2+waiting/3 {
				t.Errorf("PFADD %v: want the 10 visitors of its page in one command", cmd[1])
			}
		}
	}
	if len(sums) != 6 || pfadds != 3 { // 3 pages x (views, device)
		t.Errorf("merged call: %d counters %v, %d PFADDs", len(sums), sums, pfadds)
	}
	for f, n := range sums {
		if n != waiting/3 {
			t.Errorf("%q counted %d, want %d", f, n, waiting/3)
		}
	}
	if rr.Calls.Load() != 2 || rr.Dropped.Load() != 0 {
		t.Errorf("Calls %d, Dropped %d", rr.Calls.Load(), rr.Dropped.Load())
	}
}

// A view whose wait outlives its timeout returns, and is still sent by
// the next call: counted late, not lost.
func TestRecorderTimeoutLeavesTheViewForTheNextCall(t *testing.T) {
	g := &gateCache{release: make(chan struct{}), entered: make(chan struct{})}
	rr := &RedisRecorder{Cache: g, Timeout: time.Minute}
	done := make(chan struct{})
	go func() { rr.Record(context.Background(), View{Tenant: "t", Day: "d", Slug: "/a"}); close(done) }()
	<-g.entered
	rr.Timeout = time.Millisecond
	rr.Record(context.Background(), View{Tenant: "t", Day: "d", Slug: "/b"}) // gives up waiting
	rr.Timeout = time.Minute
	close(g.release)
	<-done
	rr.Record(context.Background(), View{Tenant: "t", Day: "d", Slug: "/c"})
	var slugs []string
	for _, call := range g.calls {
		for _, cmd := range call {
			slugs = append(slugs, cmd[2].(string))
		}
	}
	if len(g.calls) != 2 || len(slugs) != 3 {
		t.Errorf("calls %v, want /a alone, then /b and /c together", g.calls)
	}
}

// With Async no view waits: a sender goroutine makes the calls, each
// carrying what was buffered meanwhile, and Drain waits for all of it.
func TestAsyncRecorderDoesNotWaitAndDrains(t *testing.T) {
	g := &gateCache{release: make(chan struct{}), entered: make(chan struct{})}
	rr := &RedisRecorder{Cache: g, Timeout: time.Minute, Async: true}
	rr.Record(context.Background(), View{Tenant: "t", Day: "d", Slug: "/a"}) // returns: the sender is blocked
	<-g.entered
	for i := range 5 { // would block for a minute each if they waited
		rr.Record(context.Background(), View{Tenant: "t", Day: "d", Slug: fmt.Sprintf("/b%d", i)})
	}
	drained := make(chan struct{})
	go func() { rr.Drain(context.Background()); close(drained) }()
	close(g.release)
	<-drained
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.calls) != 2 || len(g.calls[0]) != 1 || len(g.calls[1]) != 5 {
		t.Errorf("calls %v, want /a, then the five others in one call", g.calls)
	}
	rr.Drain(context.Background()) // nothing left: returns at once
}

// Drain under a steady stream of views returns once what it found is
// sent, instead of chasing the stream.
func TestDrainDoesNotChaseNewViews(t *testing.T) {
	g := &gateCache{release: make(chan struct{}), entered: make(chan struct{})}
	close(g.release)
	rr := &RedisRecorder{Cache: g, Async: true}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var recorded int64
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				rr.Record(context.Background(), View{Tenant: "t", Day: "d", Slug: "/a"})
				recorded++
			}
		}
	})
	for range 20 {
		rr.Drain(context.Background())
	}
	close(stop)
	wg.Wait()
	rr.Drain(context.Background())
	var views int64
	g.mu.Lock()
	for _, call := range g.calls {
		n, _ := toInt(call[0][3])
		if one, ok := call[0][3].(int); ok {
			n = int64(one)
		}
		views += n
	}
	g.mu.Unlock()
	if views != recorded || rr.Dropped.Load() != 0 {
		t.Errorf("%d views recorded, %d sent, %d dropped", recorded, views, rr.Dropped.Load())
	}
}

func TestCommandsMergeAndDeduplicate(t *testing.T) {
	views := []View{
		{Tenant: "t", Day: "d", Slug: "/a", Visitor: "x", Device: "mobile"},
		{Tenant: "t", Day: "d", Slug: "/a", Visitor: "x", Device: "mobile"},
		{Tenant: "t", Day: "d", Slug: "/a", Visitor: "y", Device: "desktop"},
		{Tenant: "t", Day: "d", Slug: "/b", Visitor: "x"},
		{Tenant: "t", Day: "d", Slug: "/b", Bot: true},
	}
	got := map[string]string{}
	for _, c := range commands(views) {
		got[fmt.Sprint(c[0], " ", c[1:len(c)-1])] = fmt.Sprint(c[len(c)-1])
	}
	want := map[string]string{
		"HINCRBY [fb:an:buf t\td\t/a\tv\t]":        "3",
		"HINCRBY [fb:an:buf t\td\t/a\td\tmobile]":  "2",
		"HINCRBY [fb:an:buf t\td\t/a\td\tdesktop]": "1",
		"HINCRBY [fb:an:buf t\td\t/b\tv\t]":        "1",
		"HINCRBY [fb:an:buf t\td\t/b\tb\t]":        "1",
		"PFADD [fb:an:u:t\td\t/a x]":               "y",
		"PFADD [fb:an:u:t\td\t/b]":                 "x",
		"PEXPIRE [fb:an:u:t\td\t/a]":               fmt.Sprint(uniquesTTL.Milliseconds()),
		"PEXPIRE [fb:an:u:t\td\t/b]":               fmt.Sprint(uniquesTTL.Milliseconds()),
	}
	if len(got) != len(want) {
		t.Errorf("%d commands, want %d: %q", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%q = %q, want %q", k, got[k], v)
		}
	}
}
