package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// secretsPush holds the requests the control plane sends, as
// testdata/secrets_push.py builds them with its algorithm.
type secretsPush struct {
	APIKey string            `json:"apiKey"`
	Single string            `json:"single"`
	Batch  string            `json:"batch"`
	Delete map[string]string `json:"delete"`
}

// secretWorkflow calls target with the tenant's integration key in a
// header, logs it, and answers with what the target echoed.
func secretWorkflow(target string) string {
	return `{"id": "wf-secret", "name": "uses a secret", "triggerType": "manual",
	"nodes": [
	 {"id": "t", "type": "trigger", "data": {"type": "trigger", "inputs": []}},
	 {"id": "call", "type": "http_request", "data": {"type": "http_request", "inputs": [
	  {"name": "url", "value": "` + target + `/send"}, {"name": "method", "value": "POST"},
	  {"name": "sendHeaders", "value": true},
	  {"name": "headers", "value": [{"name": "Authorization", "value": "Bearer {{ $secrets.integrations.acct_1.api_key }}"}]}]}},
	 {"id": "log", "type": "log", "data": {"type": "log", "inputs": [{"name": "message", "value": "sent with {{ $secrets.integrations.acct_1.api_key }}"}]}},
	 {"id": "out", "type": "transform", "data": {"type": "transform", "inputs": [{"name": "operation", "value": "setFields"},
	  {"name": "fieldsToSet", "value": [{"name": "echo", "value": "{{ $node.call.data.auth }}"}, {"name": "dsn", "value": "{{ $secrets.datasources['ds-42'].connectionString }}"}]}]}}
	],
	"edges": [{"source": "t", "target": "call"}, {"source": "call", "target": "log"}, {"source": "log", "target": "out"}]}`
}

// TestSecretsContract sends the control plane's secrets requests to a
// real engine (local: SQLite; cloud: tursodb and Redis), runs a workflow
// that uses a secret, and checks that the secret reaches the outside call
// but never a response, the execution record or the engine's logs.
func TestSecretsContract(t *testing.T) {
	raw, err := os.ReadFile("testdata/secrets_push.json")
	if err != nil {
		t.Fatal(err)
	}
	var push secretsPush
	if err := json.Unmarshal(raw, &push); err != nil {
		t.Fatal(err)
	}
	var pushed struct {
		Secrets []map[string]string `json:"secrets"`
	}
	json.Unmarshal([]byte(push.Batch), &pushed)
	const dbPassword = "Pw-9f8e7d6c"

	for _, mode := range []string{"local", "cloud-redis"} {
		t.Run(mode, func(t *testing.T) {
			var sawAuth atomic.Value
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sawAuth.Store(r.Header.Get("Authorization"))
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(map[string]string{"auth": r.Header.Get("Authorization")})
			}))
			defer target.Close()
			e := enginetest.Start(t, enginetest.Options{Mode: mode, Env: map[string]string{
				"FRONTBASE_TENANT": "acme", "FRONTBASE_HTTP_ALLOW": target.Listener.Addr().String()}})
			send := func(method, path, body string, auth bool) (int, string) {
				t.Helper()
				h := []string{"Content-Type", "application/json"}
				if auth {
					h = append(h, "x-system-key", e.Key) // get_edge_headers
				}
				resp, out := e.Do(t, method, path, strings.NewReader(body), h...)
				return resp.StatusCode, out
			}

			// push_tenant_secret and push_tenant_secrets_batch
			if code, body := send("POST", "/api/import/secrets", push.Single, true); code != 200 || body != `{"success":true}`+"\n" {
				t.Fatalf("single push: %d %s", code, body)
			}
			code, body := send("POST", "/api/import/secrets/batch", push.Batch, true)
			if code != 200 || body != `{"results":[{"tenantSlug":"acme","kind":"datasources","success":true},{"tenantSlug":"beta","kind":"integrations","success":true}],"success":true}`+"\n" {
				t.Fatalf("batch push: %d %s", code, body)
			}
			// fetch_all_tenant_secrets reads back the ciphertext, and only that.
			code, body = send("GET", "/api/import/secrets", "", true)
			if code != 200 || !strings.Contains(body, pushed.Secrets[0]["payload"]) || !strings.Contains(body, pushed.Secrets[1]["payload"]) ||
				strings.Contains(body, push.APIKey) || strings.Contains(body, dbPassword) || strings.Count(body, `"tenantSlug"`) != 3 {
				t.Fatalf("list: %d %s", code, body)
			}

			if code, body := send("POST", "/api/deploy", secretWorkflow(target.URL), true); code != 200 {
				t.Fatalf("deploy: %d %s", code, body)
			}
			code, body = send("POST", "/api/execute/wf-secret", `{}`, true)
			if code != 200 || !strings.Contains(body, `"status":"completed"`) {
				t.Fatalf("execute: %d %s", code, body)
			}
			if got, _ := sawAuth.Load().(string); got != "Bearer "+push.APIKey {
				t.Fatalf("the outside call carried %q", got)
			}
			var ex struct {
				ExecutionID string `json:"executionId"`
			}
			json.Unmarshal([]byte(body), &ex)
			id := ex.ExecutionID
			if id == "" {
				var alt struct {
					Execution struct{ ID string } `json:"execution"`
				}
				json.Unmarshal([]byte(body), &alt)
				id = alt.Execution.ID
			}
			_, record := send("GET", "/api/executions/"+id, "", true)
			_, list := send("GET", "/api/executions/workflow/wf-secret", "", true)
			for name, text := range map[string]string{"execute response": body, "record": record, "list": list, "logs": e.Logs.String()} {
				if strings.Contains(text, push.APIKey) || strings.Contains(text, dbPassword) {
					t.Errorf("a secret is in the %s: %s", name, text)
				}
			}
			if !strings.Contains(record, `sent with [redacted]`) || !strings.Contains(record, `"echo":"Bearer [redacted]"`) {
				t.Errorf("record %s", record)
			}

			// delete_tenant_secret: gone at once for this engine's workflows.
			q := url.Values{}
			for k, v := range push.Delete {
				q.Set(k, v)
			}
			if code, body := send("DELETE", "/api/import/secrets?"+q.Encode(), "", true); code != 200 || body != `{"deleted":true,"success":true}`+"\n" {
				t.Fatalf("delete: %d %s", code, body)
			}
			if code, body := send("DELETE", "/api/import/secrets?"+q.Encode(), "", true); code != 200 || body != `{"deleted":false,"success":true}`+"\n" {
				t.Fatalf("second delete: %d %s", code, body)
			}
			send("POST", "/api/execute/wf-secret", `{}`, true)
			if got, _ := sawAuth.Load().(string); got != "Bearer" && got != "Bearer " {
				t.Fatalf("after delete the outside call carried %q", got)
			}
		})
	}
}

