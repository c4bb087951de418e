package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontbase/edge/core/workflow"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// workflowFixture reads a demo workflow, with replacements applied.
func workflowFixture(t *testing.T, name string, replace ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(enginetest.DemoDir(), "workflows", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer(replace...).Replace(string(b))
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not JSON: %s", s)
	}
	return m
}

// crm is a loopback stand-in for the CRM the contact-lead fixture calls.
type crm struct {
	*httptest.Server
	hits atomic.Int64
	last atomic.Value // string: auth header + body
}

func startCRM(t *testing.T) *crm {
	c := &crm{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		c.last.Store(r.Method + " " + r.URL.Path + " " + r.Header.Get("Authorization") + " " + string(b))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"lead-1"}`))
	}))
	t.Cleanup(c.Close)
	return c
}

func TestContactLeadFixtureBothBranches(t *testing.T) {
	c := startCRM(t)
	e := enginetest.Start(t, enginetest.Options{Env: map[string]string{"FRONTBASE_HTTP_ALLOW": c.Listener.Addr().String()}})
	doc := workflowFixture(t, "contact-lead", "https://crm.example.com/leads", c.URL+"/leads")
	id := decode(t, doc)["id"].(string)
	if resp, body := e.Manage(t, "POST", "/api/deploy", doc); resp.StatusCode != 200 || decode(t, body)["version"] != 1.0 {
		t.Fatalf("deploy: %d %s", resp.StatusCode, body)
	}

	hook := "/api/webhook/" + id
	// Valid lead: the CRM is called and the http_response node answers.
	resp, body := e.Do(t, "POST", hook, strings.NewReader(`{"email":"ada@example.com"}`), "X-Api-Key", "lead-secret", "Content-Type", "application/json")
	if resp.StatusCode != 201 || body != `{"ok": true, "crmStatus": 200}` || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("valid lead: %d %q %s", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
	if got := c.last.Load().(string); c.hits.Load() != 1 || got != `POST /leads Bearer crm-token {"email":"ada@example.com","source":"website"}` {
		t.Fatalf("CRM saw %d calls, last %q", c.hits.Load(), got)
	}
	okExec := resp.Header.Get("X-Frontbase-Execution")

	// No @: the else branch answers 422 and the CRM is never called.
	resp, body = e.Do(t, "POST", hook, strings.NewReader(`{"email":"nobody"}`), "X-Api-Key", "lead-secret", "Content-Type", "application/json")
	if resp.StatusCode != 422 || !strings.Contains(body, "email is required") || c.hits.Load() != 1 {
		t.Fatalf("invalid lead: %d %s, CRM calls %d", resp.StatusCode, body, c.hits.Load())
	}

	// Authentication and method negatives run nothing.
	for _, tt := range []struct {
		method, key string
		status      int
	}{
		{"POST", "", 401}, {"POST", "lead-secreT", 401}, {"POST", "lead-secret-and-more", 401}, {"GET", "lead-secret", 400},
	} {
		resp, body := e.Do(t, tt.method, hook, strings.NewReader(`{"email":"x@y"}`), "X-Api-Key", tt.key)
		if resp.StatusCode != tt.status {
			t.Errorf("%s key %q: %d %s", tt.method, tt.key, resp.StatusCode, body)
		}
	}
	if c.hits.Load() != 1 {
		t.Errorf("a refused webhook reached the CRM")
	}

	// Two executions were recorded, with per-node status.
	_, body = e.Manage(t, "GET", "/api/executions/workflow/"+id, "")
	var list struct {
		Executions []struct {
			ID             string `json:"id"`
			Status         string `json:"status"`
			NodeExecutions []struct{ NodeID, Status string }
		} `json:"executions"`
	}
	json.Unmarshal([]byte(body), &list)
	if len(list.Executions) != 2 {
		t.Fatalf("executions: %s", body)
	}
	statuses := map[string]string{}
	for _, ne := range list.Executions[0].NodeExecutions { // newest: the invalid lead
		statuses[ne.NodeID] = ne.Status
	}
	if statuses["crm"] != "skipped" || statuses["ok"] != "skipped" || statuses["bad"] != "completed" {
		t.Errorf("invalid lead nodes: %v", statuses)
	}
	resp, body = e.Manage(t, "GET", "/api/executions/"+okExec, "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"status":"completed"`) || !strings.Contains(body, `"nodeId":"crm","type":"http_request","status":"completed"`) {
		t.Errorf("execution %s: %d %s", okExec, resp.StatusCode, body)
	}
	// Both executions completed (a 422 answer is the workflow's own result).
	if _, body := e.Manage(t, "GET", "/api/executions/workflow/"+id+"?limit=1&status=completed", ""); strings.Count(body, `"workflowId"`) != 1 || !strings.Contains(body, list.Executions[0].ID) {
		t.Errorf("limit 1: %s", body)
	}
	if _, body := e.Manage(t, "GET", "/api/executions/workflow/"+id+"?status=error", ""); body != `{"executions":[],"success":true,"total":0}`+"\n" {
		t.Errorf("status=error: %q", body)
	}
	// The trigger's secret header is not kept in the record.
	if _, body := e.Manage(t, "GET", "/api/executions/"+okExec, ""); strings.Contains(body, "lead-secret") {
		t.Errorf("the webhook secret was recorded: %s", body)
	}
}

