package contracttest_test

import (
	"net/http"
	"strings"
	"testing"

	ct "github.com/frontbase/edge/functions/internal/contracttest"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// GET /api/import/status: the TypeScript engine's readiness probe of the
// import API, behind the system key like every /api/import/* route.
func TestImportStatus(t *testing.T) {
	ct.ForModes(t, func(t *testing.T, e *enginetest.Engine) {
		r := ct.ControlPlane(t, e, ct.Call{Method: "GET", Path: "/api/import/status", Headers: ct.SystemKeyHeaders(e.Key)})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		m := r.JSON(t)
		if m["status"] != "ok" || m["ready"] != true {
			t.Errorf("body: %s", r.Body)
		}
		if r := ct.ControlPlane(t, e, ct.Call{Method: "GET", Path: "/api/import/status"}); r.Status != 401 {
			t.Errorf("without the key: %d", r.Status)
		}
	})
}

// tier reads which cache tier answered a public GET.
func tier(t *testing.T, e *enginetest.Engine, path string) string {
	t.Helper()
	r := ct.Browser(t, e, "GET", path, nil)
	if r.Status != 200 {
		t.Fatalf("GET %s: %d", path, r.Status)
	}
	return r.Header.Get("X-Frontbase-Cache")
}

// POST /api/cache/flush as services/engine_deploy.py _flush_cache sends
// it: client.post(f"{engine_url}/api/cache/flush", headers=auth_headers,
// timeout=10.0), no body; it reads only the status (200 or 204).
func TestCacheFlush(t *testing.T) {
	ct.ForModes(t, func(t *testing.T, e *enginetest.Engine) {
		e.PublishDemo(t)
		// Pages the same for every visitor, so shared through L2.
		for _, p := range []string{"/about", "/docs/getting-started"} {
			tier(t, e, p)
			if got := tier(t, e, p); got != "l1-hit" {
				t.Fatalf("%s second GET: %s", p, got)
			}
		}
		reads := e.Store.Reads()
		r := ct.ControlPlane(t, e, ct.Call{Method: "POST", Path: "/api/cache/flush", Headers: ct.SystemKeyHeaders(e.Key)})
		if r.Status != 200 && r.Status != 204 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		m := r.JSON(t)
		ct.Expect(t, m, map[string]string{"success": "bool", "message": "string", "l1Dropped": "number", "l2Deleted": "number"})
		if m["success"] != true || m["l1Dropped"].(float64) < 2 {
			t.Errorf("body: %s", r.Body)
		}
		if e.Servers != nil && m["l2Deleted"].(float64) < 2 {
			t.Errorf("the shared cache kept the pages: %s", r.Body)
		}
		// Both pages render from the store again: not from L1, nor from L2.
		for _, p := range []string{"/about", "/docs/getting-started"} {
			if got := tier(t, e, p); got != "l3" {
				t.Errorf("%s after the flush: %s", p, got)
			}
		}
		if e.Store.Reads() <= reads {
			t.Error("no store read after the flush")
		}
		if r := ct.ControlPlane(t, e, ct.Call{Method: "POST", Path: "/api/cache/flush"}); r.Status != 401 {
			t.Errorf("without the key: %d", r.Status)
		}
	})
}

// POST /api/cache/invalidate with the TypeScript engine's body, {key} or
// {pattern}; here they name public paths. The route is listed by the
// builder's engine inspector (src/components/dashboard/settings/shared/
// inspector/types.ts); no control-plane code calls it yet.
func TestCacheInvalidate(t *testing.T) {
	ct.ForModes(t, func(t *testing.T, e *enginetest.Engine) {
		e.PublishDemo(t)
		tier(t, e, "/about")
		tier(t, e, "/docs/getting-started")
		r := ct.ControlPlane(t, e, ct.Call{Method: "POST", Path: "/api/cache/invalidate", JSON: map[string]any{"key": "about"}, Headers: ct.SystemKeyHeaders(e.Key)})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		m := r.JSON(t)
		ct.Expect(t, m, map[string]string{"success": "bool", "message": "string"})
		if m["success"] != true || !strings.Contains(m["message"].(string), "/about") {
			t.Errorf("body: %s", r.Body)
		}
		if got := tier(t, e, "/about"); got != "l3" {
			t.Errorf("/about after invalidating it: %s", got)
		}
		if e.Servers != nil {
			// The other page's shared entry stays; only L1 was emptied.
			if got := tier(t, e, "/docs/getting-started"); got != "l2-hit" {
				t.Errorf("/docs/getting-started after invalidating /about: %s", got)
			}
			r := ct.ControlPlane(t, e, ct.Call{Method: "POST", Path: "/api/cache/invalidate", JSON: map[string]any{"pattern": "docs/*"}, Headers: ct.SystemKeyHeaders(e.Key)})
			if m := r.JSON(t); r.Status != 200 || m["l2Deleted"] != float64(1) {
				t.Errorf("pattern: %d %s", r.Status, r.Body)
			}
			if got := tier(t, e, "/docs/getting-started"); got != "l3" {
				t.Errorf("/docs/getting-started after invalidating docs/*: %s", got)
			}
		}
		for _, bad := range []struct {
			body any
			path string
		}{
			{map[string]any{}, "key"},
			{map[string]any{"key": ""}, "key"},
			{map[string]any{"pattern": "[a"}, "pattern"},
		} {
			r := ct.ControlPlane(t, e, ct.Call{Method: "POST", Path: "/api/cache/invalidate", JSON: bad.body, Headers: ct.SystemKeyHeaders(e.Key)})
			m := r.JSON(t)
			details, _ := m["details"].([]any)
			if r.Status != 400 || m["success"] != false || len(details) != 1 || details[0].(map[string]any)["path"] != bad.path {
				t.Errorf("%v: %d %s", bad.body, r.Status, r.Body)
			}
		}
	})
}

// GET /api/cache/stats: the TypeScript engine's fields (success,
// configured, connected, message) and both tiers of this engine.
func TestCacheStats(t *testing.T) {
	ct.ForModes(t, func(t *testing.T, e *enginetest.Engine) {
		r := ct.ControlPlane(t, e, ct.Call{Method: "GET", Path: "/api/cache/stats", Headers: ct.SystemKeyHeaders(e.Key)})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		m := r.JSON(t)
		ct.Expect(t, m, map[string]string{"success": "bool", "configured": "bool", "message": "string", "l1.entries": "number", "shared.status": "string"})
		if m["configured"] != (e.Servers != nil) {
			t.Errorf("configured: %s", r.Body)
		}
		if e.Servers != nil && m["connected"] != true {
			t.Errorf("connected: %s", r.Body)
		}
		r = ct.ControlPlane(t, e, ct.Call{Method: "GET", Path: "/api/cache/test", Headers: ct.SystemKeyHeaders(e.Key)})
		if m := r.JSON(t); r.Status != 200 || m["success"] != (e.Servers != nil) {
			t.Errorf("test: %d %s", r.Status, r.Body)
		}
	})
}

// GET /api/manifest as services/engine_manifest.py sync_engine_manifest
// sends it (httpx.AsyncClient(timeout=10.0), headers=auth_headers), which
// reads: deployed_at and bundle_checksum (copied when truthy), gpu_models
// (each slug and model_id, model_type, provider), adapter_type,
// capabilities, bindings.
func TestManifest(t *testing.T) {
	ct.ForModes(t, func(t *testing.T, e *enginetest.Engine) {
		r := ct.ControlPlane(t, e, ct.Call{Method: "GET", Path: "/api/manifest", Headers: ct.SystemKeyHeaders(e.Key)})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		m := r.JSON(t)
		ct.Expect(t, m, map[string]string{
			"deployed_at": "string|null", "bundle_checksum": "string|null", "gpu_models": "array",
			"adapter_type": "string", "capabilities": "array", "bindings": "object",
			"engine_name": "string", "platform": "string",
		})
		want := map[string]string{"db": "sqlite", "cache": "none"}
		if e.Servers != nil {
			want = map[string]string{"db": "turso", "cache": "redis"}
			if e.Servers.Upstash != nil {
				want["cache"] = "upstash"
			}
		}
		for k, v := range want {
			if got, _ := ct.Field(m, "bindings."+k); got != v {
				t.Errorf("bindings.%s = %v, want %s", k, got, v)
			}
		}
		// Neither may overwrite the control plane's records with a guess.
		if m["deployed_at"] != nil || m["bundle_checksum"] != nil {
			t.Errorf("deploy fields: %s", r.Body)
		}
		if r := ct.ControlPlane(t, e, ct.Call{Method: "GET", Path: "/api/manifest"}); r.Status != 401 {
			t.Errorf("without the key: %d", r.Status)
		}
	})
}

// uiWorkflow is a workflow as routers/actions.py _build_deploy_payload
// builds it, with a ui_event_trigger node as the builder saves it.
func uiWorkflow(id, selector string, active bool) map[string]any {
	inputs := []any{
		map[string]any{"name": "eventType", "type": "string", "value": "click"},
		map[string]any{"name": "debounceMs", "type": "number", "value": "250"},
		map[string]any{"name": "preventDefault", "type": "boolean", "value": true},
		map[string]any{"name": "keyFilter", "type": "string", "value": "Enter,Escape"},
	}
	if selector != "" {
		inputs = append(inputs, map[string]any{"name": "elementSelector", "type": "string", "value": selector})
	}
	return map[string]any{
		"id": id, "name": "Track " + id, "description": nil,
		"triggerType": "ui_event", "triggerConfig": map[string]any{},
		"nodes": []any{
			map[string]any{"id": "ev", "type": "ui_event_trigger", "position": map[string]any{"x": 0, "y": 0},
				"data": map[string]any{"label": "Click", "type": "ui_event_trigger", "inputs": inputs, "outputs": []any{}}},
		},
		"edges": []any{}, "settings": nil, "isActive": active, "publishedBy": nil, "tenantSlug": "_default",
	}
}

// GET /api/public/ui-events as the published page's script fetches it
// (services/edge/src/client/entry.tsx: fetch('/api/public/ui-events'),
// then data.triggers, each wired by elementSelector and eventType).
func TestUIEvents(t *testing.T) {
	ct.ForModes(t, func(t *testing.T, e *enginetest.Engine) {
		deploy := func(w map[string]any) {
			t.Helper()
			r := ct.ControlPlane(t, e, ct.Call{Method: "POST", Path: "/api/deploy", JSON: w, Headers: ct.SystemKeyHeaders(e.Key)})
			if r.Status != 200 {
				t.Fatalf("deploy: %d %s", r.Status, r.Body)
			}
		}
		deploy(uiWorkflow("wf-click", "#buy", true))
		deploy(uiWorkflow("wf-off", "#off", false))
		deploy(uiWorkflow("wf-nosel", "", true))

		r := ct.Browser(t, e, "GET", "/api/public/ui-events", nil)
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=60, stale-while-revalidate=86400" {
			t.Errorf("Cache-Control: %q", cc)
		}
		m := r.JSON(t)
		list, _ := m["triggers"].([]any)
		if len(list) != 1 || m["count"] != float64(1) {
			t.Fatalf("triggers: %s", r.Body)
		}
		got := list[0].(map[string]any)
		ct.Expect(t, got, map[string]string{
			"workflowId": "string", "workflowName": "string", "eventType": "string", "elementSelector": "string",
			"debounceMs": "number", "throttleMs": "number", "captureEventData": "bool", "preventDefault": "bool",
			"stopPropagation": "bool", "keyFilter": "string",
		})
		if got["workflowId"] != "wf-click" || got["elementSelector"] != "#buy" || got["eventType"] != "click" ||
			got["debounceMs"] != float64(250) || got["preventDefault"] != true || got["captureEventData"] != true || got["keyFilter"] != "Enter,Escape" {
			t.Errorf("trigger: %v", got)
		}
		// A redeploy that deactivates it is seen at once.
		deploy(uiWorkflow("wf-click", "#buy", false))
		if m := ct.Browser(t, e, "GET", "/api/public/ui-events", nil).JSON(t); m["count"] != float64(0) {
			t.Errorf("after deactivating: %v", m)
		}
	})
}

