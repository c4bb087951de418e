package contracttest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/frontbase/edge/adapters/testservers"
	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/core/dataproxy"
	"github.com/frontbase/edge/core/secrets"
	ct "github.com/frontbase/edge/functions/internal/contracttest"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// productsSQL is the statement the control plane bakes into a proxy
// DataTable (fastapi-backend/app/services/data_request.py
// _compute_sql_request).
const productsSQL = "SELECT products.* FROM products LIMIT 100"

// SeedProducts creates and fills a products table of n rows on a tursodb
// through its /v2/pipeline API.
func seedProducts(t testing.TB, dbURL string, n int) {
	t.Helper()
	stmts := []string{"CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL)"}
	for i := 1; i <= n; i++ {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO products (id, name, price) VALUES (%d, 'item %02d', %d.5)", i, i, i))
	}
	stmts = append(stmts, "INSERT INTO products (id, name, price) VALUES (1000, 'Blue Widget', 9.5)")
	var reqs []string
	for _, s := range stmts {
		b, _ := json.Marshal(s)
		reqs = append(reqs, `{"type":"execute","stmt":{"sql":`+string(b)+`}}`)
	}
	body := `{"requests":[` + strings.Join(reqs, ",") + `]}`
	resp, err := http.Post(dbURL+"/v2/pipeline", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Results []struct {
			Type string `json:"type"`
		} `json:"results"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("seeding: %d %v: %s", resp.StatusCode, err, raw)
	}
	for i, r := range out.Results {
		if r.Type != "ok" {
			t.Fatalf("seeding statement %d: %s", i, r.Type)
		}
	}
}

// proxyDataTablePage is a page with a DataTable bound to a SQL datasource
// as the control plane publishes it (publish_serializer.py: binding with
// dataRequest, props._columns).
func proxyDataTablePage(slug, datasourceID string, public bool) string {
	return fmt.Sprintf(`{"page": {"id": "p-%[1]s", "slug": "%[1]s", "tenantSlug": "acme", "name": "Shop", "isPublic": %[3]t, "layoutData": {"content": [
	  {"id": "tbl", "type": "DataTable", "props": {"title": "Products", "_columns": [{"name": "id"}, {"name": "name"}, {"name": "price"}], "_tableName": "products", "_dataSourceId": "%[2]s"},
	   "binding": {"tableName": "products", "datasourceId": "%[2]s", "columnOrder": ["id", "name", "price"], "pagination": {"enabled": true, "pageSize": 5},
	     "dataRequest": {"url": "", "method": "POST", "fetchStrategy": "proxy", "datasourceId": "%[2]s", "headers": {},
	       "body": {"query": %[4]q, "params": []}, "resultPath": "rows", "flattenRelations": false,
	       "queryConfig": {"datasourceType": "turso", "tableName": "products", "sql": %[4]q, "joins": [], "hiddenFilters": []}}}}]}}, "force": true}`,
		slug, datasourceID, public, productsSQL)
}

func publishPage(t testing.TB, e *enginetest.Engine, doc string) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	if r := ct.ControlPlane(t, e, ct.Call{Method: "POST", Path: "/api/import", JSON: v, Headers: ct.SystemKeyHeaders(e.Key)}); r.Status != 200 {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
}

// tsEnvelope is what packages/datatable/src/hooks/useDataTableData.ts
// sends for a proxy binding: the published queryConfig and datasourceId
// with a frontbase_get_rows body it builds from the table state.
func tsEnvelope(datasourceID string, page, pageSize int, search, sortCol string) wire.DataExecuteRequest {
	qc := fmt.Sprintf(`{"datasourceType": "turso", "tableName": "products", "sql": %q, "joins": [], "hiddenFilters": []}`, productsSQL)
	body := map[string]any{"table_name": "products", "columns": nil, "joins": []any{}, "page": page + 1, "page_size": pageSize, "filters": []any{}}
	if search != "" {
		body["search_query"], body["search_cols"] = search, []any{}
	} else {
		body["sort_col"], body["sort_dir"] = sortCol, "desc"
	}
	raw, _ := json.Marshal(body)
	f := false
	return wire.DataExecuteRequest{DataRequest: &wire.DataRequest{FetchStrategy: "proxy", DatasourceID: datasourceID, Method: "POST",
		QueryConfig: json.RawMessage(qc), Body: raw, ResultPath: "rows", FlattenRelations: &f}}
}

// POST /api/data/execute as the TypeScript hooks and this engine's page
// runtime send it, GET /api/data/{table} with the key, against a real
// tursodb reached with FRONTBASE_DATASOURCES and with the pushed
// "datasources" secret.
func TestDataProxyContract(t *testing.T) {
	db := testservers.StartTurso(t)
	seedProducts(t, db.URL, 12)
	host := strings.TrimPrefix(db.URL, "http://")
	for _, mode := range []string{"local", "cloud-redis"} {
		t.Run(mode, func(t *testing.T) {
			e := enginetest.Start(t, enginetest.Options{Mode: mode, Env: map[string]string{
				"FRONTBASE_DATASOURCES": fmt.Sprintf(`{"shop": {"type": "libsql", "url": %q}}`, db.URL),
				"FRONTBASE_HTTP_ALLOW":  host,
				"FRONTBASE_TENANT":      "acme",
			}})
			// The control plane's push of the tenant's datasources blob
			// (secrets_builder.py: {id: {type, apiUrl, apiKey}}).
			blob, _ := json.Marshal(map[string]any{"ds-7f3a": map[string]string{"type": "turso", "apiUrl": db.URL, "apiKey": "tok"}})
			payload, err := secrets.Encrypt(secrets.DeriveKey(e.Key), blob)
			if err != nil {
				t.Fatal(err)
			}
			if r := ct.ControlPlane(t, e, ct.Call{Method: "POST", Path: "/api/import/secrets", Headers: ct.SystemKeyHeaders(e.Key),
				JSON: map[string]any{"tenantSlug": "acme", "kind": "datasources", "payload": payload}}); r.Status != 200 {
				t.Fatalf("secret push: %d %s", r.Status, r.Body)
			}
			publishPage(t, e, proxyDataTablePage("shop", "shop", true))
			publishPage(t, e, proxyDataTablePage("pushed", "ds-7f3a", true))
			publishPage(t, e, proxyDataTablePage("members", "ds-private", false))

			for _, ds := range []string{"shop", "ds-7f3a"} {
				// The TypeScript hook: page 2 of 5, sorted by id desc.
				r := ct.Browser(t, e, "POST", "/api/data/execute", tsEnvelope(ds, 1, 5, "", "id"))
				if r.Status != 200 {
					t.Fatalf("%s: %d %s", ds, r.Status, r.Body)
				}
				m := r.JSON(t)
				ct.Expect(t, m, map[string]string{"success": "bool", "data": "array", "total": "number", "count": "number"})
				rows, _ := m["data"].([]any)
				if len(rows) != 5 || m["total"] != float64(13) {
					t.Fatalf("%s: %d rows of %v: %s", ds, len(rows), m["total"], r.Body)
				}
				if first, _ := rows[0].(map[string]any); first["id"] != float64(8) || first["name"] != "item 08" {
					t.Errorf("%s: page 2 by id desc starts with %v", ds, rows[0])
				}
			}

			// This engine's runtime: {dataRequest (as published), query}.
			var pub struct {
				Binding struct {
					DataRequest *wire.DataRequest `json:"dataRequest"`
				} `json:"binding"`
			}
			var doc struct {
				Page struct {
					LayoutData struct {
						Content []json.RawMessage `json:"content"`
					} `json:"layoutData"`
				} `json:"page"`
			}
			json.Unmarshal([]byte(proxyDataTablePage("shop", "shop", true)), &doc)
			json.Unmarshal(doc.Page.LayoutData.Content[0], &pub)
			r := ct.Browser(t, e, "POST", "/api/data/execute", wire.DataExecuteRequest{DataRequest: pub.Binding.DataRequest,
				Query: &wire.DataQuery{PageSize: 5, Search: "widget"}})
			if m := r.JSON(t); r.Status != 200 || m["total"] != float64(1) {
				t.Fatalf("search: %d %s", r.Status, r.Body)
			}
			// As the TypeScript legacy branch sends it: the published envelope alone runs the published SQL.
			r = ct.Browser(t, e, "POST", "/api/data/execute", wire.DataExecuteRequest{DataRequest: pub.Binding.DataRequest})
			if m := r.JSON(t); r.Status != 200 || m["count"] != float64(13) {
				t.Fatalf("published SQL: %d %s", r.Status, r.Body)
			}

			// Another statement in the body of the published envelope: the
			// published statement runs, not the sent one.
			swapped := *pub.Binding.DataRequest
			swapped.Body = json.RawMessage(`{"query": "SELECT name AS secret FROM sqlite_master", "params": []}`)
			r = ct.Browser(t, e, "POST", "/api/data/execute", wire.DataExecuteRequest{DataRequest: &swapped})
			if r.Status != 200 || strings.Contains(r.Body, "secret") || !strings.Contains(r.Body, "Blue Widget") {
				t.Errorf("sent SQL ran: %d %s", r.Status, r.Body)
			}

			// Refusals: SQL or a table no public page carries.
			forged := *pub.Binding.DataRequest
			forged.Body = json.RawMessage(`{"query": "SELECT * FROM sqlite_master", "params": []}`)
			forged.QueryConfig = json.RawMessage(`{"tableName": "products", "sql": "SELECT * FROM sqlite_master"}`)
			private := tsEnvelope("ds-private", 0, 5, "", "")
			for name, body := range map[string]any{
				"forged SQL":   wire.DataExecuteRequest{DataRequest: &forged},
				"private page": private,
				"other table": func() wire.DataExecuteRequest {
					b := tsEnvelope("shop", 0, 5, "", "")
					b.DataRequest.Body = []byte(`{"table_name": "users"}`)
					return b
				}(),
			} {
				r := ct.Browser(t, e, "POST", "/api/data/execute", body)
				if m := r.JSON(t); r.Status != 403 || m["code"] != dataproxy.CodeNotPublished || m["success"] != false {
					t.Errorf("%s: %d %s", name, r.Status, r.Body)
				}
			}

			// An oversize envelope is refused before it is read whole.
			big := tsEnvelope("shop", 0, 5, "", "")
			big.DataRequest.Body = json.RawMessage(`{"table_name": "products", "pad": "` + strings.Repeat("x", 70<<10) + `"}`)
			if r := ct.Browser(t, e, "POST", "/api/data/execute", big); r.Status != 413 || r.JSON(t)["code"] != dataproxy.CodeInvalid {
				t.Errorf("oversize: %d %.200s", r.Status, r.Body)
			}

			// GET /api/data/{table}: the key, then rows.
			if r := ct.ControlPlane(t, e, ct.Call{Method: "GET", Path: "/api/data/products"}); r.Status != 401 {
				t.Errorf("without the key: %d %s", r.Status, r.Body)
			}
			r = ct.ControlPlane(t, e, ct.Call{Method: "GET", Path: "/api/data/products", Headers: ct.SystemKeyHeaders(e.Key),
				Params: url.Values{"datasourceId": {"shop"}, "limit": {"4"}, "offset": {"4"}, "orderBy": {"id"}}})
			if r.Status != 200 {
				t.Fatalf("GET table: %d %s", r.Status, r.Body)
			}
			m := r.JSON(t)
			ct.Expect(t, m, map[string]string{"success": "bool", "data": "array"})
			if rows, _ := m["data"].([]any); len(rows) != 4 || !bytes.Contains([]byte(r.Body), []byte(`"item 05"`)) {
				t.Errorf("GET table: %s", r.Body)
			}
		})
	}
}