func TestSSRFIsOnByDefault(t *testing.T) {
	c := startCRM(t)
	e := enginetest.Start(t, enginetest.Options{}) // no FRONTBASE_HTTP_ALLOW
	doc := workflowFixture(t, "contact-lead", "https://crm.example.com/leads", c.URL+"/leads")
	e.Manage(t, "POST", "/api/deploy", doc)
	resp, body := e.Do(t, "POST", "/api/webhook/"+decode(t, doc)["id"].(string), strings.NewReader(`{"email":"a@b"}`), "X-Api-Key", "lead-secret")
	if resp.StatusCode != 500 || c.hits.Load() != 0 {
		t.Fatalf("%d %s, CRM calls %d", resp.StatusCode, body, c.hits.Load())
	}
	_, rec := e.Manage(t, "GET", "/api/executions/"+decode(t, body)["executionId"].(string), "")
	if !strings.Contains(rec, "loopback addresses are blocked") {
		t.Errorf("record: %s", rec)
	}
}

const signedHook = `{"id":"hook-basic","name":"Basic hook","triggerType":"http_webhook","settings":{"webhookSecret":"whsec"},
 "nodes":[{"id":"w","type":"webhook_trigger","data":{"type":"webhook_trigger","inputs":[
   {"name":"httpMethod","value":"PUT"},{"name":"authentication","value":"basic"},{"name":"username","value":"u"},{"name":"password","value":"p"}]}},
  {"id":"l","type":"log","data":{"type":"log","inputs":[{"name":"message","value":"got {{ $input.body.n }} q={{ $input.query.q }}"}]}}],
 "edges":[{"source":"w","target":"l"}]}`

