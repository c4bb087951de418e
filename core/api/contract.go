package api

// The small routes of the Frontbase control plane's contract that the
// publish and workflow routes do not cover: import status, cache
// management, the engine manifest, the UI-event triggers the published
// page's script reads, and a 501 for every route only the TypeScript
// engine's bundle or its AI, vector and MCP features answer
// (docs/control-plane-contract.md lists them all).

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/core/site"
)

// Manifest is what GET /api/manifest reports about the engine; the engine
// wiring fills it from the configuration.
type Manifest struct {
	EngineName string            // FRONTBASE_ENGINE_NAME, default "frontbase-edge"
	Platform   string            // docker, aws-lambda, gcp-functions, vercel
	Bindings   map[string]string // db, cache, queue: the kind of each, never credentials
}

func (h *handler) contractRoutes(mux *http.ServeMux) {
	mux.Handle("GET /api/import/status", h.managed(h.importStatus))
	mux.Handle("GET /api/cache/test", h.managed(h.cacheTest))
	mux.Handle("GET /api/cache/stats", h.managed(h.cacheStats))
	mux.Handle("POST /api/cache/flush", h.managed(h.cacheFlush))
	mux.Handle("POST /api/cache/invalidate", h.managed(h.cacheInvalidate))
	mux.Handle("GET /api/manifest", h.managed(h.manifest))
	ui := &uiEvents{h: h}
	mux.HandleFunc("GET /api/public/ui-events", ui.serve)

	// Routes of the TypeScript engine this engine does not have. Patterns
	// without a method (but one: /v1/ holds pages for GET) and ending in
	// "/", so that any route another file registers under them is more
	// specific and wins. Where the TypeScript
	// engine asks for the system key, so does this answer.
	for _, r := range []struct {
		pattern string
		managed bool
	}{
		{"/api/update", true},           // self-update of the Docker bundle
		{"/api/update/", true},          //
		{"/api/build-bundle", false},    // builds the TypeScript edge bundles
		{"/api/source-snapshot", false}, // the TypeScript engine's own source
		{"/api/source-hash", false},     //
		{"/api/vector/", true},          // embedded LanceDB (Docker only)
		{"/api/agents/", false},         // OpenAI-compatible inference, agent profiles
		{"/api/agent/", false},          // agent chat
		{"/api/agent-tools", true},      // agent tool registry
		{"/api/agent-tools/", true},     //
		{"/api/mcp/", false},            // MCP server
		{"/api/queue/", true},           // QStash / CF Queue consumer (core/tick schedules here)
		{"/api/edge-logs", true},        // log store for the provider's log sync
		{"/api/edge-logs/", true},       //
		{"/api/data/", true},            // datasource proxy of the TypeScript page client
		{"/api/data/execute", false},    // public in the TypeScript engine: the page's data components call it
		{"/api/embed/", false},          // embeddable auth forms
		{"/api/realtime/", false},       // execution streaming (SSE, WebSocket)
		{"/api/email-webhook/", false},  // inbound email triggers
		{"/api/config", true},           // the Docker engine's encrypted local vault of FRONTBASE_* variables:
		{"/api/config/", true},          // this engine reads its configuration from the environment at start
		{"/api/openapi.json", false},    // the TypeScript engine's OpenAPI document
		{"/api/docs", false},            // and its Swagger UI
		// services/gpu_adapters.py tests inference at /v1/chat/completions
		// (the TypeScript engine serves it under /api/agents/v1).
		{"POST /v1/", false},
	} {
		path := r.pattern
		if _, p, ok := strings.Cut(r.pattern, " "); ok {
			path = p
		}
		route := strings.TrimSuffix(path, "/")
		var next http.Handler = notSupported(route)
		if r.managed {
			next = h.managed(next.ServeHTTP)
		}
		mux.Handle(r.pattern, next)
	}
}

// notSupported answers 501 for a route of the TypeScript engine.
func notSupported(route string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := route
		if r.URL.Path != route {
			name = route + "/*"
		}
		writeJSON(w, http.StatusNotImplemented, wire.NotSupported{
			Code:  "NotSupported",
			Error: fmt.Sprintf("%s %s is not supported by this engine", r.Method, name),
		})
	}
}

// importStatus: the control plane's readiness probe of the import API.
func (h *handler) importStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, wire.ImportStatus{Status: "ok", Ready: true})
}

// cacheTest pings the shared cache, as the TypeScript engine's Redis test.
func (h *handler) cacheTest(w http.ResponseWriter, r *http.Request) {
	st := h.site.CacheState(r.Context())
	switch st.Shared.Status {
	case "none":
		writeJSON(w, http.StatusOK, wire.CacheTest{Message: "Redis not configured"})
	case "ok":
		writeJSON(w, http.StatusOK, wire.CacheTest{Success: true, Message: "Redis connection OK", LatencyMs: &st.Shared.LatencyMs})
	default:
		writeJSON(w, http.StatusOK, wire.CacheTest{Message: "Redis connection failed: " + st.Shared.Error})
	}
}

