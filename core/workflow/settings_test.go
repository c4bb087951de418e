package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

// deployBody is a deploy as the control plane's _build_deploy_payload
// builds it (fastapi-backend/app/routers/actions.py), settings included
// as sent.
func deployBody(settings string) []byte {
	return []byte(`{"id": "wf", "name": "Guarded", "description": null, "triggerType": "manual", "triggerConfig": {},
		"nodes": [{"id": "t", "type": "trigger", "data": {"type": "trigger"}}], "edges": [],
		"settings": ` + settings + `, "isActive": true, "publishedBy": null, "tenantSlug": "_default"}`)
}

func TestSettingsAsTheControlPlaneSendsThem(t *testing.T) {
	def := DefaultSettings()
	cases := []struct {
		name     string
		settings string
		want     Settings
		errPaths []string
	}{
		{"null", `null`, def, nil},
		{"json.dumps string, snake_case", `"{\"rate_limit_enabled\": true, \"rate_limit_max\": 5, \"debounce_ms\": 1500, \"cooldown_ms\": 2000, \"execution_timeout_ms\": 45000, \"concurrency_limit\": 2, \"execution_priority\": \"normal\", \"timezone\": \"UTC\", \"queue_enabled\": true, \"retry_count\": 4, \"retry_backoff\": \"linear\", \"dlq_enabled\": true, \"log_level\": \"errors\"}"`,
			Settings{RateLimitEnabled: true, RateLimitMax: 5, Debounce: 1500 * time.Millisecond, Cooldown: 2 * time.Second,
				Timeout: 45 * time.Second, Concurrency: 2, QueueEnabled: true, RetryCount: 4, RetryBackoff: "linear", DLQEnabled: true, LogLevel: "errors"}, nil},
		{"object, camelCase", `{"rateLimitEnabled": false, "rateLimitMax": 7, "cooldownMs": 100, "executionTimeoutMs": 1000, "concurrencyLimit": 1, "logLevel": "none"}`,
			Settings{RateLimitEnabled: false, RateLimitMax: 7, Cooldown: 100 * time.Millisecond, Timeout: time.Second, Concurrency: 1,
				RetryCount: 3, RetryBackoff: "exponential", LogLevel: "none"}, nil},
		{"snake_case wins over camelCase", `{"rate_limit_max": 9, "rateLimitMax": 2}`, func() Settings { s := def; s.RateLimitMax = 9; return s }(), nil},
		{"older names", `{"rateLimitPerMinute": 10, "maxConcurrent": 4, "timeoutMs": 500}`,
			func() Settings {
				s := def
				s.RateLimitMax, s.Concurrency, s.Timeout = 10, 4, 500*time.Millisecond
				return s
			}(), nil},
		{"numeric strings from form inputs", `{"rate_limit_max": "12"}`, func() Settings { s := def; s.RateLimitMax = 12; return s }(), nil},
		{"zero keeps the defaults", `"{\"rate_limit_max\": 0, \"execution_timeout_ms\": 0}"`, def, nil},
		{"empty string", `""`, def, nil},
		{"invalid values", `{"rate_limit_max": -1, "cooldown_ms": "soon", "rate_limit_enabled": "maybe", "log_level": "loud", "retry_count": 99, "execution_timeout_ms": 1.5}`, def,
			[]string{"settings.rate_limit_enabled", "settings.rate_limit_max", "settings.cooldown_ms", "settings.execution_timeout_ms", "settings.retry_count", "settings.log_level"}},
		{"a string that holds no object", `"[1,2]"`, def, []string{"settings"}},
		{"a number", `5`, def, []string{"settings"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := Decode(deployBody(c.settings))
			if err != nil {
				t.Fatal(err)
			}
			g, is := Parse(w)
			var paths []string
			for _, e := range is.Errors {
				paths = append(paths, e.Path)
			}
			if strings.Join(paths, ",") != strings.Join(c.errPaths, ",") {
				t.Fatalf("errors at %v, want %v (%v)", paths, c.errPaths, is.Errors)
			}
			if c.errPaths == nil && g.Opts != c.want {
				t.Errorf("settings %+v, want %+v", g.Opts, c.want)
			}
			if c.errPaths == nil && len(w.Settings) > 0 && w.Settings[0] != '{' {
				t.Errorf("stored settings %s, want an object", w.Settings)
			}
		})
	}
}

func TestExecutionTimeoutSetting(t *testing.T) {
	g := &Graph{Opts: Settings{Timeout: 2 * time.Second}}
	if got := (&Runner{}).timeoutFor(g); got != 2*time.Second {
		t.Errorf("execution_timeout_ms 2000: %s", got)
	}
	if got := (&Runner{}).timeoutFor(&Graph{}); got != DefaultTimeout {
		t.Errorf("unset: %s", got)
	}
	if got := (&Runner{Timeout: time.Second}).timeoutFor(g); got != time.Second {
		t.Errorf("operator cap 1s: %s", got)
	}
	if got := (&Runner{}).timeoutFor(&Graph{Opts: Settings{Timeout: time.Hour}}); got != MaxTimeout {
		t.Errorf("an hour: %s", got)
	}
}

