package workflow

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/frontbase/edge/core"
)

// No PostgREST server can be installed here, so these tests check the wire
// format against an httptest server: each request must be exactly what
// PostgREST documents (docs.postgrest.org, "Tables and Views" and "URL
// Grammar"): column=op.value filters, in.("quoted","items") with " and \
// backslash-escaped, order=col.desc, select=a,b, limit=n, POST/PATCH/DELETE
// with Prefer: return=representation, upsert with
// Prefer: resolution=merge-duplicates and on_conflict.
func TestPostgRESTWireFormat(t *testing.T) {
	tests := []struct {
		name   string
		req    DataRequest
		method string
		query  url.Values // decoded: what PostgREST parses
		prefer string
		body   string
	}{
		{"select with filters, order, limit",
			DataRequest{Operation: OpSelect, Table: "contacts", Fields: []string{"email", "score"},
				Where: []Condition{
					{Column: "email", Op: "eq", Value: "a&b=c;score=gt.0"},
					{Column: "score", Op: "gte", Value: int64(5)},
					{Column: "tags", Op: "in", Value: []any{"x,y", `q"u\o`, "plain"}},
					{Column: "name", Op: "contains", Value: "50%_*"},
					{Column: "deleted_at", Op: "isNull"},
					{Column: "city", Op: "notIn", Value: []any{"Oslo"}},
				},
				OrderBy: []Order{{Column: "score", Desc: true}, {Column: "id"}}, Limit: 2, MaxRows: 100},
			"GET", url.Values{
				"select": {"email,score"}, "email": {"eq.a&b=c;score=gt.0"}, "score": {"gte.5"},
				"tags": {`in.("x,y","q\"u\\o","plain")`}, "name": {`like.*50\%\__*`}, "deleted_at": {"is.null"},
				"city": {`not.in.("Oslo")`}, "order": {"score.desc,id.asc"}, "limit": {"3"},
			}, "", ""},
		{"insert",
			DataRequest{Operation: OpInsert, Table: "contacts", Values: []Assignment{{Column: "email", Value: "e@x.io"}, {Column: "score", Value: int64(1)}}},
			"POST", url.Values{}, "return=representation", `{"email":"e@x.io","score":1}`},
		{"update with a filter",
			DataRequest{Operation: OpUpdate, Table: "contacts", Values: []Assignment{{Column: "score", Value: int64(9)}}, Where: []Condition{{Column: "id", Op: "lt", Value: int64(13)}}},
			"PATCH", url.Values{"id": {"lt.13"}}, "return=representation", `{"score":9}`},
		{"upsert",
			DataRequest{Operation: OpUpsert, Table: "contacts", Values: []Assignment{{Column: "email", Value: "e@x.io"}}, OnConflict: []string{"email"}},
			"POST", url.Values{"on_conflict": {"email"}}, "return=representation,resolution=merge-duplicates", `{"email":"e@x.io"}`},
		{"delete with a filter",
			DataRequest{Operation: OpDelete, Table: "contacts", Where: []Condition{{Column: "active", Op: "eq", Value: false}}},
			"DELETE", url.Values{"active": {"eq.false"}}, "return=representation", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`[{"id":1,"email":"a@x.io"}]`))
			})
			src := postgrestFor(t, tg)
			res, err := src.Do(context.Background(), &tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rows) != 1 || res.Rows[0]["email"] != "a@x.io" || res.Count != 1 {
				t.Errorf("rows = %v", res.Rows)
			}
			r := tg.last.Load()
			if r.Method != tt.method || r.URL.Path != "/rest/v1/contacts" {
				t.Errorf("%s %s, want %s /rest/v1/contacts", r.Method, r.URL.Path, tt.method)
			}
			if got := r.URL.Query(); !reflect.DeepEqual(got, tt.query) {
				t.Errorf("query = %v\n want %v", got, tt.query)
			}
			if got := r.Header.Get("Prefer"); got != tt.prefer {
				t.Errorf("Prefer = %q, want %q", got, tt.prefer)
			}
			if r.Header.Get("apikey") != "service-key" || r.Header.Get("Authorization") != "Bearer service-key" {
				t.Errorf("auth headers = %q %q", r.Header.Get("apikey"), r.Header.Get("Authorization"))
			}
			if got := string(*tg.body.Load()); got != tt.body {
				t.Errorf("body = %s, want %s", got, tt.body)
			}
		})
	}
}

