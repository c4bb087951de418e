package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/secrets"
)

type fakeSecrets struct {
	res   *secrets.Resolved
	err   error
	calls atomic.Int64
}

func (f *fakeSecrets) Resolve(context.Context) (*secrets.Resolved, error) {
	f.calls.Add(1)
	return f.res, f.err
}

const testAPIKey = "re_live_7Hq2mXv9PzL4"

func secretValues() map[string]any {
	return map[string]any{"integrations": map[string]any{"acct_1": map[string]any{"provider": "resend", "api_key": testAPIKey}}}
}

// TestSecretsReachNodesButNeverTheRecord: a secret goes out in a header,
// comes back in the response, is logged, set as a variable and put in the
// result; the request carries it, the record holds none of it.
func TestSecretsReachNodesButNeverTheRecord(t *testing.T) {
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"echo": r.Header.Get("Authorization")})
	})
	g := mustParse(t, build(t, []nd{
		{id: "t", typ: "trigger"},
		{id: "h", typ: "http_request", in: map[string]any{"url": tg.URL + "/send", "sendHeaders": true,
			"headers": []any{map[string]any{"name": "Authorization", "value": "Bearer {{ $secrets.integrations.acct_1.api_key }}"}}}},
		{id: "l", typ: "log", in: map[string]any{"message": "key={{ $secrets.integrations.acct_1.api_key }} all={{ $secrets }}"}},
		{id: "v", typ: "set_variable", in: map[string]any{"key": "k", "value": "{{ $secrets.integrations }}"}},
		{id: "r", typ: "http_response", in: map[string]any{"body": `{"got": "{{ $node.h.data.echo }}", "provider": "{{ $secrets.integrations.acct_1.provider }}"}`}},
	}, "t->h", "h->l", "l->v", "v->r"))
	src := &fakeSecrets{res: &secrets.Resolved{Values: secretValues()}}
	r := runnerFor(t, tg)
	r.Secrets = src
	e := r.Run(context.Background(), g, "manual", nil)
	if e.Status != core.ExecCompleted {
		t.Fatalf("status %s: %s", e.Status, e.Error)
	}
	if got := tg.last.Load().Header.Get("Authorization"); got != "Bearer "+testAPIKey {
		t.Fatalf("the request carried %q", got)
	}
	doc, _ := json.Marshal(e)
	if strings.Contains(string(doc), testAPIKey) || strings.Contains(string(doc), "resend") {
		t.Fatalf("a secret is in the record: %s", doc)
	}
	if !strings.Contains(string(doc), redactedMark) {
		t.Fatalf("nothing was redacted: %s", doc)
	}
	if e.Logs[0].Message != "key="+redactedMark+" all="+`{"integrations":{"acct_1":{"api_key":"[redacted]","provider":"[redacted]"}}}` {
		t.Fatalf("log = %q", e.Logs[0].Message)
	}
	// The cached values the source handed out are untouched.
	if src.res.Values["integrations"].(map[string]any)["acct_1"].(map[string]any)["api_key"] != testAPIKey {
		t.Fatal("the run changed the source's values")
	}
}

func TestSecretsErrorsCarryNoSecret(t *testing.T) {
	tg := newTarget(t, nil)
	// The secret lands in the URL of a request the allow-list refuses:
	// the node's error names the URL.
	g := mustParse(t, build(t, []nd{
		{id: "t", typ: "trigger"},
		{id: "h", typ: "http_request", in: map[string]any{"url": "https://blocked.example/{{ $secrets.integrations.acct_1.api_key }}"}},
	}, "t->h"))
	r := runnerFor(t, tg)
	r.Secrets = &fakeSecrets{res: &secrets.Resolved{Values: secretValues()}}
	e := r.Run(context.Background(), g, "manual", nil)
	doc, _ := json.Marshal(e)
	if e.Status != core.ExecError || strings.Contains(string(doc), testAPIKey) {
		t.Fatalf("status %s, record %s", e.Status, doc)
	}
}

func TestSecretsUnavailable(t *testing.T) {
	graph := func(expr string) *Graph {
		return mustParse(t, build(t, []nd{{id: "t", typ: "trigger"}, {id: "l", typ: "log", in: map[string]any{"message": expr}}}, "t->l"))
	}
	bad := &secrets.Resolved{Values: secretValues(), Failed: map[string]error{"auth": secrets.ErrDecrypt}}
	tests := []struct {
		name, expr string
		src        *fakeSecrets
		wantErr    string
	}{
		{"store down", "{{ $secrets.integrations }}", &fakeSecrets{err: core.Errorf(core.EUNAVAILABLE, "state database: read tenant secrets failed")}, "tenant secrets could not be read: state database"},
		{"a named kind no key opens", `{{ $secrets["auth"].x }}`, &fakeSecrets{res: bad}, `tenant secret "auth" cannot be used`},
		{"another kind no key opens", "{{ $secrets.integrations.acct_1.provider }}", &fakeSecrets{res: bad}, ""},
		{"no $secrets: never resolved", "{{ $input }}", &fakeSecrets{err: errors.New("must not be called")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := (&Runner{Secrets: tt.src}).Run(context.Background(), graph(tt.expr), "manual", nil)
			if tt.wantErr == "" {
				if e.Status != core.ExecCompleted {
					t.Fatalf("status %s: %s", e.Status, e.Error)
				}
				return
			}
			if e.Status != core.ExecError || !strings.Contains(e.Error, tt.wantErr) {
				t.Fatalf("status %s, error %q; want %q", e.Status, e.Error, tt.wantErr)
			}
		})
	}
	if c := tests[3].src.calls.Load(); c != 0 {
		t.Fatalf("a graph without $secrets resolved them %d times", c)
	}
}

func TestNamesKind(t *testing.T) {
	for expr, want := range map[string]bool{
		"{{ $secrets.auth.x }}":         true,
		"{{ $secrets?.auth }}":          true,
		`{{ $secrets["auth"] }}`:        true,
		"{{ $secrets[$input.k] }}":      true,
		"{{ $secrets }}":                true,
		"{{ $secrets.authority }}":      false,
		"{{ $secrets.integrations.a }}": false,
	} {
		g := mustParse(t, build(t, []nd{{id: "t", typ: "trigger"}, {id: "l", typ: "log", in: map[string]any{"message": expr}}}, "t->l"))
		if got := g.namesKind("auth"); got != want {
			t.Errorf("%s names auth: %v, want %v", expr, got, want)
		}
	}
}

// BenchmarkSecretsRun is the cost $secrets adds to an execution: the
// values copied for the run and the record redacted (the source's own
// cache hit is a map read).
func BenchmarkSecretsRun(b *testing.B) {
	for _, tt := range []struct{ name, msg string }{
		{"without", "key={{ $input.k }}"},
		{"with", "key={{ $secrets.integrations.acct_1.api_key }}"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			g := mustParse(b, build(b, []nd{{id: "t", typ: "trigger"}, {id: "l", typ: "log", in: map[string]any{"message": tt.msg}}}, "t->l"))
			r := &Runner{Secrets: &fakeSecrets{res: &secrets.Resolved{Values: secretValues()}}}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if e := r.Run(ctx, g, "manual", map[string]any{"k": "v"}); e.Status != core.ExecCompleted {
					b.Fatal(e.Error)
				}
			}
		})
	}
}
