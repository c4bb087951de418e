package dataproxy

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/workflow"
)

// sitePages is a published site held in memory.
type sitePages struct {
	gen   int64
	pages map[string]*core.Page
}

func (s *sitePages) Generation(context.Context) int64 { return s.gen }

func (s *sitePages) Pages(context.Context) ([]core.PageSummary, error) {
	var out []core.PageSummary
	for slug, p := range s.pages {
		out = append(out, core.PageSummary{Slug: slug, IsPublic: p.Public()})
	}
	return out, nil
}

func (s *sitePages) Page(_ context.Context, slug string) (*core.StoredPage, error) {
	p, ok := s.pages[slug]
	if !ok {
		return nil, core.Errorf(core.ENOTFOUND, "no page")
	}
	return &core.StoredPage{Page: p}, nil
}

// rpcTable is a DataTable bound to a Supabase RPC (direct strategy), as
// data_request.py _compute_supabase_request bakes it.
func rpcTable(rpcURL string) string {
	return `{"type": "DataTable", "binding": {"tableName": "orders", "dataRequest": {"url": "` + rpcURL + `/rest/v1/rpc/frontbase_get_rows",
	  "method": "POST", "fetchStrategy": "direct", "headers": {"apikey": "anon-key", "Authorization": "Bearer anon-key"},
	  "body": {"table_name": "orders", "columns": "*", "joins": [], "page": 1, "page_size": 10, "filters": []},
	  "resultPath": "rows", "flattenRelations": false,
	  "queryConfig": {"useRpc": true, "tableName": "orders", "columns": "*", "pageSize": 10, "searchColumns": ["customer"]}}}}`
}

func site(t *testing.T, public bool, components ...string) *sitePages {
	t.Helper()
	var content []core.Component
	if err := json.Unmarshal([]byte("["+strings.Join(components, ",")+"]"), &content); err != nil {
		t.Fatal(err)
	}
	return &sitePages{gen: 1, pages: map[string]*core.Page{"orders": {Slug: "orders", IsPublic: &public, LayoutData: core.LayoutData{Content: content}}}}
}

// sent is the envelope a page sends for the published component.
func sent(t *testing.T, s *sitePages, q *Query) *ExecuteBody {
	t.Helper()
	pub := publishedOf(&s.pages["orders"].LayoutData.Content[0])
	dr := *pub.req
	dr.Headers = nil // the page runtime does not carry them
	return &ExecuteBody{DataRequest: &dr, Query: q}
}

func TestExecuteRefusals(t *testing.T) {
	var hits atomic.Int64
	var sawKey atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		sawKey.Store(r.Header.Get("apikey"))
		if strings.Contains(r.URL.Path, "big") {
			w.Write([]byte(`{"rows": [` + strings.Repeat(`{"a": 1},`, 500) + `{"a": 1}]}`))
			return
		}
		w.Write([]byte(`{"rows": [{"id": 1, "customer": "Ada"}], "total": 41}`))
	}))
	defer srv.Close()
	allow, _ := workflow.ParseAllowList(strings.TrimPrefix(srv.URL, "http://"))
	guarded := workflow.NewHTTPClient(allow)

	type tc struct {
		name     string
		pages    *sitePages
		client   *http.Client
		body     func(*sitePages) *ExecuteBody
		status   int
		code     string
		upstream bool // the datasource was called
	}
	cases := []tc{
		{name: "published", pages: site(t, true, rpcTable(srv.URL)), client: guarded,
			body: func(s *sitePages) *ExecuteBody { return sent(t, s, &Query{PageSize: 10}) }, status: 200, upstream: true},
		{name: "unpublished queryConfig", pages: site(t, true, rpcTable(srv.URL)), client: guarded,
			body: func(s *sitePages) *ExecuteBody {
				b := sent(t, s, nil)
				b.DataRequest.QueryConfig = json.RawMessage(`{"useRpc": true, "tableName": "users"}`)
				return b
			}, status: 403, code: CodeNotPublished},
		{name: "other URL", pages: site(t, true, rpcTable(srv.URL)), client: guarded,
			body: func(s *sitePages) *ExecuteBody {
				b := sent(t, s, nil)
				b.DataRequest.URL = "http://169.254.169.254/latest/meta-data"
				return b
			}, status: 403, code: CodeNotPublished},
		{name: "private page", pages: site(t, false, rpcTable(srv.URL)), client: guarded,
			body: func(s *sitePages) *ExecuteBody { return sent(t, s, nil) }, status: 403, code: CodeNotPublished},
		{name: "other table in the RPC body", pages: site(t, true, rpcTable(srv.URL)), client: guarded,
			body: func(s *sitePages) *ExecuteBody {
				b := sent(t, s, nil)
				b.DataRequest.Body = json.RawMessage(`{"table_name": "users", "columns": "*", "joins": []}`)
				return b
			}, status: 403, code: CodeNotPublished},
		{name: "SSRF target", pages: site(t, true, rpcTable(srv.URL)), client: workflow.NewHTTPClient(nil),
			body: func(s *sitePages) *ExecuteBody { return sent(t, s, &Query{}) }, status: 502, code: CodeBlocked},
		{name: "oversize answer", pages: site(t, true, rpcTable(srv.URL+"/big")), client: guarded,
			body: func(s *sitePages) *ExecuteBody { return sent(t, s, &Query{}) }, status: 502, code: CodeTooLarge, upstream: true},
		{name: "sort by a non-identifier", pages: site(t, true, rpcTable(srv.URL)), client: guarded,
			body: func(s *sitePages) *ExecuteBody { return sent(t, s, &Query{Sort: "id; DROP TABLE x"}) }, status: 400, code: CodeInvalid},
		{name: "no envelope", pages: site(t, true), client: guarded,
			body: func(*sitePages) *ExecuteBody { return &ExecuteBody{} }, status: 400, code: CodeInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hits.Store(0)
			s := New(Options{Pages: c.pages, HTTP: c.client, MaxResponseBytes: 4 << 10})
			res, err := s.Execute(context.Background(), c.body(c.pages))
			if got := hits.Load() > 0; got != c.upstream {
				t.Errorf("datasource called: %v, want %v", got, c.upstream)
			}
			if c.status == 200 {
				if err != nil {
					t.Fatal(err)
				}
				if res.Total != 41 || res.Count != 1 || sawKey.Load() != "anon-key" {
					t.Errorf("result %+v, apikey %v", res, sawKey.Load())
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Status != c.status || e.Code != c.code {
				t.Fatalf("got %v, want %d %s", err, c.status, c.code)
			}
		})
	}
}

func TestRowCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"rows": [{"a": 1}, {"a": 2}, {"a": 3}]}`))
	}))
	defer srv.Close()
	allow, _ := workflow.ParseAllowList(strings.TrimPrefix(srv.URL, "http://"))
	pages := site(t, true, rpcTable(srv.URL))
	s := New(Options{Pages: pages, HTTP: workflow.NewHTTPClient(allow), MaxRows: 2})
	res, err := s.Execute(context.Background(), sent(t, pages, nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.Count != 2 || !res.Truncated || res.Total != 3 {
		t.Errorf("%+v", res)
	}
}

func TestIndexFollowsTheGeneration(t *testing.T) {
	pages := site(t, true, rpcTable("https://db.example"))
	s := New(Options{Pages: pages})
	b := sent(t, pages, nil)
	if _, err := s.index(context.Background()); err != nil {
		t.Fatal(err)
	}
	delete(pages.pages, "orders")
	pages.gen++ // unpublished
	idx, err := s.index(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if idx.byKey[key(b.DataRequest)] != nil {
		t.Error("an unpublished page's request is still indexed")
	}
}

// A proxy DataTable on a Supabase datasource from FRONTBASE_DATASOURCES:
// one page through PostgREST's REST API, the key sent as apikey and
// bearer, the search as an or=(…ilike…) filter, the total from
// Content-Range.
func TestSupabasePage(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Method + " " + r.URL.Path + "?" + r.URL.RawQuery + " apikey=" + r.Header.Get("apikey") + " auth=" + r.Header.Get("Authorization") + " prefer=" + r.Header.Get("Prefer"))
		w.Header().Set("Content-Range", "10-14/42")
		w.Write([]byte(`[{"id": 11, "customer": "Ada"}]`))
	}))
	defer srv.Close()
	allow, _ := workflow.ParseAllowList(strings.TrimPrefix(srv.URL, "http://"))
	pages := site(t, true, `{"type": "DataTable", "binding": {"tableName": "orders", "searchColumns": ["customer", "note"],
	  "dataRequest": {"url": "", "method": "POST", "fetchStrategy": "proxy", "datasourceId": "supa",
	    "queryConfig": {"tableName": "orders"}}}}`)
	s := New(Options{Pages: pages, HTTP: workflow.NewHTTPClient(allow),
		Sources: []Source{{ID: "supa", Kind: "supabase", URL: srv.URL, Secret: "service-key"}}})
	res, err := s.Execute(context.Background(), sent(t, pages, &Query{Page: 2, PageSize: 5, Sort: "id", Dir: "desc", Search: `a"b`}))
	if err != nil {
		t.Fatal(err)
	}
	want := `GET /rest/v1/orders?limit=5&offset=10&or=%28customer.ilike.%22%2Aa%5C%22b%2A%22%2Cnote.ilike.%22%2Aa%5C%22b%2A%22%29&order=id.desc&select=%2A apikey=service-key auth=Bearer service-key prefer=count=exact`
	if got.Load() != want {
		t.Errorf("request\n got %v\nwant %s", got.Load(), want)
	}
	if res.Total != 42 || res.Count != 1 {
		t.Errorf("%+v", res)
	}
}