func postgrestFor(t *testing.T, tg *target) *PostgREST {
	t.Helper()
	src, err := NewPostgREST(tg.URL, "service-key", true, runnerFor(t, tg).HTTP)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestPostgRESTRefusals(t *testing.T) {
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		w.Write([]byte(`{"code":"42P01","message":"relation \"public.nope\" does not exist","hint":null}`))
	})
	src := postgrestFor(t, tg)
	ctx := context.Background()
	_, err := src.Do(ctx, &DataRequest{Operation: OpSelect, Table: "nope"})
	if err == nil || !strings.Contains(err.Error(), `404: relation "public.nope" does not exist (42P01)`) {
		t.Errorf("error answer: %v", err)
	}
	before := tg.hits.Load()
	for _, req := range []DataRequest{
		{Operation: OpSelect, Table: "contacts?select=secret"},
		{Operation: OpSelect, Table: "contacts", Where: []Condition{{Column: "or", Op: "eq", Value: "x"}, {Column: "a.b", Op: "eq", Value: 1}}},
		{Operation: OpSelect, Table: "contacts", Fields: []string{"email,secret"}},
		{Operation: OpDelete, Table: "contacts"},
		{Operation: OpQuery, Query: "SELECT 1"},
	} {
		if _, err := src.Do(ctx, &req); err == nil {
			t.Errorf("%+v was sent", req)
		}
	}
	if tg.hits.Load() != before {
		t.Errorf("a refused request reached the server")
	}

	// The source uses the engine's SSRF guard: a loopback server is
	// refused unless the operator allowed it.
	guarded, _ := NewPostgREST(tg.URL, "k", true, NewHTTPClient(nil))
	if _, err := guarded.Do(ctx, &DataRequest{Operation: OpSelect, Table: "contacts"}); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("loopback PostgREST without the allow-list: %v", err)
	}
}

func TestPostgRESTTruncatesAtTheCap(t *testing.T) {
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`[{"id":1},{"id":2},{"id":3}]`))
	})
	res, err := postgrestFor(t, tg).Do(context.Background(), &DataRequest{Operation: OpSelect, Table: "t", MaxRows: 2})
	if err != nil || len(res.Rows) != 2 || !res.Truncated {
		t.Fatalf("rows %v truncated %v, %v", res.Rows, res.Truncated, err)
	}
	if got := tg.last.Load().URL.Query().Get("limit"); got != "3" {
		t.Errorf("limit = %s, want the cap plus one", got)
	}
}

// A whole workflow: a data_request against a Supabase source, values from
// the trigger reaching PostgREST only as encoded filter values.
func TestDataRequestNodeOnPostgREST(t *testing.T) {
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`[{"id":7,"email":"a@x.io"}]`))
	})
	r := runnerFor(t, tg)
	src, _ := NewPostgREST(tg.URL, "k", true, r.HTTP)
	r.Data = map[string]DataSource{"supa": src}
	g := mustParse(t, build(t, []nd{{id: "t", typ: "trigger"}, {id: "d", typ: "data_request", in: map[string]any{
		"dataSource": "supa", "table": "contacts", "operation": "select",
		"whereConditions": []any{map[string]any{"field": "email", "operator": "equals", "value": "{{ $trigger.email }}"}},
	}}}, "t->d"))
	exec := r.Run(context.Background(), g, "manual", map[string]any{"email": "x&select=secret"})
	if exec.Status != core.ExecCompleted {
		t.Fatalf("%s: %s", exec.Status, exec.Error)
	}
	q := tg.last.Load().URL.Query()
	if q.Get("email") != "eq.x&select=secret" || q.Has("select") {
		t.Errorf("query = %v", q)
	}
	b, _ := json.Marshal(exec.Result)
	if string(b) != `{"count":1,"data":[{"email":"a@x.io","id":7}]}` {
		t.Errorf("result = %s", b)
	}
}
