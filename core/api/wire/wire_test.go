package wire

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/cache"
	"github.com/frontbase/edge/core/pageauth"
	"github.com/frontbase/edge/core/ratelimit"
)

// fieldNames lists the JSON names of v as marshalled, in order, nested
// names as a.b and the names of an array's first element as a[].b.
func fieldNames(t *testing.T, v any) []string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var names []string
	var walk func(prefix string, record bool)
	walk = func(prefix string, record bool) {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				key, _ := dec.Token()
				name := key.(string)
				if prefix != "" {
					name = prefix + "." + name
				}
				if record {
					names = append(names, name)
				}
				walk(name, record)
			}
			dec.Token() // }
		case json.Delim('['):
			for first := true; dec.More(); first = false {
				walk(prefix+"[]", record && first)
			}
			dec.Token() // ]
		}
	}
	walk("", true)
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("trailing data after %s", raw)
	}
	return names
}

func ptr[T any](v T) *T { return &v }

// TestFieldNames pins the JSON field names, and their order, of every body
// of the API. The control plane, the builder and pages published by the
// TypeScript engine read these names (docs/control-plane-contract.md
// names who reads what, per route: C1 is its row C1), so a rename here is
// a break there: a failure means a body changed on the wire. Each sample
// sets every optional field, so that all names appear. A new route adds
// its body types to wire and a row here.
func TestFieldNames(t *testing.T) {
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	details := []core.FieldError{{Path: "slug", Message: "required"}}
	execution := core.Execution{ID: "e", Error: "failed", NodeExecutions: []core.NodeExecution{{NodeID: "n", Outputs: 1, Error: "x", Branch: "true"}},
		VariableMutations: []core.Mutation{{Scope: "page", Key: "k"}}, Effects: []core.Effect{}, Logs: []core.LogLine{{NodeID: "n"}},
		Response: &core.HTTPResponse{Headers: map[string]string{"X": "1"}}}
	dep := Dependency{Status: "down", LatencyMs: 1, Error: "x", Breaker: "open"}
	rule := ratelimit.Rule{ID: "r", Methods: []string{"GET"}}
	tests := []struct {
		route string
		body  any
		want  string // the names in order, space-separated
	}{
		// Every refusal; the control plane shows error, or text[:200].
		{"error", Error{Details: details}, "success error details details[].path details[].message"},
		// C18-C27 and the other routes of the TypeScript engine only: error stays a string (C26 reads error[:500]).
		{"501", NotSupported{}, "code error success"},
		{"429 run refused", RunRefused{}, "code error message success"},
		{"message", Message{}, "message success"},
		{"success", Success{}, "success"},

		// C9: POST /api/import; the control plane reads previewUrl.
		{"POST /api/import", ImportRequest{}, "page force"},
		{"POST /api/import answer", ImportResponse{}, "generation liveEverywhereBy message previewUrl slug success unchanged version"},
		{"POST /api/import/site", SiteRequest{Settings: json.RawMessage(`{}`), Force: true, Source: "cli"}, "pages settings force source"},
		{"POST /api/import/site answer", SiteResponse{LiveEverywhereBy: &at, Pages: []SitePage{{}}},
			"changed generation liveEverywhereBy pages pages[].previewUrl pages[].replacedId pages[].slug pages[].unchanged pages[].version settingsChanged success"},
		// C11: DELETE /api/import/{slug}.
		{"DELETE /api/import/{slug} answer", DeletePageResponse{}, "found message slug success"},
		{"GET /api/manage/pages answer", PageListResponse{Pages: []core.PageSummary{{}}},
			"nextCursor pages pages[].id pages[].slug pages[].tenantSlug pages[].name pages[].title pages[].isPublic pages[].isHomepage pages[].version pages[].contentHash pages[].publishedAt success"},
		{"GET /api/manage/pages/{slug} answer", PageResponse{Page: json.RawMessage(`{}`)}, "contentHash page publishedAt success version"},
		// C10: the control plane reads nothing of a settings push.
		{"GET/POST /api/import/settings answer", SettingsResponse{Message: "Settings saved"}, "message settings success"},
		{"GET /api/versions answer", VersionsResponse{Versions: []core.SiteVersion{{RestoredFrom: 1, Pages: []core.VersionPage{{}}}}},
			"success versions versions[].version versions[].generation versions[].action versions[].source versions[].restoredFrom versions[].createdAt versions[].pages versions[].pages[].slug versions[].pages[].contentHash versions[].pages[].isHomepage"},
		{"POST /api/rollback", RollbackRequest{Version: "3"}, "version"},
		{"POST /api/rollback answer", RollbackResponse{}, "generation message removed restored restoredFrom success unchanged version"},
		{"POST /api/preview", PreviewRequest{Page: json.RawMessage(`{}`), TTLSeconds: json.RawMessage(`60`)}, "page ttlSeconds"},
		{"POST /api/preview answer", PreviewResponse{}, "expiresAt slug success url"},

		// C1: the builder's health popover reads status, error, version,
		// provider, uptime_seconds, timestamp, bindings.{stateDb,cache,queue}.{provider,status,error}.
		{"GET /api/health answer, public", Health{Status: "ok"}, "status"},
		{"GET /api/health answer, with the key", Health{Bindings: &HealthBindings{Cache: Binding{Error: ptr("x")}, Queue: Binding{Error: ptr("x")}, StateDB: Binding{Error: ptr("x")}},
			Cache: &dep, Env: ptr(""), Generation: ptr(int64(1)), L1: &cache.Stats{}, Provider: ptr(""), Service: ptr(""), Status: "ok", Store: &dep,
			Timestamp: ptr(""), UptimeSeconds: ptr(int64(1)), UptimeSecondsTS: ptr(int64(1)), Version: ptr("")},
			"bindings bindings.cache bindings.cache.error bindings.cache.provider bindings.cache.status bindings.queue bindings.queue.error bindings.queue.provider bindings.queue.status bindings.stateDb bindings.stateDb.error bindings.stateDb.provider bindings.stateDb.status " +
				"cache cache.status cache.latencyMs cache.error cache.breaker env generation l1 l1.entries l1.bytes l1.maxBytes l1.hits l1.misses l1.ttlSeconds provider service status " +
				"store store.status store.latencyMs store.error store.breaker timestamp uptimeSeconds uptime_seconds version"},
		// C17: the control plane reads deployed_at, bundle_checksum,
		// gpu_models[].{slug, model_id, model_type, provider}, adapter_type, capabilities, bindings.
		{"GET /api/manifest answer", Manifest{Bindings: map[string]string{"cache": "none", "db": "sqlite", "queue": "none"}, GPUModels: []GPUModel{{}}},
			"adapter_type bindings bindings.cache bindings.db bindings.queue bundle_checksum capabilities deployed_at engine_name frontbase_version " +
				"gpu_models gpu_models[].slug gpu_models[].model_id gpu_models[].model_type gpu_models[].provider platform tech_stack tech_stack.framework tech_stack.runtime tech_stack.templating"},
		{"GET /api/import/status answer", ImportStatus{}, "ready status"},
		{"GET /api/cache/test answer", CacheTest{LatencyMs: ptr(1.0)}, "latencyMs message success"},
		{"GET /api/cache/stats answer", CacheStats{Connected: ptr(true)},
			"configured connected l1 l1.entries l1.bytes l1.maxBytes l1.hits l1.misses l1.ttlSeconds message shared shared.status success"},
		{"POST /api/cache/invalidate", InvalidateRequest{Key: ptr(""), Pattern: ptr("")}, "key pattern"},
		// C16: the control plane reads the status only.
		{"POST /api/cache/flush and invalidate answer", CacheDropped{}, "complete l1Dropped l2Deleted message success"},

		{"GET/PUT /api/ratelimits answer", RateLimitsResponse{Message: "m", Rules: []ratelimit.Rule{rule}},
			"message rules rules[].id rules[].pathPattern rules[].methods rules[].limit rules[].windowSeconds rules[].key rules[].failClosed success"},
		{"POST /api/ratelimits answer", RateLimitSaved{Rule: &rule}, "message rule rule.id rule.pathPattern rule.methods rule.limit rule.windowSeconds rule.key rule.failClosed success"},
		{"DELETE /api/ratelimits/{id} answer", RateLimitDeleted{}, "id message success"},

		// C12-C15: the control plane sends tenantSlug, kind, payload and
		// reads results[].{tenantSlug, kind, success} and secrets.
		{"POST /api/import/secrets", SecretItem{}, "tenantSlug kind payload"},
		{"POST /api/import/secrets/batch", SecretBatchRequest{Secrets: []json.RawMessage{json.RawMessage(`{}`)}}, "secrets"},
		{"POST /api/import/secrets/batch answer", SecretBatchResponse{Results: []SecretResult{{Error: "x"}}},
			"results results[].tenantSlug results[].kind results[].success results[].error success"},
		{"GET /api/import/secrets answer", SecretListResponse{Secrets: []SecretRow{{UpdatedAt: "t"}}},
			"secrets secrets[].tenantSlug secrets[].kind secrets[].payload secrets[].updatedAt success"},
		{"DELETE /api/import/secrets answer", SecretDeleted{}, "deleted success"},

		// C2: the control plane reads version.
		{"POST /api/deploy answer", DeployResponse{Warnings: details}, "message success version warnings warnings[].path warnings[].message workflowId"},
		{"POST /api/workflows/validate answer", ValidateResponse{Errors: details, Warnings: details},
			"errors errors[].path errors[].message isValid success warnings warnings[].path warnings[].message"},
		// C3: the control plane reads executionId, status, message or
		// error; P3: a page's script reads variableMutations.
		{"POST /api/execute/{id} answer", Run{Error: "x", Effects: []core.Effect{{"type": "toast"}}, VariableMutations: []core.Mutation{{}}},
			"effects effects[].type error executionId result status success variableMutations variableMutations[].scope variableMutations[].key variableMutations[].value"},
		{"POST /api/public/execute/{id} answer", PublicRun{Error: "x"}, "effects error executionId status success variableMutations"},
		// C4: as C3.
		{"POST /api/execute/{id}/node/{nodeId} answer", NodeRun{Error: ptr(""), NodeExecutions: execution.NodeExecutions},
			"error executionId message nodeExecutions nodeExecutions[].nodeId nodeExecutions[].type nodeExecutions[].status nodeExecutions[].outputs nodeExecutions[].error nodeExecutions[].branch nodeExecutions[].durationMs result status success"},
		{"/api/webhook/{id} answer", WebhookRun{Error: "x", Message: "m"}, "error executionId message status success"},
		{"GET /api/workflows answer", WorkflowsResponse{Workflows: []core.WorkflowSummary{{}}},
			"success workflows workflows[].id workflows[].name workflows[].triggerType workflows[].isActive workflows[].version workflows[].updatedAt"},
		{"GET /api/workflows/{id} answer", WorkflowResponse{}, "success updatedAt version workflow"},
		{"PATCH /api/workflows/{id}/toggle answer", ToggleResponse{}, "isActive success workflowId"},
		{"POST /api/workflows/{id}/rollback answer", WorkflowRollbackResponse{}, "restoredFrom success version workflowId"},
		// C5 reads status, nodeExecutions, result, error of this record
		// (GET /api/executions/{id} spreads it at the top level); C7 reads
		// executions[] and total.
		{"GET /api/executions/workflow/{id} answer", ExecutionsResponse{Executions: []core.Execution{execution}},
			"executions executions[].id executions[].workflowId executions[].workflowVersion executions[].status executions[].triggerType executions[].triggerPayload " +
				"executions[].nodeExecutions executions[].nodeExecutions[].nodeId executions[].nodeExecutions[].type executions[].nodeExecutions[].status executions[].nodeExecutions[].outputs " +
				"executions[].nodeExecutions[].error executions[].nodeExecutions[].branch executions[].nodeExecutions[].durationMs executions[].result executions[].error " +
				"executions[].variableMutations executions[].variableMutations[].scope executions[].variableMutations[].key executions[].variableMutations[].value executions[].effects " +
				"executions[].logs executions[].logs[].nodeId executions[].logs[].level executions[].logs[].message executions[].logs[].at " +
				"executions[].response executions[].response.status executions[].response.contentType executions[].response.headers executions[].response.headers.X executions[].response.body " +
				"executions[].startedAt executions[].endedAt success total"},
		// C6: the control plane reads executions[], sorted by startedAt.
		{"GET /api/executions/all answer", ExecutionRowsResponse{Executions: []ExecutionRow{{EndedAt: at, Error: "x"}}},
			"executions executions[].endedAt executions[].error executions[].id executions[].startedAt executions[].status executions[].triggerType executions[].workflowId executions[].workflowVersion success total"},
		// C8: stats[].{workflowId, totalRuns, successfulRuns, failedRuns}.
		{"GET /api/executions/stats answer", ExecutionStatsResponse{Stats: []core.ExecutionStat{{}}},
			"stats stats[].workflowId stats[].totalRuns stats[].successfulRuns stats[].failedRuns success"},
		{"GET /api/versions/workflow/{id} answer", WorkflowVersionsResponse{Versions: []VersionSummary{{}}},
			"success total versions versions[].createdAt versions[].createdBy versions[].description versions[].id versions[].name versions[].triggerType versions[].version versions[].workflowId"},
		{"GET /api/versions/{id} answer", WorkflowVersionResponse{},
			"success version version.createdAt version.createdBy version.description version.edges version.id version.isActive version.name version.nodes version.settings version.triggerConfig version.triggerType version.version version.workflowId"},
		{"POST /api/versions/rollback", WorkflowVersionRollbackRequest{}, "workflowId versionId"},
		{"POST /api/versions/rollback answer", WorkflowVersionRollbackResponse{}, "currentVersion message restoredFrom success workflowId"},
		// P1: the published page's script reads triggers[] with these names.
		{"GET /api/public/ui-events answer", UIEvents{Triggers: []UIEventTrigger{{}}},
			"count triggers triggers[].workflowId triggers[].workflowName triggers[].eventType triggers[].elementSelector triggers[].debounceMs triggers[].throttleMs " +
				"triggers[].captureEventData triggers[].preventDefault triggers[].stopPropagation triggers[].keyFilter"},

		// P4: a published page's data hooks send dataRequest (the published
		// envelope), this engine's runtime adds query; P4, P5: the hooks read
		// success, data, count, total, and error (a string) on failure.
		{"POST /api/data/execute", DataExecuteRequest{
			DataRequest: &DataRequest{URL: "u", Method: "POST", FetchStrategy: "proxy", DatasourceID: "d", Headers: map[string]string{"X": "1"},
				Body: json.RawMessage(`{}`), ResultPath: "rows", FlattenRelations: ptr(false), QueryConfig: json.RawMessage(`{}`)},
			Query: &DataQuery{Sort: "id", Dir: "desc", Search: "s"}},
			"dataRequest dataRequest.url dataRequest.method dataRequest.fetchStrategy dataRequest.datasourceId dataRequest.headers dataRequest.headers.X " +
				"dataRequest.body dataRequest.resultPath dataRequest.flattenRelations dataRequest.queryConfig query query.page query.pageSize query.sort query.dir query.search"},
		{"POST /api/data/execute and GET /api/data/{table} answer", DataResult{Data: []any{}, Truncated: true}, "success data count total truncated"},
		{"POST /api/data/execute and GET /api/data/{table} refusal", DataError{}, "success code error"},
		// B1: the builder's ExecutionStream reads each event's data spread
		// into {type, ...}: executionId, workflowId, timestamp,
		// data.{nodeId, nodeType, error, nodes, status}.
		{"GET /api/realtime/sse/{executionId} run event", LiveEvent{Data: LiveEventData{NodeID: "n", NodeType: "t", Error: "x", Nodes: 1, Status: "s"}},
			"type executionId workflowId timestamp data data.nodeId data.nodeType data.error data.nodes data.status"},
		{"GET /api/realtime/sse/{executionId} snapshot", LiveSnapshot{ExecutionID: "e", WorkflowID: "w", Status: "s",
			NodeExecutions: []LiveSnapshotNode{{Error: "x"}}, Error: "x", StartedAt: &at, EndedAt: &at},
			"executionId workflowId status nodeExecutions nodeExecutions[].nodeId nodeExecutions[].type nodeExecutions[].status nodeExecutions[].error nodeExecutions[].durationMs error startedAt endedAt"},
		{"GET /api/realtime/sse/{executionId} close", LiveClose{}, ""},
		// P6: the gated page's form posts these names; a JSON caller reads
		// success, user, redirectUrl or error.
		{"POST /api/page-auth/login", PageAuthRequest{}, "email password redirectTo isEmbed formId captchaToken"},
		{"POST /api/page-auth/login answer", PageAuthSignedIn{User: pageauth.User{Avatar: "a"}},
			"success user user.id user.email user.name user.firstName user.lastName user.avatar user.role redirectUrl"},
		{"GET /api/page-auth/me answer", PageAuthMe{User: &pageauth.User{Avatar: "a"}},
			"success user user.id user.email user.name user.firstName user.lastName user.avatar user.role"},
		{"page-auth refusal", PageAuthError{}, "error"},
	}
	for _, tt := range tests {
		got := strings.Join(fieldNames(t, tt.body), " ")
		if got != tt.want {
			t.Errorf("%s (%T):\n got  %s\n want %s", tt.route, tt.body, got, tt.want)
		}
	}
}

