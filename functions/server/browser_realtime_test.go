package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// The builder's ExecutionStream, in Chromium: an EventSource from another
// origin (the builder's) on /api/realtime/sse/{id}, listening for the
// events it names. It needs the CORS header and the event names and data
// as the component parses them.
func TestBrowserExecutionStream(t *testing.T) {
	ctx := browser(t)
	e := enginetest.Start(t, enginetest.Options{})
	wf := `{"id": "wf-live", "name": "Live", "description": null, "triggerType": "manual", "triggerConfig": {}, ` +
		`"nodes": [{"id": "t", "type": "trigger", "position": {"x": 0, "y": 0}, "data": {"label": "Start", "type": "trigger", "inputs": []}}, ` +
		`{"id": "say", "type": "log", "position": {"x": 200, "y": 0}, "data": {"label": "Say", "type": "log", "inputs": [{"name": "message", "type": "string", "value": "hi"}]}}], ` +
		`"edges": [{"id": "e1", "source": "t", "target": "say"}], "settings": null, "isActive": true, "publishedBy": null, "tenantSlug": "_default"}`
	if resp, body := e.Manage(t, "POST", "/api/deploy", wf); resp.StatusCode != 200 {
		t.Fatalf("deploy: %s", body)
	}
	resp, body := e.Manage(t, "POST", "/api/execute/wf-live", `{"parameters": {}}`)
	var run struct {
		ExecutionID string `json:"executionId"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &run) != nil || run.ExecutionID == "" {
		t.Fatalf("execute: %d %s", resp.StatusCode, body)
	}
	url, _ := json.Marshal(e.URL + "/api/realtime/sse/" + run.ExecutionID)
	builder := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><script>
window.__events = [];
const es = new EventSource(%s);
for (const t of ['snapshot', 'started', 'executing', 'node_completed', 'node_error', 'completed', 'error', 'waiting', 'close']) {
  es.addEventListener(t, (e) => {
    const ev = {type: t, ...JSON.parse(e.data)};
    window.__events.push(ev.type + (ev.data && ev.data.nodeId ? ':' + ev.data.nodeId : ''));
    if (t === 'close') { es.close(); window.__done = true; }
  });
}
es.onerror = () => { window.__errors = (window.__errors || 0) + 1; };
</script>`, url)
	}))
	defer builder.Close()
	var got string
	err := chromedp.Run(ctx,
		chromedp.Navigate(builder.URL),
		chromedp.Poll(`window.__done === true`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate(`window.__events.join(' ')`, &got),
	)
	if err != nil {
		t.Fatal(err)
	}
	if want := "snapshot started executing:t node_completed:t executing:say node_completed:say completed close"; got != want {
		t.Fatalf("events %q, want %q", got, want)
	}
}
