package main

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tursodatabase/libsql-client-go/libsql"

	"github.com/frontbase/edge/adapters/testservers"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// A whole engine with a libSQL data source from FRONTBASE_DATASOURCES: a
// deployed data_request inserts and reads rows over the API, and the
// source's token appears in no answer, record or log line.
func TestDataRequestEndToEnd(t *testing.T) {
	tu := testservers.StartTurso(t)
	c, err := libsql.NewConnector(tu.URL)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE leads (id INTEGER PRIMARY KEY, email TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const token = "tok-0123456789-secret"
	e := enginetest.Start(t, enginetest.Options{Env: map[string]string{
		"FRONTBASE_DATASOURCES": `{"crm": {"type": "libsql", "url": "` + tu.URL + `", "tokenEnv": "CRM_DB_TOKEN"}}`,
		"CRM_DB_TOKEN":          token,
		"FRONTBASE_LOG_LEVEL":   "debug",
	}})
	wf := `{"id": "save-lead", "name": "save lead", "triggerType": "manual",
	  "nodes": [
	    {"id": "t", "type": "trigger", "data": {"type": "trigger", "inputs": []}},
	    {"id": "save", "type": "data_request", "data": {"type": "data_request", "inputs": [
	      {"name": "dataSource", "value": "crm"}, {"name": "table", "value": "leads"}, {"name": "operation", "value": "insert"},
	      {"name": "fieldMappings", "value": [{"field": "email", "value": "{{ $trigger.email }}"}]}]}},
	    {"id": "all", "type": "data_request", "data": {"type": "data_request", "inputs": [
	      {"name": "dataSource", "value": "crm"}, {"name": "table", "value": "leads"}, {"name": "orderBy", "value": "id"}]}}],
	  "edges": [{"source": "t", "target": "save"}, {"source": "save", "target": "all"}]}`
	if resp, body := e.Manage(t, "POST", "/api/deploy", wf); resp.StatusCode != http.StatusOK {
		t.Fatalf("deploy: %d %s", resp.StatusCode, body)
	}
	var out string
	for _, email := range []string{"a@x.io", "b'); DROP TABLE leads; --"} {
		resp, body := e.Manage(t, "POST", "/api/execute/save-lead", `{"parameters": {"email": `+jsonString(email)+`}}`)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"completed"`) {
			t.Fatalf("execute: %d %s", resp.StatusCode, body)
		}
		out = body
	}
	var got struct {
		Result struct {
			Count int `json:"count"`
			Data  []struct {
				Email string `json:"email"`
			} `json:"data"`
		} `json:"result"`
	}
	json.Unmarshal([]byte(out), &got)
	if got.Result.Count != 2 || got.Result.Data[1].Email != "b'); DROP TABLE leads; --" {
		t.Fatalf("result = %+v", got.Result)
	}

	// An unknown source is refused at deploy with its path.
	bad := strings.Replace(wf, `"value": "crm"}, {"name": "table", "value": "leads"}, {"name": "orderBy"`, `"value": "nope"}, {"name": "table", "value": "leads"}, {"name": "orderBy"`, 1)
	resp, body := e.Manage(t, "POST", "/api/deploy", bad)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `nodes[2].data.inputs.dataSource`) || !strings.Contains(body, `no data source \"nope\" (configured: crm)`) {
		t.Fatalf("bad source: %d %s", resp.StatusCode, body)
	}

	_, list := e.Manage(t, "GET", "/api/executions/workflow/save-lead", "")
	if strings.Contains(list+out+e.Logs.String(), token) {
		t.Fatal("the data source token leaked into an answer, a record or the logs")
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
