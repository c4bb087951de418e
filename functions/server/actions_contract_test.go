package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// The control plane's Actions router (fastapi-backend/app/routers/actions.py
// in the Frontbase repository) talks to an engine as these tests do: the
// bodies below are what its code builds, written out as Python's json
// module sends them (", " and ": " separators; settings is
// json.dumps(draft.settings), a string, or None).

const cpWorkflowID = "6f1c2b9e-3d4a-4f5b-8c7d-9e0a1b2c3d4e"

// cpNodes is a draft's nodes as the builder saves them: a trigger and two
// log nodes in a chain (t -> first -> second).
const cpNodes = `[{"id": "t", "type": "trigger", "position": {"x": 0, "y": 0}, "data": {"label": "Start", "type": "trigger", "inputs": []}}, ` +
	`{"id": "first", "type": "log", "position": {"x": 200, "y": 0}, "data": {"label": "First", "type": "log", "inputs": [{"name": "message", "type": "string", "value": "first {{ $input.who }}"}]}}, ` +
	`{"id": "second", "type": "log", "position": {"x": 400, "y": 0}, "data": {"label": "Second", "type": "log", "inputs": [{"name": "message", "type": "string", "value": "second"}]}}]`

const cpEdges = `[{"id": "e1", "source": "t", "target": "first"}, {"id": "e2", "source": "first", "target": "second"}]`

// publishPayload is _build_deploy_payload(draft, tenant_slug=...) with
// settings as the control plane sends them: a json.dumps string, or null.
func publishPayload(id, settings string) string {
	return `{"id": "` + id + `", "name": "Contact lead", "description": null, "triggerType": "manual", "triggerConfig": {}, ` +
		`"nodes": ` + cpNodes + `, "edges": ` + cpEdges + `, "settings": ` + settings + `, "isActive": true, ` +
		`"publishedBy": "user-42", "tenantSlug": "_default"}`
}

// testDeployPayload is the deploy test_draft and test_node send before a
// test run: no settings, no isActive.
func testDeployPayload(id string) string {
	return `{"id": "` + id + `", "name": "[TEST] Contact lead", "description": null, "triggerType": "manual", "triggerConfig": {}, ` +
		`"nodes": ` + cpNodes + `, "edges": ` + cpEdges + `}`
}

// builderSettings is json.dumps of the settings panel's values (its
// DEFAULTS with overrides), as the draft stores them.
func builderSettings(overrides ...string) string {
	vals := map[string]string{"rate_limit_enabled": "true", "rate_limit_max": "60", "debounce_ms": "0", "cooldown_ms": "0",
		"execution_timeout_ms": "30000", "concurrency_limit": "0", "execution_priority": `\"normal\"`, "timezone": `\"UTC\"`,
		"queue_enabled": "false", "retry_count": "3", "retry_backoff": `\"exponential\"`, "dlq_enabled": "false", "log_level": `\"all\"`}
	for i := 0; i+1 < len(overrides); i += 2 {
		vals[overrides[i]] = overrides[i+1]
	}
	var parts []string
	for _, k := range []string{"rate_limit_enabled", "rate_limit_max", "debounce_ms", "cooldown_ms", "execution_timeout_ms", "concurrency_limit",
		"execution_priority", "timezone", "queue_enabled", "retry_count", "retry_backoff", "dlq_enabled", "log_level"} {
		parts = append(parts, `\"`+k+`\": `+vals[k])
	}
	return `"{` + strings.Join(parts, ", ") + `}"`
}

func mapAt(t *testing.T, v any, path string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is not an object: %v", path, v)
	}
	return m
}

func listAt(t *testing.T, v any, path string) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%s is not a list: %v", path, v)
	}
	return l
}

func query(params map[string]string) string {
	v := url.Values{}
	for k, s := range params {
		v.Set(k, s)
	}
	return "?" + v.Encode()
}

func TestControlPlaneActionsContract(t *testing.T) {
	for _, mode := range enginetest.Modes {
		t.Run(mode, func(t *testing.T) {
			// A target that holds a request until the engine gives up on it.
			hold := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
			defer hold.Close()
			e := enginetest.Start(t, enginetest.Options{Mode: mode, Env: map[string]string{"FRONTBASE_HTTP_ALLOW": hold.Listener.Addr().String()}})
			testDeploys(t, e)
			testGuards(t, e, hold.URL)
			testExecutionLog(t, e)
			testNodeRun(t, e)
			testWorkflowVersions(t, e)
		})
	}
}

