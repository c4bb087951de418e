package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// FRONTBASE_WORKFLOW_PARALLEL reaches the runner: three independent
// http_request branches meet at a server that holds each request until
// `want` are in flight together (a full group is held a little longer, so
// one more would show), and counts the most it saw.
func TestWorkflowParallelSetting(t *testing.T) {
	for _, want := range []int{1, 3} {
		t.Run(fmt.Sprint("parallel=", want), func(t *testing.T) {
			var mu sync.Mutex
			cur, most, got := 0, 0, 0
			gate := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				cur++
				got++
				most = max(most, cur)
				g := gate
				if cur == want {
					gate = make(chan struct{})
					time.AfterFunc(20*time.Millisecond, func() { close(g) })
				}
				mu.Unlock()
				select {
				case <-g:
				case <-time.After(10 * time.Second): // a failing engine never hangs the suite
				}
				mu.Lock()
				cur--
				mu.Unlock()
				w.Write([]byte(`{}`))
			}))
			defer srv.Close()
			e := enginetest.Start(t, enginetest.Options{Env: map[string]string{
				"FRONTBASE_HTTP_ALLOW": srv.Listener.Addr().String(), "FRONTBASE_WORKFLOW_PARALLEL": fmt.Sprint(want)}})
			var nodes, edges []string
			for i := range 3 {
				nodes = append(nodes, fmt.Sprintf(`{"id":"h%d","type":"http_request","data":{"type":"http_request","inputs":[{"name":"url","value":"%s/%d"}]}}`, i, srv.URL, i))
				edges = append(edges, fmt.Sprintf(`{"source":"t","target":"h%d"}`, i))
			}
			flow := `{"id":"fan","name":"Fan out","triggerType":"manual","nodes":[{"id":"t","type":"trigger"},` + strings.Join(nodes, ",") + `],"edges":[` + strings.Join(edges, ",") + `]}`
			if resp, body := e.Manage(t, "POST", "/api/deploy", flow); resp.StatusCode != 200 {
				t.Fatalf("deploy %s", body)
			}
			if resp, body := e.Manage(t, "POST", "/api/execute/fan", `{}`); resp.StatusCode != 200 || !strings.Contains(body, `"completed"`) {
				t.Fatalf("execute %d %s", resp.StatusCode, body)
			}
			mu.Lock()
			defer mu.Unlock()
			if most != want || got != 3 {
				t.Errorf("%d requests, at most %d at once; want 3, %d", got, most, want)
			}
		})
	}
}
