package workflow

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frontbase/edge/core"
)

// Options configure a Service.
type Options struct {
	HTTP    *http.Client   // http_request's client; NewHTTPClient(nil) when nil
	Cache   core.Cache     // counts guards across instances; nil: in process
	Env     map[string]any // $env: only what FRONTBASE_WORKFLOW_ENV_ALLOW lists
	Timeout time.Duration  // per execution; DefaultTimeout when 0
	// Parallel bounds the nodes of one execution running at once
	// (DefaultParallel when 0).
	Parallel int
	// Retention of execution records (retention.go); nil: DefaultRetention.
	// Pruner deletes them; nil: nothing is pruned.
	Retention *Retention
	Pruner    ExecutionPruner
	// PublicPerMinute bounds /api/public/execute per client (default 60).
	PublicPerMinute int
	Logger          *slog.Logger
	Now             func() time.Time
	// DataSources are the configured databases by name (data_request,
	// data_change_trigger); Cursors keeps the data_change_trigger cursors
	// (the state store).
	DataSources map[string]DataSource
	Cursors     CursorStore
	// Sleep waits between retries (retry.go); nil: a timer that stops
	// early when ctx ends. Tests inject one.
	Sleep func(ctx context.Context, d time.Duration) error
	// Secrets resolve $secrets (secrets.go); nil: $secrets is null.
	Secrets SecretSource
}

// Store is the part of the state database the actions engine uses: the
// deployed workflows and their execution records.
type Store interface {
	core.WorkflowStore
	core.ExecutionStore
}

// Service deploys and runs workflows over a store.
type Service struct {
	store   Store
	runner  *Runner
	graphs  *boundedCache[*Graph] // by id@version: compiled once per deployed version
	public  *limiter
	replays *replayGuard
	cache   core.Cache
	mem     *memCounter
	data    map[string]DataSource
	cursors CursorStore
	log     *slog.Logger
	now     func() time.Time

	retention Retention // retention.go
	pruner    ExecutionPruner
	sleep     func(ctx context.Context, d time.Duration) error
	live      *Broker // live.go: runs' progress for /api/realtime/sse
}