func testDeploys(t *testing.T, e *enginetest.Engine) {
	for i, c := range []struct {
		name, body string
		status     int
		check      func(t *testing.T, body map[string]any)
	}{
		{"publish with settings as a json.dumps string", publishPayload(cpWorkflowID, builderSettings("rate_limit_max", "100")), 200, func(t *testing.T, b map[string]any) {
			if b["success"] != true || b["workflowId"] != cpWorkflowID || b["version"] != 1.0 {
				t.Errorf("answer: %v", b)
			}
		}},
		{"publish with settings null", publishPayload(cpWorkflowID, "null"), 200, func(t *testing.T, b map[string]any) {
			if b["version"] != 2.0 {
				t.Errorf("answer: %v", b)
			}
		}},
		{"deploy before a test run", testDeployPayload(cpWorkflowID), 200, func(t *testing.T, b map[string]any) {
			if b["version"] != 3.0 {
				t.Errorf("answer: %v", b)
			}
		}},
		{"an invalid setting is named by its path", publishPayload("bad-settings", builderSettings("rate_limit_max", "-5", "log_level", `\"loud\"`)), 400, func(t *testing.T, b map[string]any) {
			details := listAt(t, b["details"], "details")
			if b["success"] != false || len(details) != 2 || mapAt(t, details[0], "details[0]")["path"] != "settings.rate_limit_max" ||
				mapAt(t, details[1], "details[1]")["path"] != "settings.log_level" {
				t.Errorf("answer: %v", b)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := e.Manage(t, "POST", "/api/deploy", c.body)
			if resp.StatusCode != c.status {
				t.Fatalf("deploy %d: %d %s", i, resp.StatusCode, body)
			}
			c.check(t, decode(t, body))
		})
	}
}

func testGuards(t *testing.T, e *enginetest.Engine, holdURL string) {
	timeoutNodes := `[{"id": "t", "type": "trigger", "data": {"type": "trigger", "inputs": []}}, ` +
		`{"id": "h", "type": "http_request", "data": {"type": "http_request", "inputs": [{"name": "url", "type": "string", "value": "` + holdURL + `"}]}}]`
	timeoutPayload := strings.Replace(strings.Replace(publishPayload("slow", builderSettings("execution_timeout_ms", "300", "rate_limit_enabled", "false")),
		cpNodes, timeoutNodes, 1), cpEdges, `[{"source": "t", "target": "h"}]`, 1)
	type run struct {
		status    int
		errorName string // the peer's "error" field on a 429
		remaining string // X-RateLimit-Remaining
	}
	awayFromMinuteEnd()
	for _, c := range []struct {
		name, id, deploy string
		runs             []run
	}{
		{"rate_limit_max", "rl", publishPayload("rl", builderSettings("rate_limit_max", "2")),
			[]run{{200, "", "1"}, {200, "", "0"}, {429, "RateLimited", "0"}}},
		{"the builder's default of 60 a minute", "rl-default", testDeployPayload("rl-default"),
			append(make([]run, 59), run{200, "", "0"}, run{429, "RateLimited", "0"})},
		{"rate_limit_enabled false", "rl-off", publishPayload("rl-off", builderSettings("rate_limit_enabled", "false", "rate_limit_max", "1")),
			[]run{{200, "", ""}, {200, "", ""}}},
		{"cooldown_ms", "cool", publishPayload("cool", builderSettings("cooldown_ms", "60000")),
			[]run{{200, "", "59"}, {429, "CoolDown", ""}}},
		{"debounce_ms", "bounce", publishPayload("bounce", builderSettings("debounce_ms", "60000")),
			[]run{{200, "", "59"}, {429, "Debounced", ""}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if resp, body := e.Manage(t, "POST", "/api/deploy", c.deploy); resp.StatusCode != 200 {
				t.Fatalf("deploy: %s", body)
			}
			for i, want := range c.runs {
				// test_draft's execute call: json={"parameters": request.parameters or {}}
				resp, body := e.Manage(t, "POST", "/api/execute/"+c.id, `{"parameters": {}}`)
				if want.status == 0 {
					want.status = 200
				}
				if resp.StatusCode != want.status {
					t.Fatalf("run %d: %d %s", i+1, resp.StatusCode, body)
				}
				b := decode(t, body)
				if want.status == 429 && (b["error"] != want.errorName || b["message"] == "" || b["message"] == nil) {
					t.Errorf("run %d: %v", i+1, b)
				}
				if want.status == 200 && (b["status"] != "completed" || b["executionId"] == "") {
					t.Errorf("run %d: %v", i+1, b)
				}
				if want.remaining != "" && resp.Header.Get("X-RateLimit-Remaining") != want.remaining {
					t.Errorf("run %d: X-RateLimit-Remaining %q, want %q", i+1, resp.Header.Get("X-RateLimit-Remaining"), want.remaining)
				}
			}
		})
	}
	t.Run("execution_timeout_ms", func(t *testing.T) {
		if resp, body := e.Manage(t, "POST", "/api/deploy", timeoutPayload); resp.StatusCode != 200 {
			t.Fatalf("deploy: %s", body)
		}
		resp, body := e.Manage(t, "POST", "/api/execute/slow", `{"parameters": {}}`)
		b := decode(t, body)
		if resp.StatusCode != 200 || b["status"] != "error" || !strings.Contains(b["error"].(string), "300ms") {
			t.Errorf("a run held past its 300 ms timeout: %d %s", resp.StatusCode, body)
		}
	})
}

func testExecutionLog(t *testing.T, e *enginetest.Engine) {
	for _, c := range []struct {
		name   string
		params map[string]string
		want   func(rows []any) bool
	}{
		// list_all_executions: edge_params = {"limit": str(limit)}, + status, + tenant_slug
		{"the global log", map[string]string{"limit": "100", "tenant_slug": "_default"}, func(rows []any) bool { return len(rows) == 67 }},
		{"by status", map[string]string{"limit": "100", "status": "error", "tenant_slug": "_default"}, func(rows []any) bool { return len(rows) == 1 }},
		// export_executions_csv: {"limit": "500", "status": statuses, "workflowId": ..., "since": date_from, "until": date_to}
		{"the CSV export's filters", map[string]string{"limit": "500", "status": "completed,error", "workflowId": "rl", "since": "2020-01-01", "until": "2999-12-31"},
			func(rows []any) bool { return len(rows) == 2 }},
		{"another tenant", map[string]string{"limit": "100", "tenant_slug": "acme"}, func(rows []any) bool { return len(rows) == 0 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := e.Manage(t, "GET", "/api/executions/all"+query(c.params), "")
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			b := decode(t, body)
			rows := listAt(t, b["executions"], "executions")
			if !c.want(rows) || b["total"] != float64(len(rows)) {
				t.Fatalf("%d rows, total %v: %s", len(rows), b["total"], body)
			}
			for i, r := range rows {
				row := mapAt(t, r, "executions[i]")
				for _, k := range []string{"id", "workflowId", "status", "triggerType", "startedAt"} {
					if s, _ := row[k].(string); s == "" {
						t.Errorf("executions[%d].%s missing: %v", i, k, row)
					}
				}
				if _, ok := row["nodeExecutions"]; ok {
					t.Errorf("executions[%d] carries nodeExecutions", i)
				}
			}
		})
	}
	t.Run("stats", func(t *testing.T) {
		resp, body := e.Manage(t, "GET", "/api/executions/stats", "")
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		want := map[string][3]float64{"rl": {2, 2, 0}, "rl-default": {60, 60, 0}, "slow": {1, 0, 1}, "cool": {1, 1, 0}}
		for _, s := range listAt(t, decode(t, body)["stats"], "stats") {
			st := mapAt(t, s, "stats[i]")
			if w, ok := want[st["workflowId"].(string)]; ok {
				if got := [3]float64{st["totalRuns"].(float64), st["successfulRuns"].(float64), st["failedRuns"].(float64)}; got != w {
					t.Errorf("%s: %v, want %v", st["workflowId"], got, w)
				}
				delete(want, st["workflowId"].(string))
			}
		}
		if len(want) > 0 {
			t.Errorf("no stats for %v: %s", want, body)
		}
	})
}

func testNodeRun(t *testing.T, e *enginetest.Engine) {
	// test_node: deploy, then json={"parameters": request.parameters or {}}
	if resp, body := e.Manage(t, "POST", "/api/deploy", testDeployPayload(cpWorkflowID)); resp.StatusCode != 200 {
		t.Fatalf("deploy: %s", body)
	}
	for _, c := range []struct {
		node, params string
		status       int
		ran          string // node ids in the record
	}{
		{"first", `{"parameters": {"who": "ada"}}`, 200, "t,first"},
		{"second", `{"parameters": {}}`, 200, "t,first,second"},
		{"nope", `{"parameters": {}}`, 404, ""},
	} {
		t.Run(c.node, func(t *testing.T) {
			resp, body := e.Manage(t, "POST", "/api/execute/"+cpWorkflowID+"/node/"+c.node, c.params)
			if resp.StatusCode != c.status {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if c.status != 200 {
				return
			}
			b := decode(t, body)
			id, _ := b["executionId"].(string)
			if id == "" || b["status"] != "completed" || b["message"] == nil {
				t.Fatalf("answer: %s", body)
			}
			// _poll_and_update_execution reads the record's fields at the top level.
			_, body = e.Manage(t, "GET", "/api/executions/"+id, "")
			rec := decode(t, body)
			var ran []string
			for _, n := range listAt(t, rec["nodeExecutions"], "nodeExecutions") {
				ran = append(ran, mapAt(t, n, "nodeExecutions[i]")["nodeId"].(string))
			}
			if rec["status"] != "completed" || rec["triggerType"] != "node_test" || strings.Join(ran, ",") != c.ran || rec["result"] == nil {
				t.Errorf("record: %s", body)
			}
		})
	}
}

func testWorkflowVersions(t *testing.T, e *enginetest.Engine) {
	resp, body := e.Manage(t, "GET", "/api/versions/workflow/"+cpWorkflowID, "")
	if resp.StatusCode != 200 {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}
	b := decode(t, body)
	versions := listAt(t, b["versions"], "versions")
	if len(versions) != 4 || b["total"] != 4.0 {
		t.Fatalf("4 deploys, versions: %s", body)
	}
	newest, oldest := mapAt(t, versions[0], "versions[0]"), mapAt(t, versions[3], "versions[3]")
	if newest["version"] != 4.0 || oldest["version"] != 1.0 || oldest["createdBy"] != "user-42" || oldest["name"] != "Contact lead" || newest["createdAt"] == nil {
		t.Errorf("versions: %s", body)
	}
	oldID := oldest["id"].(string)
	resp, body = e.Manage(t, "GET", "/api/versions/"+url.PathEscape(oldID), "")
	v := mapAt(t, decode(t, body)["version"], "version")
	if nodes, _ := v["nodes"].(string); resp.StatusCode != 200 || !strings.Contains(nodes, `"first"`) || v["settings"] == nil {
		t.Errorf("detail: %d %s", resp.StatusCode, body)
	}
	resp, body = e.Manage(t, "POST", "/api/versions/rollback", `{"workflowId": "`+cpWorkflowID+`", "versionId": "`+oldID+`"}`)
	if b := decode(t, body); resp.StatusCode != 200 || b["success"] != true || b["currentVersion"] != 5.0 {
		t.Errorf("rollback: %d %s", resp.StatusCode, body)
	}
	if _, body := e.Manage(t, "GET", "/api/workflows/"+cpWorkflowID, ""); !strings.Contains(body, `"version":5`) || !strings.Contains(body, `"rate_limit_max":100`) {
		t.Errorf("after rollback the first version's settings are current: %s", body)
	}
	resp, body = e.Manage(t, "POST", "/api/versions/rollback", `{"workflowId": "`+cpWorkflowID+`"}`)
	if resp.StatusCode != 400 || !strings.Contains(body, `"path":"versionId"`) {
		t.Errorf("rollback without versionId: %d %s", resp.StatusCode, body)
	}
	for i, want := range []int{200, 404} {
		if resp, body := e.Manage(t, "DELETE", "/api/versions/"+url.PathEscape(oldID), ""); resp.StatusCode != want {
			t.Errorf("delete %d: %d %s", i+1, resp.StatusCode, body)
		}
	}
	// The site's versions keep their route.
	if resp, body := e.Manage(t, "GET", "/api/versions", ""); resp.StatusCode != 200 || !strings.Contains(body, `"versions"`) {
		t.Errorf("site versions: %d %s", resp.StatusCode, body)
	}
}