// /llms.txt and the sitemap's priorities, as the TypeScript engine's
// routes/seo.ts writes them.
func TestLLMsTxtAndSitemapPriority(t *testing.T) {
	ct.ForModes(t, func(t *testing.T, e *enginetest.Engine) {
		e.PublishDemo(t)
		r := ct.Browser(t, e, "GET", "/llms.txt", nil)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("%d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		for _, want := range []string{
			"# Acme Edge\n> The Acme demo site\n\n## Pages\n\n",
			"- [About](https://www.acme.example/about)\n",
			"- [Landing](https://www.acme.example/)\n",
			"- [Docs / Getting Started](https://www.acme.example/docs/getting-started)\n",
		} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("llms.txt lacks %q:\n%s", want, r.Body)
			}
		}
		if strings.Contains(r.Body, "members") {
			t.Errorf("llms.txt lists a private page:\n%s", r.Body)
		}
		r = ct.Browser(t, e, "GET", "/sitemap.xml", nil)
		for _, want := range []string{
			"<loc>https://www.acme.example/</loc>",
			"<changefreq>weekly</changefreq><priority>1.0</priority></url>",
			"<changefreq>weekly</changefreq><priority>0.8</priority></url>",
		} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("sitemap lacks %q:\n%s", want, r.Body)
			}
		}
		if strings.Count(r.Body, "<priority>1.0</priority>") != 1 {
			t.Errorf("one homepage expected:\n%s", r.Body)
		}
	})
}