func TestWebhookBasicAuthAndSignature(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	if resp, body := e.Manage(t, "POST", "/api/deploy", signedHook); resp.StatusCode != 200 {
		t.Fatalf("deploy %s", body)
	}
	body := `{"n":5}`
	now := time.Now()
	send := func(user, pass, sig string) (*http.Response, string) {
		req, _ := http.NewRequest("PUT", e.URL+"/api/webhook/hook-basic?q=z", strings.NewReader(body))
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		if sig != "" {
			req.Header.Set("X-Frontbase-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	good := workflow.Sign("whsec", now, []byte(body))
	tests := []struct {
		name, user, pass, sig string
		status                int
		contains              string
	}{
		{"no credentials", "", "", good, 401, "basic"},
		{"wrong password", "u", "x", good, 401, "basic"},
		{"wrong user", "x", "p", good, 401, "basic"},
		{"no signature", "u", "p", "", 401, "missing X-Frontbase-Signature"},
		{"bad signature", "u", "p", workflow.Sign("other", now, []byte(body)), 401, "does not match"},
		{"signature over another body", "u", "p", workflow.Sign("whsec", now, []byte(`{"n":6}`)), 401, "does not match"},
		{"old signature", "u", "p", workflow.Sign("whsec", now.Add(-6*time.Minute), []byte(body)), 401, "more than 5m0s"},
		{"future signature", "u", "p", workflow.Sign("whsec", now.Add(6*time.Minute), []byte(body)), 401, "more than 5m0s"},
		{"good", "u", "p", good, 202, `"executionId"`},
		{"replayed", "u", "p", good, 401, "replay refused"},
	}
	for _, tt := range tests {
		resp, got := send(tt.user, tt.pass, tt.sig)
		if resp.StatusCode != tt.status || !strings.Contains(got, tt.contains) {
			t.Errorf("%s: %d %s", tt.name, resp.StatusCode, got)
		}
		if tt.status == 202 {
			_, rec := e.Manage(t, "GET", "/api/executions/"+decode(t, got)["executionId"].(string), "")
			if !strings.Contains(rec, `"message":"got 5 q=z"`) {
				t.Errorf("record: %s", rec)
			}
		}
	}
}

const manualFlow = `{"id":"calc","name":"Calc","triggerType":"manual","nodes":[
 {"id":"t","type":"trigger","data":{"type":"trigger","label":"Start"}},
 {"id":"v","type":"set_variable","data":{"type":"set_variable","inputs":[{"name":"key","value":"total"},{"name":"value","value":"{{ $input.a + $input.b }}"}]}}],
 "edges":[{"source":"t","target":"v"}]}`

func TestWorkflowManagementRoutes(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	// Closed without the key.
	if resp, _ := e.Do(t, "POST", "/api/deploy", strings.NewReader(manualFlow)); resp.StatusCode != 401 {
		t.Errorf("deploy without key: %d", resp.StatusCode)
	}
	// Invalid: 400 with paths; validate says the same without storing.
	bad := strings.Replace(manualFlow, `"type":"set_variable","data":{"type":"set_variable"`, `"type":"warp","data":{"type":"warp"`, 1)
	resp, body := e.Manage(t, "POST", "/api/deploy", bad)
	if resp.StatusCode != 400 || !strings.Contains(body, `"path":"nodes[1].type"`) {
		t.Errorf("invalid deploy: %d %s", resp.StatusCode, body)
	}
	_, body = e.Manage(t, "POST", "/api/workflows/validate", bad)
	if v := decode(t, body); v["isValid"] != false || !strings.Contains(body, `unknown node type \"warp\"`) {
		t.Errorf("validate: %s", body)
	}
	_, body = e.Manage(t, "POST", "/api/workflows/validate", manualFlow)
	if decode(t, body)["isValid"] != true {
		t.Errorf("validate good: %s", body)
	}

	// Deploy twice: version 2, then execute.
	e.Manage(t, "POST", "/api/deploy", manualFlow)
	v2 := strings.Replace(manualFlow, "$input.a + $input.b", "$input.a * $input.b", 1)
	if _, body := e.Manage(t, "POST", "/api/deploy", v2); decode(t, body)["version"] != 2.0 {
		t.Fatalf("redeploy: %s", body)
	}
	exec := func() map[string]any {
		resp, body := e.Manage(t, "POST", "/api/execute/calc", `{"parameters":{"a":3,"b":4}}`)
		if resp.StatusCode != 200 {
			t.Fatalf("execute: %d %s", resp.StatusCode, body)
		}
		return decode(t, body)
	}
	if got := exec(); got["status"] != "completed" || mustJSONs(got["variableMutations"]) != `[{"key":"total","scope":"local","value":12}]` {
		t.Errorf("execute v2: %v", got)
	}
	// Roll back to the previous version (as version 3).
	if _, body := e.Manage(t, "POST", "/api/workflows/calc/rollback", ""); decode(t, body)["version"] != 3.0 || decode(t, body)["restoredFrom"] != 1.0 {
		t.Fatalf("rollback: %s", body)
	}
	if got := exec(); mustJSONs(got["variableMutations"]) != `[{"key":"total","scope":"local","value":7}]` {
		t.Errorf("execute after rollback: %v", got)
	}
	// Toggle off: execution is refused; on again.
	if _, body := e.Manage(t, "PATCH", "/api/workflows/calc/toggle", ""); decode(t, body)["isActive"] != false {
		t.Fatalf("toggle: %s", body)
	}
	if resp, _ := e.Manage(t, "POST", "/api/execute/calc", `{}`); resp.StatusCode != 409 {
		t.Errorf("inactive execute: %d", resp.StatusCode)
	}
	_, body = e.Manage(t, "GET", "/api/workflows", "")
	if !strings.Contains(body, `"id":"calc"`) || !strings.Contains(body, `"isActive":false`) || !strings.Contains(body, `"version":3`) {
		t.Errorf("list: %s", body)
	}
	e.Manage(t, "PATCH", "/api/workflows/calc/toggle", `{"isActive":true}`)
	if got := exec(); got["status"] != "completed" {
		t.Errorf("after re-enable: %v", got)
	}
	if resp, body := e.Manage(t, "GET", "/api/workflows/calc", ""); resp.StatusCode != 200 || !strings.Contains(body, `"name":"Calc"`) {
		t.Errorf("get: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.Manage(t, "DELETE", "/api/workflows/calc", ""); resp.StatusCode != 200 {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if resp, _ := e.Manage(t, "GET", "/api/workflows/calc", ""); resp.StatusCode != 404 {
		t.Errorf("get after delete: %d", resp.StatusCode)
	}
	if resp, body := e.Manage(t, "GET", "/api/executions/workflow/calc", ""); resp.StatusCode != 200 || strings.Count(body, `"workflowId":"calc"`) != 3 {
		t.Errorf("executions outlive the workflow: %s", body)
	}
}

func mustJSONs(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPublicExecuteRunsOnlyUIEventWorkflows(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	news := workflowFixture(t, "newsletter")
	newsID := decode(t, news)["id"].(string)
	e.Manage(t, "POST", "/api/deploy", news)
	e.Manage(t, "POST", "/api/deploy", manualFlow)

	// The page runtime's shape: {trigger, componentId, page, data, url}.
	resp, body := e.Do(t, "POST", "/api/public/execute/"+newsID,
		strings.NewReader(`{"trigger":"onSubmit","componentId":"signup","page":"/contact","data":{"email":"ada@example.com"},"url":{}}`), "Content-Type", "application/json")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	got := decode(t, body)
	if got["success"] != true || mustJSONs(got["effects"]) != `[{"name":"subscribed","scope":"local","type":"setVariable","value":"yes"},{"message":"Welcome aboard","title":"Subscribed","type":"toast","variant":"success"}]` {
		t.Errorf("effects: %s", body)
	}
	_, rec := e.Manage(t, "GET", "/api/executions/"+got["executionId"].(string), "")
	if !strings.Contains(rec, `"subscribed":"true"`) || !strings.Contains(rec, `"value":{"email":"ada@example.com"}`) || !strings.Contains(rec, `"triggerType":"ui_event"`) {
		t.Errorf("record: %s", rec)
	}
	// The documented {"parameters"} shape works too.
	if _, body := e.Do(t, "POST", "/api/public/execute/"+newsID, strings.NewReader(`{"parameters":{"eventType":"submit","value":{"email":"b@c"}}}`)); decode(t, body)["success"] != true {
		t.Errorf("parameters shape: %s", body)
	}
	// Not a UI-event workflow, or none at all: 404 without the key.
	for _, id := range []string{"calc", "nope"} {
		if resp, _ := e.Do(t, "POST", "/api/public/execute/"+id, strings.NewReader(`{}`)); resp.StatusCode != 404 {
			t.Errorf("%s: %d", id, resp.StatusCode)
		}
	}
	// Rate limited per client: 60 a minute, refused requests included (4 used above).
	codes := map[int]int{}
	for range 60 {
		resp, _ := e.Do(t, "POST", "/api/public/execute/"+newsID, strings.NewReader(`{}`))
		codes[resp.StatusCode]++
	}
	if codes[200] != 56 || codes[429] != 4 {
		t.Errorf("status counts %v", codes)
	}
}

func TestExecutionsSurviveRedisFlushAll(t *testing.T) {
	for _, mode := range cloudModes {
		t.Run(mode, func(t *testing.T) {
			e := enginetest.Start(t, enginetest.Options{Mode: mode})
			if resp, body := e.Manage(t, "POST", "/api/deploy", manualFlow); resp.StatusCode != 200 {
				t.Fatalf("deploy: %s", body)
			}
			var ids []string
			for i := range 3 {
				_, body := e.Manage(t, "POST", "/api/execute/calc", fmt.Sprintf(`{"parameters":{"a":%d,"b":1}}`, i))
				ids = append(ids, decode(t, body)["executionId"].(string))
			}
			e.Servers.Redis.FlushAll(t)
			for i, id := range ids {
				resp, body := e.Manage(t, "GET", "/api/executions/"+id, "")
				if resp.StatusCode != 200 || !strings.Contains(body, fmt.Sprintf(`"value":%d`, i+1)) {
					t.Errorf("execution %d after FLUSHALL: %d %s", i, resp.StatusCode, body)
				}
			}
			if _, body := e.Manage(t, "GET", "/api/workflows/calc", ""); !strings.Contains(body, `"id":"calc"`) {
				t.Errorf("workflow after FLUSHALL: %s", body)
			}
		})
	}
}

// guarded is a manual workflow with guards in its settings; it calls url
// when one is given.
func guarded(id, settings, url string) string {
	nodes := `{"id":"t","type":"trigger","data":{"type":"trigger"}}`
	edges := `[]`
	if url != "" {
		nodes += `,{"id":"h","type":"http_request","data":{"type":"http_request","inputs":[{"name":"url","value":"` + url + `"}]}}`
		edges = `[{"source":"t","target":"h"}]`
	}
	return `{"id":"` + id + `","triggerType":"manual","settings":` + settings + `,"nodes":[` + nodes + `],"edges":` + edges + `}`
}

// parallel runs n executions at once and counts the statuses.
func parallel(t *testing.T, e *enginetest.Engine, id string, n int) map[int]int {
	codes := startParallel(t, e, id, n)
	got := map[int]int{}
	for range n {
		got[<-codes]++
	}
	return got
}

// startParallel starts n executions at once; each one's status arrives
// on the channel as it finishes (0 when the request failed).
func startParallel(t *testing.T, e *enginetest.Engine, id string, n int) <-chan int {
	codes := make(chan int, n)
	for range n {
		go func() {
			req, _ := http.NewRequest("POST", e.URL+"/api/execute/"+id, strings.NewReader(`{}`))
			req.Header.Set("X-System-Key", e.Key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				codes <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	return codes
}

// awayFromMinuteEnd waits for the next minute when the current one is
// about to end: a per-minute limit counts per calendar minute, so a burst
// straddling two minutes would rightly get two budgets.
func awayFromMinuteEnd() {
	if s := time.Now().Second(); s >= 40 {
		time.Sleep(time.Duration(61-s) * time.Second)
	}
}

func TestGuardsUnderParallelLoad(t *testing.T) {
	for _, mode := range enginetest.Modes {
		t.Run(mode, func(t *testing.T) {
			e := enginetest.Start(t, enginetest.Options{Mode: mode})
			e.Manage(t, "POST", "/api/deploy", guarded("limited", `{"rateLimitPerMinute":10}`, ""))
			awayFromMinuteEnd()
			if got := parallel(t, e, "limited", 100); got[200] != 10 || got[429] != 90 {
				t.Errorf("rate limit 10 under 100 parallel runs: %v", got)
			}
			_, body := e.Manage(t, "GET", "/api/executions/workflow/limited?limit=500", "")
			if n := strings.Count(body, `"workflowId":"limited"`); n != 10 {
				t.Errorf("%d executions recorded, want 10", n)
			}

			// Concurrency: the target holds every request until released.
			release := make(chan struct{})
			var inFlight atomic.Int64
			slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inFlight.Add(1)
				<-release
			}))
			defer slow.Close()
			e2 := enginetest.Start(t, enginetest.Options{Mode: mode, Servers: e.Servers, Env: map[string]string{"FRONTBASE_HTTP_ALLOW": slow.Listener.Addr().String()}})
			e2.Manage(t, "POST", "/api/deploy", guarded("narrow", `{"concurrencyLimit":3}`, slow.URL))
			codes := startParallel(t, e2, "narrow", 20)
			// Release the three held runs only once the other 17 were
			// refused, so that none of them could take a freed slot.
			got := map[int]int{}
			deadline := time.Now().Add(60 * time.Second)
			for got[429] < 17 && got[0] == 0 && inFlight.Load() <= 3 && time.Now().Before(deadline) {
				select {
				case c := <-codes:
					got[c]++
				case <-time.After(50 * time.Millisecond):
				}
			}
			close(release)
			for range 20 - (got[200] + got[429] + got[0]) {
				got[<-codes]++
			}
			if got[200] != 3 || got[429] != 17 || inFlight.Load() != 3 {
				t.Errorf("concurrency 3 under 20 parallel runs: %v, %d reached the target", got, inFlight.Load())
			}
			// Slots are released: the next run goes through.
			if got := parallel(t, e2, "narrow", 1); got[200] != 1 {
				t.Errorf("after release: %v", got)
			}

			e.Manage(t, "POST", "/api/deploy", guarded("cool", `{"cooldownMs":60000}`, ""))
			if got := parallel(t, e, "cool", 20); got[200] != 1 || got[429] != 19 {
				t.Errorf("cooldown under 20 parallel runs: %v", got)
			}
		})
	}
}