// guardStore is a memStore that also keeps the deployed workflow.
func guardService(t *testing.T, settings string, opts Options) (*Service, *memStore) {
	t.Helper()
	store := &memStore{wfs: map[string]*core.StoredWorkflow{}, execs: map[string]*core.Execution{}}
	w, err := Decode(deployBody(settings))
	if err != nil {
		t.Fatal(err)
	}
	store.wfs["wf"] = &core.StoredWorkflow{Workflow: w, Version: 1}
	return New(store, opts), store
}

func guardName(err error) string {
	var g *GuardError
	if errors.As(err, &g) {
		if core.ErrorCode(err) != core.ETOOMANY {
			return "not ETOOMANY"
		}
		return g.Name
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestGuardsAnswerThePeersNames(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		settings string
		kind     string
		want     []string // per run
	}{
		{"default rate limit 60/min", `null`, "manual", append(make([]string, 60), GuardRateLimited)},
		{"rate_limit_max", `"{\"rate_limit_max\": 2}"`, "manual", []string{"", "", GuardRateLimited}},
		{"rate limit off", `"{\"rate_limit_enabled\": false, \"rate_limit_max\": 1}"`, "manual", []string{"", "", ""}},
		{"rate limit off does not free page visitors", `"{\"rate_limit_enabled\": false, \"rate_limit_max\": 1}"`, "ui_event", []string{"", GuardRateLimited}},
		{"debounce", `"{\"debounce_ms\": 60000}"`, "manual", []string{"", GuardDebounced, GuardDebounced}},
		{"cooldown after success", `"{\"cooldown_ms\": 60000}"`, "manual", []string{"", GuardCoolDown}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A fixed clock in the middle of a minute: one rate-limit window.
			at := time.Date(2026, 1, 1, 10, 0, 30, 0, time.UTC)
			svc, _ := guardService(t, c.settings, Options{Now: func() time.Time { return at }})
			for i, want := range c.want {
				g, sw, err := svc.Load(ctx, "wf")
				if err != nil {
					t.Fatal(err)
				}
				actx, adm := TrackAdmission(ctx)
				_, err = svc.run(actx, g, sw, c.kind, nil)
				if got := guardName(err); got != want {
					t.Fatalf("run %d: %q, want %q", i+1, got, want)
				}
				if want == "" && g.Opts.RateLimitEnabled && c.kind == "manual" && adm.RateLimitRemaining != g.Opts.RateLimitMax-int64(i)-1 {
					t.Errorf("run %d: remaining %d", i+1, adm.RateLimitRemaining)
				}
			}
		})
	}
}

func TestCooldownStartsAfterASuccessOnly(t *testing.T) {
	ctx := context.Background()
	// A failing workflow: a transform that reads nothing it can.
	svc, store := guardService(t, `"{\"cooldown_ms\": 60000}"`, Options{})
	w := store.wfs["wf"].Workflow
	w.Nodes = json.RawMessage(`[{"id":"t","type":"trigger","data":{"type":"trigger"}},
		{"id":"h","type":"http_request","data":{"type":"http_request","inputs":[{"name":"url","value":"http://127.0.0.1:1/"}]}}]`)
	w.Edges = json.RawMessage(`[{"source":"t","target":"h"}]`)
	for i := range 3 {
		e, err := svc.Execute(ctx, "wf", "manual", nil)
		if err != nil || e.Status != core.ExecError {
			t.Fatalf("failed run %d: %v %v", i+1, err, e)
		}
	}
}

func TestRetryCountRetriesFailedBackgroundRuns(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var waits []time.Duration
	sleep := func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		return nil
	}
	failing := func(svc *Service, store *memStore) {
		w := store.wfs["wf"].Workflow
		w.Nodes = json.RawMessage(`[{"id":"t","type":"trigger","data":{"type":"trigger"}},
			{"id":"h","type":"http_request","data":{"type":"http_request","inputs":[{"name":"url","value":"http://127.0.0.1:1/"}]}}]`)
		w.Edges = json.RawMessage(`[{"source":"t","target":"h"}]`)
	}
	cases := []struct {
		name, settings, kind string
		runs                 int
		waits                string
	}{
		{"queue and 3 retries, exponential", `"{\"queue_enabled\": true, \"retry_count\": 3, \"rate_limit_enabled\": false}"`, "http_webhook", 4, "1s,2s,4s"},
		{"linear", `"{\"queue_enabled\": true, \"retry_count\": 2, \"retry_backoff\": \"linear\", \"rate_limit_enabled\": false}"`, "scheduled", 3, "1s,2s"},
		{"no queue: no retries", `"{\"retry_count\": 3}"`, "http_webhook", 1, ""},
		{"manual runs are not retried", `"{\"queue_enabled\": true, \"retry_count\": 3}"`, "manual", 1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			waits = nil
			svc, store := guardService(t, c.settings, Options{Sleep: sleep})
			failing(svc, store)
			e, err := svc.Execute(ctx, "wf", c.kind, nil)
			if err != nil || e.Status != core.ExecError {
				t.Fatalf("%v %v", err, e)
			}
			if len(store.execs) != c.runs {
				t.Errorf("%d execution records, want %d", len(store.execs), c.runs)
			}
			var got []string
			for _, d := range waits {
				got = append(got, d.String())
			}
			if strings.Join(got, ",") != c.waits {
				t.Errorf("waits %v, want %s", got, c.waits)
			}
		})
	}
}