// TestOptionalFieldsStayOut checks the other side of the samples above:
// the fields an answer sends only sometimes are left out when unset, as
// they were when these bodies were maps.
func TestOptionalFieldsStayOut(t *testing.T) {
	tests := []struct {
		body any
		want string
	}{
		{Error{}, `{"success":false,"error":""}`},
		{Health{Status: "ok"}, `{"status":"ok"}`},
		{CacheTest{Message: "m"}, `{"message":"m","success":false}`},
		{CacheStats{}, `{"configured":false,"l1":{"entries":0,"bytes":0,"maxBytes":0,"hits":0,"misses":0,"ttlSeconds":0},"message":"","shared":{"status":""},"success":false}`},
		{SiteResponse{Pages: []SitePage{}}, `{"changed":false,"generation":0,"pages":[],"settingsChanged":false,"success":false}`},
		{PageListResponse{Pages: []core.PageSummary{}}, `{"nextCursor":null,"pages":[],"success":false}`},
		{SettingsResponse{}, `{"settings":null,"success":false}`},
		{RateLimitsResponse{Rules: []ratelimit.Rule{}}, `{"rules":[],"success":false}`},
		{Run{}, `{"effects":null,"executionId":"","result":null,"status":"","success":false,"variableMutations":null}`},
		{PublicRun{}, `{"effects":null,"executionId":"","status":"","success":false,"variableMutations":null}`},
		{NodeRun{}, `{"executionId":"","message":"","nodeExecutions":null,"result":null,"status":"","success":false}`},
		{WebhookRun{}, `{"executionId":null,"status":"","success":false}`},
		{ExecutionRow{}, `{"id":"","startedAt":"0001-01-01T00:00:00Z","status":"","triggerType":"","workflowId":"","workflowVersion":0}`},
		{Binding{}, `{"provider":"","status":""}`},
		{Manifest{}, `{"adapter_type":"","bindings":null,"bundle_checksum":null,"capabilities":null,"deployed_at":null,"engine_name":"","frontbase_version":"","gpu_models":null,"platform":"","tech_stack":{"framework":"","runtime":"","templating":""}}`},
		{SecretResult{}, `{"tenantSlug":"","kind":"","success":false}`},
		{SecretRow{}, `{"tenantSlug":"","kind":"","payload":""}`},
		{SiteRequest{}, `{"pages":null}`},
		{DataExecuteRequest{DataRequest: &DataRequest{}}, `{"dataRequest":{}}`},
		{DataQuery{}, `{"page":0,"pageSize":0}`},
		{DataResult{}, `{"success":false,"data":null,"count":0,"total":0}`},
		{LiveEvent{}, `{"type":"","executionId":"","workflowId":"","timestamp":"0001-01-01T00:00:00Z"}`},
		{LiveSnapshot{}, `{}`},
		{LiveSnapshotNode{}, `{"nodeId":"","type":"","status":"","durationMs":0}`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(tt.body)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("%T:\n got  %s\n want %s", tt.body, got, tt.want)
		}
	}
}

func TestDecodeAnswer(t *testing.T) {
	var ok ImportResponse
	fail, err := DecodeAnswer([]byte(`{"success":false,"error":"bad","details":[{"path":"slug","message":"required"}]}`), &ok)
	if err != nil || ok.Success || fail.Error != "bad" || len(fail.Details) != 1 || fail.Details[0].Path != "slug" {
		t.Errorf("error answer: %v %+v %+v", err, ok, fail)
	}
	fail, err = DecodeAnswer([]byte(`{"success":true,"slug":"about","version":2}`), &ok)
	if err != nil || !ok.Success || ok.Slug != "about" || ok.Version != 2 || fail.Error != "" {
		t.Errorf("success answer: %v %+v %+v", err, ok, fail)
	}
	if _, err := DecodeAnswer([]byte(`<html>`), &ok); err == nil {
		t.Error("a body that is not JSON decoded")
	}
}