// New returns a Service.
func New(store Store, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.HTTP == nil {
		opts.HTTP = defaultClient
	}
	if opts.PublicPerMinute <= 0 {
		opts.PublicPerMinute = 60
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Retention == nil {
		opts.Retention = &DefaultRetention
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	live := NewBroker(opts.Now)
	return &Service{
		live:      live,
		retention: *opts.Retention, pruner: opts.Pruner, sleep: opts.Sleep,
		store:   store,
		runner:  &Runner{HTTP: opts.HTTP, Env: opts.Env, Timeout: opts.Timeout, Now: opts.Now, Data: opts.DataSources, Parallel: opts.Parallel, Secrets: opts.Secrets, Live: live},
		data:    opts.DataSources,
		cursors: opts.Cursors,
		graphs:  newBoundedCache[*Graph](1024),
		public:  newLimiter(opts.PublicPerMinute, time.Minute),
		replays: &replayGuard{seen: map[string]time.Time{}},
		cache:   opts.Cache,
		mem:     newMemCounter(),
		log:     opts.Logger,
		now:     opts.Now,
	}
}

// Decode reads a deploy body: the workflow itself, or {"workflow": {...}}.
func Decode(body []byte) (*core.Workflow, error) {
	var wrap struct {
		Workflow json.RawMessage `json:"workflow"`
		Nodes    json.RawMessage `json:"nodes"`
	}
	if err := json.Unmarshal(body, &wrap); err != nil {
		return nil, core.Errorf(core.EINVALID, "the body is not a JSON workflow: %v", err)
	}
	if len(wrap.Workflow) > 0 && len(wrap.Nodes) == 0 {
		body = wrap.Workflow
	}
	var w core.Workflow
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, core.Errorf(core.EINVALID, "the body is not a JSON workflow: %v", err)
	}
	// The control plane sends settings as a JSON string or null: they are
	// stored as the object they hold (settings.go).
	if raw := normalizeSettings(w.Settings); raw == nil || raw[0] == '{' {
		w.Settings = raw
	}
	return &w, nil
}

// Validate checks a workflow without storing it.
func (s *Service) Validate(body []byte) (*Issues, error) {
	w, err := Decode(body)
	if err != nil {
		return nil, err
	}
	g, is := Parse(w)
	g.CheckDataSources(s.data, is)
	return is, nil
}

// DeployResult says what a deploy did.
type DeployResult struct {
	ID       string
	Version  int64
	Warnings []core.FieldError
}

// Deploy validates and stores a workflow as a new version.
func (s *Service) Deploy(ctx context.Context, body []byte) (*DeployResult, error) {
	w, err := Decode(body)
	if err != nil {
		return nil, err
	}
	g, is := Parse(w)
	g.CheckDataSources(s.data, is)
	if err := is.Err(); err != nil {
		return nil, err
	}
	v, err := s.store.SaveWorkflow(ctx, w)
	if err != nil {
		return nil, err
	}
	s.graphs.put(cacheKey(w.ID, v), g)
	return &DeployResult{ID: w.ID, Version: v, Warnings: is.Warnings}, nil
}

func cacheKey(id string, v int64) string { return id + "@" + strconv.FormatInt(v, 10) }

// Load returns a stored workflow's graph, compiled once per version.
func (s *Service) Load(ctx context.Context, id string) (*Graph, *core.StoredWorkflow, error) {
	sw, err := s.store.Workflow(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	key := cacheKey(id, sw.Version)
	if g, ok := s.graphs.get(key); ok {
		// The active flag changes without a new version.
		g2 := *g
		g2.Workflow = sw.Workflow
		return &g2, sw, nil
	}
	g, is := Parse(sw.Workflow)
	if err := is.Err(); err != nil {
		return nil, nil, &core.Error{Code: core.EINVALID, Message: fmt.Sprintf("stored workflow %q (version %d) is not valid for this engine", id, sw.Version), Details: is.Errors}
	}
	s.graphs.put(key, g)
	return g, sw, nil
}

// Live is the broker of this process's runs' progress (live.go).
func (s *Service) Live() *Broker { return s.live }

// Execute runs a workflow once and returns its durable record.
func (s *Service) Execute(ctx context.Context, id, kind string, payload any) (*core.Execution, error) {
	g, sw, err := s.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.run(ctx, g, sw, kind, payload)
}

func (s *Service) run(ctx context.Context, g *Graph, sw *core.StoredWorkflow, kind string, payload any) (*core.Execution, error) {
	return s.runWithID(ctx, g, sw, kind, payload, "")
}

// runWithID runs and records; id, when set, is the execution's id.
func (s *Service) runWithID(ctx context.Context, g *Graph, sw *core.StoredWorkflow, kind string, payload any, id string) (*core.Execution, error) {
	if !sw.Workflow.Active() {
		return nil, core.Errorf(core.ECONFLICT, "workflow %q is inactive; toggle it on to run it", sw.Workflow.ID)
	}
	done, err := s.admit(ctx, sw.Workflow.ID, guardsOf(g, kind, s.runner.timeoutFor(g)))
	if err != nil {
		return nil, err
	}
	// A claimed run keeps its id from the start (live events carry it)
	// unless it may be retried: each attempt is a record of its own.
	first := ""
	if retriesFor(g, kind) == 0 {
		first = id
	}
	exec := s.runner.runAs(ctx, g, kind, payload, first)
	// retry.go: a failed background run is tried again when the workflow
	// asks for it (queue_enabled, retry_count); each attempt is recorded.
	for attempt := 1; exec.Status != core.ExecCompleted && attempt <= retriesFor(g, kind); attempt++ {
		wait := backoff(g.Opts, attempt)
		exec.Logs = append(exec.Logs, core.LogLine{Level: "warn", At: s.now().UTC(),
			Message: fmt.Sprintf("attempt %d of %d failed; retrying in %s", attempt, retriesFor(g, kind)+1, wait)})
		if err := s.record(ctx, g, sw, exec); err != nil {
			done(false)
			return exec, err
		}
		if err := s.sleep(ctx, wait); err != nil {
			done(false)
			return exec, nil // recorded above; the caller's time is up
		}
		exec = s.runner.Run(ctx, g, kind, payload)
	}
	done(exec.Status == core.ExecCompleted)
	if id != "" {
		exec.ID = id
	}
	return exec, s.record(ctx, g, sw, exec)
}

// recordTimeout bounds writing an execution record once its run is over.
// It is longer than a request's own deadline on purpose: the run happened,
// and the store bounds each write itself (SQLite waits for the lock up to
// its 15 s busy_timeout, Turso bounds each request by
// FRONTBASE_STATE_DB_TIMEOUT), so a queue of writers on a busy machine is
// waited out instead of losing the record and answering 503.
const recordTimeout = 15 * time.Second

// recordContext outlives the caller's cancellation: a run that happened is
// recorded even when its caller has gone.
func recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

// record saves an execution and writes its log lines to the engine's log
// as the workflow's log_level allows (all, errors, none).
func (s *Service) record(ctx context.Context, g *Graph, sw *core.StoredWorkflow, exec *core.Execution) error {
	exec.WorkflowVersion = sw.Version
	saveCtx, cancel := recordContext(ctx)
	defer cancel()
	err := s.store.SaveExecution(saveCtx, exec)
	s.publishEnd(exec) // after the save: a client told "completed" reads the record
	if err != nil {
		return err
	}
	s.log.LogAttrs(ctx, slog.LevelDebug, "workflow executed", slog.String("workflowId", exec.WorkflowID),
		slog.String("executionId", exec.ID), slog.String("status", exec.Status))
	for _, l := range exec.Logs {
		level := logLevel(l.Level)
		if g.Opts.LogLevel == "none" || g.Opts.LogLevel == "errors" && level < slog.LevelError {
			continue
		}
		s.log.LogAttrs(ctx, level, l.Message, slog.String("workflowId", exec.WorkflowID),
			slog.String("executionId", exec.ID), slog.String("nodeId", l.NodeID))
	}
	return nil
}

// publishEnd sends the live event that ends exec's stream.
func (s *Service) publishEnd(exec *core.Execution) {
	ran := 0 // nodes that ran, as the TypeScript engine counts them
	for _, ne := range exec.NodeExecutions {
		if ne.Status != core.NodeSkipped {
			ran++
		}
	}
	d := EventData{Nodes: ran, Status: exec.Status}
	typ := EventCompleted
	if exec.Status != core.ExecCompleted {
		typ, d.Error = EventError, exec.Error
	}
	s.live.Publish(s.live.event(typ, exec.ID, exec.WorkflowID, d))
}

func logLevel(s string) slog.Level {
	switch s {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// ExecutePublic runs a ui_event workflow for a page visitor, rate limited
// per client. Workflows with another trigger are not found.
func (s *Service) ExecutePublic(ctx context.Context, id, client string, body []byte) (*core.Execution, error) {
	if !s.public.allow(client, s.now()) {
		return nil, core.Errorf(core.ETOOMANY, "too many workflow runs from this client; try again in a minute")
	}
	g, sw, err := s.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if g.Trigger == nil || g.Trigger.Type != "ui_event_trigger" {
		return nil, core.Errorf(core.ENOTFOUND, "workflow %q not found", id)
	}
	return s.run(ctx, g, sw, "ui_event", UIEventPayload(body, s.now()))
}

// Parameters reads {"parameters": {...}}; an empty body is no parameters.
func Parameters(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	var in struct {
		Parameters map[string]any `json:"parameters"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, core.Errorf(core.EINVALID, "expected {\"parameters\": {...}}: %v", err)
	}
	if in.Parameters == nil {
		in.Parameters = map[string]any{}
	}
	return in.Parameters, nil
}

// UIEventPayload reads a public execute body: {"parameters": {...}}, or
// what the page runtime posts ({trigger, componentId, page, data, url}),
// which becomes the trigger's outputs (eventType, element, value, ...).
func UIEventPayload(body []byte, now time.Time) map[string]any {
	var in map[string]any
	json.Unmarshal(body, &in)
	if p, ok := in["parameters"].(map[string]any); ok {
		return p
	}
	out := map[string]any{"timestamp": now.UTC().Format(time.RFC3339Nano)}
	switch str(in["trigger"]) {
	case "onSubmit", "submit":
		out["eventType"] = "submit"
	case "":
		out["eventType"] = "click"
	default:
		out["eventType"] = strings.ToLower(strings.TrimPrefix(str(in["trigger"]), "on"))
	}
	out["element"] = map[string]any{"id": str(in["componentId"])}
	out["value"] = in["data"]
	out["page"] = in["page"]
	out["url"] = in["url"]
	return out
}

// ---- webhooks

// SignatureTolerance is how far a signed webhook's timestamp may be from now.
const SignatureTolerance = 5 * time.Minute

// Webhook authenticates a webhook request against the workflow's trigger
// and runs it with {headers, query, body}.
func (s *Service) Webhook(ctx context.Context, id string, r *http.Request, body []byte) (*core.Execution, error) {
	g, sw, err := s.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	t := g.Trigger
	if t == nil || t.Type != "webhook_trigger" {
		return nil, core.Errorf(core.ENOTFOUND, "workflow %q has no webhook trigger", id)
	}
	if want := strings.ToUpper(str(t.Inputs["httpMethod"])); want != "" && want != r.Method {
		return nil, core.Errorf(core.EINVALID, "this webhook accepts %s, not %s", want, r.Method)
	}
	if err := checkWebhookAuth(t, r); err != nil {
		return nil, err
	}
	if secret := signingSecret(g); secret != "" {
		if err := s.checkSignature(ctx, id, secret, r.Header.Get("X-Frontbase-Signature"), body); err != nil {
			return nil, err
		}
	}
	// Credentials are not handed to the workflow (nor kept in its record).
	secret := map[string]bool{"authorization": true, "cookie": true, "x-system-key": true, "x-frontbase-signature": true,
		strings.ToLower(str(t.Inputs["headerName"])): true}
	headers := map[string]any{}
	for k, v := range r.Header {
		if k = strings.ToLower(k); !secret[k] {
			headers[k] = strings.Join(v, ", ")
		}
	}
	query := map[string]any{}
	for k, v := range r.URL.Query() {
		query[k] = v[0]
	}
	return s.run(ctx, g, sw, "http_webhook", map[string]any{"headers": headers, "query": query, "body": parseBody(r.Header.Get("Content-Type"), body)})
}

func parseBody(ct string, body []byte) any {
	mt, _, _ := mime.ParseMediaType(ct)
	switch {
	case len(body) == 0:
		return map[string]any{}
	case mt == "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err == nil {
			out := map[string]any{}
			for k, v := range vals {
				out[k] = v[0]
			}
			return out
		}
	case strings.Contains(mt, "json") || mt == "":
		var v any
		if json.Unmarshal(body, &v) == nil {
			return v
		}
	}
	return string(body)
}

// equalSecret compares in constant time (hashes make it constant in the
// length too).
func equalSecret(given, want string) bool {
	a, b := sha256.Sum256([]byte(given)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func checkWebhookAuth(t *Node, r *http.Request) error {
	switch str(t.Inputs["authentication"]) {
	case "header":
		name, want := str(t.Inputs["headerName"]), str(t.Inputs["headerValue"])
		given := r.Header.Get(name)
		if given == "" || !equalSecret(given, want) {
			return core.Errorf(core.EUNAUTHORIZED, "missing or wrong %s header", name)
		}
	case "basic":
		user, pass, ok := r.BasicAuth()
		// Both comparisons always run.
		u, p := equalSecret(user, str(t.Inputs["username"])), equalSecret(pass, str(t.Inputs["password"]))
		if !ok || !u || !p {
			return core.Errorf(core.EUNAUTHORIZED, "missing or wrong basic credentials")
		}
	}
	return nil
}

// signingSecret is the workflow's webhook signing secret: settings
// webhookSecret, or the trigger's signingSecret input.
func signingSecret(g *Graph) string {
	if s, ok := g.Settings["webhookSecret"].(string); ok && s != "" {
		return s
	}
	return str(g.Trigger.Inputs["signingSecret"])
}

// Sign returns an X-Frontbase-Signature value for body at time t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

func (s *Service) checkSignature(ctx context.Context, id, secret, header string, body []byte) error {
	var ts, sig string
	for _, f := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	if ts == "" || sig == "" {
		return core.Errorf(core.EUNAUTHORIZED, "missing X-Frontbase-Signature: t=<unix>,v1=<hex hmac-sha256 of \"t.body\">")
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return core.Errorf(core.EUNAUTHORIZED, "X-Frontbase-Signature: t is not a unix time")
	}
	now := s.now()
	if d := now.Sub(time.Unix(unix, 0)); d > SignatureTolerance || d < -SignatureTolerance {
		return core.Errorf(core.EUNAUTHORIZED, "X-Frontbase-Signature: timestamp is more than %s away from now", SignatureTolerance)
	}
	want := Sign(secret, time.Unix(unix, 0), body)
	if !hmac.Equal([]byte(want), []byte("t="+ts+",v1="+strings.ToLower(sig))) {
		return core.Errorf(core.EUNAUTHORIZED, "X-Frontbase-Signature does not match the body")
	}
	if !s.firstDelivery(ctx, id, strings.ToLower(sig), time.Unix(unix, 0), now) { // replay.go
		return core.Errorf(core.EUNAUTHORIZED, "X-Frontbase-Signature was already used (replay refused)")
	}
	return nil
}

// replayGuard remembers signatures seen within the tolerance window (per
// instance; firstDelivery uses the shared cache when there is one).
type replayGuard struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (g *replayGuard) first(key string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.seen) > 100_000 {
		for k, at := range g.seen {
			if now.Sub(at) > 2*SignatureTolerance {
				delete(g.seen, k)
			}
		}
	}
	if at, ok := g.seen[key]; ok && now.Sub(at) <= 2*SignatureTolerance {
		return false
	}
	g.seen[key] = now
	return true
}

// limiter is a fixed-window counter per client, in process.
type limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	counts map[string]*windowCount
}

type windowCount struct {
	start time.Time
	n     int
}

func newLimiter(limit int, window time.Duration) *limiter {
	return &limiter{limit: limit, window: window, counts: map[string]*windowCount{}}
}

func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.counts[key]
	if c == nil || now.Sub(c.start) >= l.window {
		if len(l.counts) > 50_000 {
			for k, old := range l.counts {
				if now.Sub(old.start) >= l.window {
					delete(l.counts, k)
				}
			}
		}
		c = &windowCount{start: now}
		l.counts[key] = c
	}
	c.n++
	return c.n <= l.limit
}
