package main

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tursodatabase/libsql-client-go/libsql"

	"github.com/frontbase/edge/adapters/testservers"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// A published DataTable bound to a libSQL datasource loads its rows in
// Chromium through POST /api/data/execute, then searches and pages.
func TestBrowserDataTable(t *testing.T) {
	ctx := browser(t)
	tu := testservers.StartTurso(t)
	c, err := libsql.NewConnector(tu.URL)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL)`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 12; i++ {
		if _, err := db.Exec(`INSERT INTO products (id, name, price) VALUES (?, ?, ?)`, i, fmt.Sprintf("item %02d", i), float64(i)+.5); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO products (id, name, price) VALUES (1000, 'Blue Widget', 9.5)`); err != nil {
		t.Fatal(err)
	}
	e := enginetest.Start(t, enginetest.Options{Env: map[string]string{
		"FRONTBASE_DATASOURCES": `{"shop": {"type": "libsql", "url": "` + tu.URL + `"}}`,
		"FRONTBASE_HTTP_ALLOW":  strings.TrimPrefix(tu.URL, "http://"),
	}})
	const sqlText = "SELECT products.* FROM products LIMIT 100"
	page := `{"page": {"id": "p-shop", "slug": "shop", "name": "Shop", "layoutData": {"content": [
	  {"id": "tbl", "type": "DataTable", "props": {"title": "Products", "_columns": [{"name": "id"}, {"name": "name"}, {"name": "price"}]},
	   "binding": {"tableName": "products", "datasourceId": "shop", "columnOrder": ["id", "name", "price"],
	     "columnOverrides": {"name": {"displayName": "Product"}}, "pagination": {"enabled": true, "pageSize": 5}, "filtering": {"searchEnabled": true},
	     "dataRequest": {"url": "", "method": "POST", "fetchStrategy": "proxy", "datasourceId": "shop", "headers": {},
	       "body": {"query": "` + sqlText + `", "params": []}, "resultPath": "rows", "flattenRelations": false,
	       "queryConfig": {"datasourceType": "turso", "tableName": "products", "sql": "` + sqlText + `", "joins": []}}}}]}}, "force": true}`
	if resp, body := e.Manage(t, "POST", "/api/import", page); resp.StatusCode != 200 {
		t.Fatalf("import: %s", body)
	}
	var errs consoleErrors
	errs.listen(ctx)
	rows := `[...document.querySelectorAll('.fb-dt tbody tr:not(.fb-dt-status)')].map(r => r.textContent).join('|')`
	wait := func(want string) chromedp.Action {
		return chromedp.Poll(rows+` === `+fmt.Sprintf("%q", want), nil, chromedp.WithPollingTimeout(15*time.Second))
	}
	var header, info string
	err = chromedp.Run(ctx,
		chromedp.Navigate(e.URL+"/shop"),
		wait("1item 011.5|2item 022.5|3item 033.5|4item 044.5|5item 055.5"),
		chromedp.Evaluate(`document.querySelector(".fb-dt thead").textContent`, &header),
		chromedp.Text(`.fb-dt-info`, &info, chromedp.ByQuery),
		chromedp.Click(`.fb-dt-pager [data-fb-page="1"]`, chromedp.ByQuery),
		wait("6item 066.5|7item 077.5|8item 088.5|9item 099.5|10item 1010.5"),
		chromedp.Click(`.fb-dt th[data-col="id"]`, chromedp.ByQuery), // sort by id: back to page 1
		chromedp.Click(`.fb-dt th[data-col="id"]`, chromedp.ByQuery), // descending
		wait("1000Blue Widget9.5|12item 1212.5|11item 1111.5|10item 1010.5|9item 099.5"),
		chromedp.SendKeys(`.fb-dt-search`, "widget", chromedp.ByQuery),
		wait("1000Blue Widget9.5"),
	)
	if err != nil {
		var got string
		chromedp.Run(ctx, chromedp.Evaluate(rows, &got))
		t.Fatalf("%v; rows: %q; console: %v", err, got, errs.take())
	}
	if header != "idProductprice" || !strings.Contains(info, "Page 1 of 3 (13 rows)") {
		t.Errorf("header %q, pager %q", header, info)
	}
	if list := errs.take(); len(list) > 0 {
		t.Errorf("console errors: %v", list)
	}
}