// Routes only the TypeScript engine has answer 501 in the engine's error
// shape (a string error, which callers such as services/bundle.py slice
// with err[:500]), after the system key where the TypeScript engine
// asks for it.
func TestNotSupported(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	key := ct.SystemKeyHeaders(e.Key)
	for _, c := range []struct {
		call    ct.Call
		managed bool
	}{
		// services/engine_deploy.py, Docker redeploy.
		{ct.Call{Method: "POST", Path: "/api/update", JSON: map[string]any{"script_content": "x", "source_hash": "abc", "version": "latest"}}, true},
		// services/bundle.py, with requests and no auth.
		{ct.Call{Method: "POST", Path: "/api/build-bundle", JSON: map[string]any{"adapter_type": "full", "provider": "cloudflare"}}, false},
		{ct.Call{Method: "GET", Path: "/api/source-hash"}, false},
		{ct.Call{Method: "GET", Path: "/api/source-snapshot", Params: map[string][]string{"provider": {"cloudflare"}, "adapter_type": {"full"}}}, false},
		// services/vector/edge_proxy_backend.py, routers/edge_vectors.py.
		{ct.Call{Method: "POST", Path: "/api/vector/upsert", JSON: map[string]any{"collection": "c", "items": []any{}}}, true},
		{ct.Call{Method: "GET", Path: "/api/vector/test"}, true},
		// services/engine_deploy.py _push_standalone_secrets.
		{ct.Call{Method: "POST", Path: "/api/config/secrets", JSON: map[string]any{"FRONTBASE_REDIS_URL": "redis://x"}}, true},
		// routers/edge_engines.py log sync.
		{ct.Call{Method: "POST", Path: "/api/edge-logs", JSON: map[string]any{"logs": []any{}}}, true},
		// The builder's AI test panel and agent profiles.
		{ct.Call{Method: "POST", Path: "/api/agents/v1/chat/completions", JSON: map[string]any{"model": "m", "messages": []any{}}}, false},
		{ct.Call{Method: "GET", Path: "/api/agents/support/v1/models"}, false},
		{ct.Call{Method: "POST", Path: "/api/mcp/support/sse"}, false},
		{ct.Call{Method: "GET", Path: "/api/agent/status/support"}, false},
		{ct.Call{Method: "POST", Path: "/api/agent-tools", JSON: map[string]any{}}, true},
		{ct.Call{Method: "GET", Path: "/api/queue/stats"}, true},
		// The datasource proxy's other routes (data_test.go covers the rest).
		{ct.Call{Method: "POST", Path: "/api/data/clear-cache"}, true},
		{ct.Call{Method: "GET", Path: "/api/data/users/1"}, true},
		{ct.Call{Method: "GET", Path: "/api/embed/embed.js"}, false},
		{ct.Call{Method: "GET", Path: "/api/realtime/ws/0000"}, false},
		{ct.Call{Method: "GET", Path: "/api/openapi.json"}, false},
		// services/gpu_adapters.py inference test.
		{ct.Call{Method: "POST", Path: "/v1/chat/completions", JSON: map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": "hi"}}, "max_tokens": 10}}, false},
	} {
		if c.managed {
			if r := ct.ControlPlane(t, e, c.call); r.Status != http.StatusUnauthorized {
				t.Errorf("%s %s without the key: %d %s", c.call.Method, c.call.Path, r.Status, r.Body)
			}
		}
		c.call.Headers = key
		r := ct.ControlPlane(t, e, c.call)
		if r.Status != http.StatusNotImplemented {
			t.Errorf("%s %s: %d %s", c.call.Method, c.call.Path, r.Status, r.Body)
			continue
		}
		m := r.JSON(t)
		msg, _ := m["error"].(string)
		if m["success"] != false || m["code"] != "NotSupported" || !strings.Contains(msg, "is not supported by this engine") {
			t.Errorf("%s %s: %s", c.call.Method, c.call.Path, r.Body)
		}
	}
	// Unknown routes stay 404.
	if r := ct.ControlPlane(t, e, ct.Call{Method: "GET", Path: "/api/nothing-here", Headers: key}); r.Status != 404 {
		t.Errorf("unknown route: %d", r.Status)
	}
}

// GET /api/health as routers/engine_inspector.py health_check sends it
// (httpx, headers={"x-system-key": key}); it hands resp.json() to the
// builder's HealthCheckPopover.tsx, which reads status ("ok" is healthy),
// version, provider, uptime_seconds, timestamp and
// bindings.{name}.{provider,status,error}.
func TestHealthForTheInspector(t *testing.T) {
	ct.ForModes(t, func(t *testing.T, e *enginetest.Engine) {
		r := ct.ControlPlane(t, e, ct.Call{Method: "GET", Path: "/api/health", Headers: ct.SystemKeyHeaders(e.Key)})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		m := r.JSON(t)
		ct.Expect(t, m, map[string]string{
			"status": "string", "version": "string", "provider": "string", "uptime_seconds": "number", "timestamp": "string",
			"bindings.stateDb.provider": "string", "bindings.stateDb.status": "string",
			"bindings.cache.provider": "string", "bindings.cache.status": "string",
			"bindings.queue.status": "string",
		})
		if m["status"] != "ok" {
			t.Errorf("status: %s", r.Body)
		}
		wantCache := "not_configured"
		if e.Servers != nil {
			wantCache = "ok"
		}
		if got, _ := ct.Field(m, "bindings.cache.status"); got != wantCache {
			t.Errorf("bindings.cache.status = %v, want %s", got, wantCache)
		}
		if got, _ := ct.Field(m, "bindings.stateDb.status"); got != "ok" {
			t.Errorf("bindings.stateDb.status = %v", got)
		}
	})
}
