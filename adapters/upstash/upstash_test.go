package upstash

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontbase/edge/adapters/testservers"
	"github.com/frontbase/edge/core"
)

func start(t *testing.T) (*testservers.Redis, *testservers.Upstash) {
	r := testservers.StartRedis(t)
	return r, testservers.StartUpstash(t, r)
}

// loaded gives the shim time a loaded machine may need: these tests check
// what the commands do, not how fast (TestTimeout checks the bound).
var loaded = Options{Timeout: 5 * time.Second}

func TestCacheContract(t *testing.T) {
	r, shim := start(t)
	c, err := New(shim.URL, shim.Token, loaded)
	if err != nil {
		t.Fatal(err)
	}
	testservers.CacheContract(t, c)
	r.Stop()
	testservers.CacheUnavailable(t, c)
}

func TestCommandsPipelineAndMultiExec(t *testing.T) {
	_, shim := start(t)
	c, _ := New(shim.URL, shim.Token, loaded)
	ctx := context.Background()
	if v, err := c.Do(ctx, "INCRBY", "n", 5); err != nil || v != float64(5) {
		t.Fatalf("INCRBY = %v %v", v, err)
	}
	res, err := c.Pipeline(ctx, []any{"SET", "p", "x"}, []any{"INCR", "p"}, []any{"GET", "p"})
	if err != nil || res[0].Value != "OK" || res[1].Err == nil || res[2].Value != "x" {
		t.Fatalf("pipeline = %+v %v", res, err)
	}
	if !strings.Contains(res[1].Err.Error(), "INCR") {
		t.Errorf("a command error does not name its command: %v", res[1].Err)
	}
	res, err = c.MultiExec(ctx, []any{"SET", "m", "1"}, []any{"INCR", "m"})
	if err != nil || res[0].Value != "OK" || res[1].Value != float64(2) {
		t.Fatalf("multi-exec = %+v %v", res, err)
	}
	if _, err := c.Do(ctx, "INCR", "p"); err == nil || !strings.Contains(err.Error(), "upstash INCR") {
		t.Fatalf("single command error = %v", err)
	}
}

func TestBadTokenIsReportedAndNotRetried(t *testing.T) {
	_, shim := start(t)
	counter, requests := counting(t, shim.URL, 0)
	c, _ := New(counter, "wrong-token", Options{Retries: 3})
	_, err := c.Get(context.Background(), "k")
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("got %v, want a 401 error", err)
	}
	if requests.Load() != 1 {
		t.Errorf("%d requests for a bad token, want 1 (no retry)", requests.Load())
	}
}

func TestRetriesOnlyIdempotentReads(t *testing.T) {
	_, shim := start(t)
	// The front fails the first request of each command with a 503.
	front, requests := counting(t, shim.URL, 1)
	c, _ := New(front, shim.Token, Options{Retries: 2})
	ctx := context.Background()
	if _, err := c.Get(ctx, "k"); err != nil {
		t.Fatalf("a read was not retried past one 503: %v", err)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("read took %d requests, want 2", n)
	}
	requests.Store(0)
	if err := c.Set(ctx, core.CacheEntry{Key: "k", Value: []byte("v")}); err == nil {
		t.Fatal("a write was retried after a 503 (it must not be: it may have been applied)")
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("write took %d requests, want 1", n)
	}
}

func TestTimeout(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	}))
	defer slow.Close()
	c, _ := New(slow.URL, "t", Options{Timeout: 100 * time.Millisecond, Retries: 1})
	start := time.Now()
	_, err := c.Get(context.Background(), "k")
	if core.ErrorCode(err) != core.EUNAVAILABLE || time.Since(start) > 2*time.Second {
		t.Fatalf("got %v after %v, want unavailable within the timeouts", err, time.Since(start))
	}
}

func TestNewValidates(t *testing.T) {
	for _, tt := range []struct{ url, token string }{{"redis://x", "t"}, {"https://x.upstash.io", ""}, {"nohost", "t"}} {
		if _, err := New(tt.url, tt.token, Options{}); err == nil {
			t.Errorf("New(%q, %q) accepted it", tt.url, tt.token)
		}
	}
}

// counting proxies to target, counting requests and failing the first
// failFirst of every run of requests with a 503.
func counting(t *testing.T, target string, failFirst int64) (string, *atomic.Int64) {
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) <= failFirst {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &requests
}

// TestALostReplyIsNotSentAgain: the server runs a counting pipeline and
// the connection drops before the reply. Neither the client nor net/http
// may send it again (the count would move twice).
func TestALostReplyIsNotSentAgain(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		io.Copy(io.Discard, r.Body)
		panic(http.ErrAbortHandler) // the connection closes without a reply
	}))
	defer srv.Close()
	c, _ := New(srv.URL, "t", Options{Retries: 3})
	if _, err := c.Exec(context.Background(), []any{"HINCRBY", "h", "views", 10}); core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Fatalf("got %v, want unavailable", err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("the pipeline was sent %d times, want 1", n)
	}
}