// cacheStats reports both cache tiers: the fields the TypeScript engine
// answers (configured, connected, message) and this engine's own.
func (h *handler) cacheStats(w http.ResponseWriter, r *http.Request) {
	st := h.site.CacheState(r.Context())
	body := wire.CacheStats{Success: true, Configured: st.Shared.Status != "none", L1: st.L1, Shared: dependency(st.Shared)}
	connected := st.Shared.Status == "ok"
	switch st.Shared.Status {
	case "none":
		body.Message = "Redis not configured: only the in-process cache (L1) is in use. Set FRONTBASE_REDIS_URL to share one."
	case "ok":
		body.Connected, body.Message = &connected, "Redis connection OK"
	default:
		body.Connected, body.Message = &connected, "Redis connection failed: "+st.Shared.Error
	}
	writeJSON(w, http.StatusOK, body)
}

// cacheFlush drops every cached response of the tenant (core/site/flush.go
// says what that leaves alone and why).
func (h *handler) cacheFlush(w http.ResponseWriter, r *http.Request) {
	res, err := h.site.DropCached(r.Context(), nil)
	if err != nil {
		writeError(w, r, err)
		return
	}
	msg := "All cache entries flushed"
	if !res.Shared {
		msg = "In-process cache flushed (no shared cache configured)"
	}
	writeJSON(w, http.StatusOK, cacheDropped(msg, res))
}

func (h *handler) cacheInvalidate(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	// The TypeScript engine's body: one of key and pattern. Here they name
	// public paths: key "/about" (or "about"), pattern "/blog/*" (or
	// "blog/*"); "*" is every path.
	var req wire.InvalidateRequest
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, r, &core.Error{Code: core.EINVALID, Message: "the body is not a JSON object {key} or {pattern}", Err: err,
				Details: []core.FieldError{{Path: "$", Message: "expected a JSON object"}}})
			return
		}
	}
	match, what, err := invalidateMatcher(req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	res, err := h.site.DropCached(r.Context(), match)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cacheDropped("Invalidated "+what, res))
}

func cacheDropped(msg string, res *site.DropResult) wire.CacheDropped {
	return wire.CacheDropped{Success: true, Message: msg, L1Dropped: res.L1Dropped, L2Deleted: res.L2Deleted, Complete: res.Complete}
}

// dependency is a store's or cache's state as the API reports it.
func dependency(d site.Dependency) wire.Dependency {
	return wire.Dependency{Status: d.Status, LatencyMs: d.LatencyMs, Error: d.Error, Breaker: d.Breaker}
}

func invalidateMatcher(req wire.InvalidateRequest) (match func(string) bool, what string, err error) {
	invalid := func(field, msg string) error {
		return &core.Error{Code: core.EINVALID, Message: field + ": " + msg, Details: []core.FieldError{{Path: field, Message: msg}}}
	}
	switch {
	case req.Key != nil && strings.TrimSpace(*req.Key) != "":
		want := "/" + strings.TrimPrefix(strings.TrimSpace(*req.Key), "/")
		return func(p string) bool { return p == want }, "key: " + want, nil
	case req.Pattern != nil && strings.TrimSpace(*req.Pattern) != "":
		pat := strings.TrimSpace(*req.Pattern)
		if pat == "*" || pat == "/*" {
			return nil, "pattern: *", nil
		}
		pat = "/" + strings.TrimPrefix(pat, "/")
		if _, err := path.Match(pat, "/"); err != nil {
			return nil, "", invalid("pattern", "not a valid glob pattern: "+err.Error())
		}
		return func(p string) bool { ok, _ := path.Match(pat, p); return ok }, "pattern: " + pat, nil
	case req.Key != nil:
		return nil, "", invalid("key", "must not be empty")
	case req.Pattern != nil:
		return nil, "", invalid("pattern", "must not be empty")
	}
	return nil, "", invalid("key", "provide key (a path such as \"/about\") or pattern (a glob such as \"/blog/*\")")
}

// healthContractFields adds the fields of the TypeScript engine's health
// answer that the builder's health popover shows (provider, uptime_seconds,
// timestamp, bindings.{stateDb,cache,queue}.{provider,status,error}) to an
// authenticated health answer.
func (h *handler) healthContractFields(body *wire.Health, store, sharedCache site.Dependency) {
	m := h.opts.Manifest
	service, provider := "frontbase-edge", cmp.Or(m.Platform, "docker")
	timestamp := time.Now().UTC().Format(time.RFC3339)
	body.Service, body.Provider, body.Timestamp = &service, &provider, &timestamp
	body.UptimeSecondsTS = body.UptimeSeconds
	binding := func(kind string, d site.Dependency) wire.Binding {
		b := wire.Binding{Provider: cmp.Or(m.Bindings[kind], "none")}
		switch d.Status {
		case "ok":
			b.Status = "ok"
		case "none":
			b.Status = "not_configured"
		default:
			b.Status, b.Error = "error", &d.Error
		}
		return b
	}
	body.Bindings = &wire.HealthBindings{
		StateDB: binding("db", store),
		Cache:   binding("cache", sharedCache),
		Queue:   binding("queue", site.Dependency{Status: "none"}),
	}
}