// TestSecretsRoutesRefuse checks authentication and input errors: each
// names the JSON path, none echoes a payload.
func TestSecretsRoutesRefuse(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	if resp, body := e.Do(t, "GET", "/api/import/secrets", nil); resp.StatusCode != 401 {
		t.Fatalf("no key: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.Do(t, "POST", "/api/import/secrets", strings.NewReader(`{}`), "x-system-key", "wrong-key-0123456789"); resp.StatusCode != 401 {
		t.Fatalf("wrong key: %d %s", resp.StatusCode, body)
	}
	const junk = "not-base64-ciphertext!!"
	for _, tt := range []struct {
		method, path, body string
		status             int
		want               []string
	}{
		{"POST", "/api/import/secrets", `{"tenantSlug": "acme", "kind": "integrations"}`, 400, []string{`"path":"payload","message":"required"`}},
		{"POST", "/api/import/secrets", `{"tenantSlug": "../x", "kind": "Integrations", "payload": "` + junk + `"}`, 400,
			[]string{`"path":"tenantSlug"`, `"path":"kind"`, `"path":"payload","message":"expected standard base64`}},
		{"POST", "/api/import/secrets", `[1]`, 400, []string{"not the expected JSON object"}},
		{"POST", "/api/import/secrets/batch", `{"items": []}`, 400, []string{`"path":"secrets"`}},
		{"POST", "/api/import/secrets/batch", `{"secrets": [7, {"tenantSlug": "acme", "kind": "auth", "payload": "` + junk + `"}]}`, 200,
			[]string{`"error":"secrets[0]: must be an object"`, `"error":"validation failed: secrets[1].payload: expected standard base64`, `"success":false`}},
		{"DELETE", "/api/import/secrets?tenantSlug=acme", "", 400, []string{`"path":"kind","message":"required"`}},
	} {
		resp, body := e.Manage(t, tt.method, tt.path, tt.body)
		if resp.StatusCode != tt.status || strings.Contains(body, junk) {
			t.Errorf("%s %s %s: %d %s", tt.method, tt.path, tt.body, resp.StatusCode, body)
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s %s %s: %s lacks %s", tt.method, tt.path, tt.body, body, w)
			}
		}
	}
}