// manifest describes the engine, in the TypeScript engine's fields. It has
// no GPU models, and no deploy time or bundle checksum: the control plane
// copies those two into its records when set, and this engine is not
// deployed as a bundle the control plane builds.
func (h *handler) manifest(w http.ResponseWriter, r *http.Request) {
	m := h.opts.Manifest
	name := m.EngineName
	if name == "" {
		name = "frontbase-edge"
	}
	platform := m.Platform
	if platform == "" {
		platform = "docker"
	}
	bindings := map[string]string{"db": "none", "cache": "none", "queue": "none"}
	for k, v := range m.Bindings {
		bindings[k] = v
	}
	writeJSON(w, http.StatusOK, wire.Manifest{
		EngineName:       name,
		FrontbaseVersion: h.opts.Version,
		AdapterType:      "full",
		Platform:         platform,
		Capabilities:     []string{"workflows", "ssr"},
		TechStack:        wire.TechStack{Runtime: "Go", Framework: "net/http", Templating: "Liquid (osteele/liquid)"},
		GPUModels:        []wire.GPUModel{},
		Bindings:         bindings,
	})
}

// uiEvents answers GET /api/public/ui-events from the active workflows
// whose trigger is a ui_event_trigger with a selector. The answer is kept
// until the list of workflows (ids, versions, active flags) changes, so a
// request costs one store query, not one per workflow.
type uiEvents struct {
	h    *handler
	mu   sync.Mutex
	sig  string
	list []wire.UIEventTrigger
}

func (u *uiEvents) serve(w http.ResponseWriter, r *http.Request) {
	triggers := []wire.UIEventTrigger{}
	if wf := u.h.opts.Workflows; wf != nil {
		sums, err := wf.ListWorkflows(r.Context())
		if err != nil {
			writeError(w, r, err)
			return
		}
		sort.Slice(sums, func(i, j int) bool { return sums[i].ID < sums[j].ID })
		var sig strings.Builder
		for _, s := range sums {
			if s.IsActive {
				sig.WriteString(s.ID + "@" + strconv.FormatInt(s.Version, 10) + "\n")
			}
		}
		u.mu.Lock()
		cached, ok := u.list, u.sig == sig.String() && u.list != nil
		u.mu.Unlock()
		if ok {
			triggers = cached
		} else {
			for _, s := range sums {
				if !s.IsActive {
					continue
				}
				g, sw, err := wf.Load(r.Context(), s.ID)
				if err != nil {
					if core.ErrorCode(err) == core.EUNAVAILABLE {
						writeError(w, r, err)
						return
					}
					continue // deleted since listed, or not valid here: it cannot run anyway
				}
				if sw.Workflow.IsActive != nil && !*sw.Workflow.IsActive {
					continue
				}
				for _, n := range g.Nodes {
					if n.Type != "ui_event_trigger" {
						continue
					}
					sel := inputString(n.Inputs["elementSelector"], "")
					if strings.TrimSpace(sel) == "" {
						continue // binds to nothing
					}
					triggers = append(triggers, wire.UIEventTrigger{
						WorkflowID: sw.Workflow.ID, WorkflowName: sw.Workflow.Name,
						EventType:        inputString(n.Inputs["eventType"], "click"),
						ElementSelector:  sel,
						DebounceMs:       inputNumber(n.Inputs["debounceMs"]),
						ThrottleMs:       inputNumber(n.Inputs["throttleMs"]),
						CaptureEventData: inputBool(n.Inputs["captureEventData"], true),
						PreventDefault:   inputBool(n.Inputs["preventDefault"], false),
						StopPropagation:  inputBool(n.Inputs["stopPropagation"], false),
						KeyFilter:        inputString(n.Inputs["keyFilter"], ""),
					})
				}
			}
			u.mu.Lock()
			u.sig, u.list = sig.String(), triggers
			u.mu.Unlock()
		}
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// As the TypeScript engine: fresh for a minute, usable stale for a day,
	// so the page's script keeps working while it revalidates.
	w.Header().Set("Cache-Control", "public, max-age=60, stale-while-revalidate=86400")
	json.NewEncoder(w).Encode(wire.UIEvents{Triggers: triggers, Count: len(triggers)})
}

// The builder stores node inputs as strings or as typed values; these read
// them the way the TypeScript engine does.
func inputString(v any, def string) string {
	switch t := v.(type) {
	case nil:
		return def
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func inputNumber(v any) float64 {
	switch t := v.(type) {
	case float64:
		return t
	case bool:
		if t {
			return 1
		}
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(t), 64); err == nil {
			return f
		}
		if strings.TrimSpace(t) == "" {
			return 0 // Number("") is 0
		}
	}
	return 0
}

func inputBool(v any, def bool) bool {
	switch t := v.(type) {
	case nil:
		return def
	case bool:
		return t
	}
	return strings.EqualFold(strings.TrimSpace(inputString(v, "")), "true")
}
