package sqldata_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tursodatabase/libsql-client-go/libsql"

	"github.com/frontbase/edge/adapters/sqldata"
	"github.com/frontbase/edge/adapters/sqlite"
	"github.com/frontbase/edge/adapters/testservers"
	"github.com/frontbase/edge/adapters/turso"
	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/workflow"
)

// env is a real tursodb holding a contacts table, the SQL source on it, and
// a workflow service whose state lives in a SQLite file.
type env struct {
	db  *sql.DB // direct access, to check what the workflows did
	src *sqldata.Source
	svc *workflow.Service
}

func newEnv(t *testing.T) *env { return newEnvWithState(t, "sqlite") }

// newEnvWithState keeps the workflow state in a SQLite file or in a second
// tursodb (migrated), the two state stores.
func newEnvWithState(t *testing.T, kind string) *env {
	t.Helper()
	tu := testservers.StartTurso(t)
	c, err := libsql.NewConnector(tu.URL)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{
		`CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, score INTEGER, updated_at INTEGER NOT NULL DEFAULT 0)`,
		`INSERT INTO contacts (email, name, score, updated_at) VALUES ('a@x.io', 'Ann', 3, 1), ('b@x.io', 'Bob', 7, 2), ('c@x.io', 'Cy', 9, 3), ('d@x.io', 'Di', 5, 4)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	src, err := sqldata.OpenLibSQL(tu.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	var state interface {
		core.Store
		workflow.CursorStore
	}
	if kind == "turso" {
		st, err := turso.Open(testservers.StartTurso(t).URL, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		state = st
	} else {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
		if err != nil {
			t.Fatal(err)
		}
		state = st
	}
	t.Cleanup(func() { state.Close() })
	svc := workflow.New(state, workflow.Options{DataSources: map[string]workflow.DataSource{"main": src}, Cursors: state})
	return &env{db: db, src: src, svc: svc}
}

// workflowJSON is a trigger followed by one node per step, in a chain.
func workflowJSON(id, triggerType string, trigger map[string]any, steps ...map[string]any) []byte {
	type input struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	}
	node := func(nid, typ string, in map[string]any) map[string]any {
		var inputs []input
		for k, v := range in {
			inputs = append(inputs, input{k, v})
		}
		return map[string]any{"id": nid, "type": typ, "data": map[string]any{"type": typ, "inputs": inputs}}
	}
	kind := map[string]string{"trigger": "manual", "data_change_trigger": "data_change"}[triggerType]
	nodes := []any{node("t", triggerType, trigger)}
	var edges []any
	prev := "t"
	for i, s := range steps {
		nid := fmt.Sprint("n", i+1)
		typ := s["type"].(string)
		in := map[string]any{}
		for k, v := range s {
			if k != "type" {
				in[k] = v
			}
		}
		nodes = append(nodes, node(nid, typ, in))
		edges = append(edges, map[string]any{"source": prev, "target": nid})
		prev = nid
	}
	b, _ := json.Marshal(map[string]any{"id": id, "name": id, "triggerType": kind, "nodes": nodes, "edges": edges})
	return b
}

// snapshot is the whole table, to prove an attempt changed nothing.
func (e *env) snapshot(t *testing.T) string {
	t.Helper()
	rows, err := e.db.Query(`SELECT id, email, name, score FROM contacts ORDER BY id`)
	if err != nil {
		t.Fatalf("the contacts table is gone or broken: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, score sql.NullInt64
		var email, name sql.NullString
		if err := rows.Scan(&id, &email, &name, &score); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(id.Int64, email.String, name.String, score.Int64))
	}
	return strings.Join(out, "|")
}

func (e *env) run(t *testing.T, id string, step map[string]any, params map[string]any) *core.Execution {
	t.Helper()
	step["dataSource"] = "main"
	step["type"] = "data_request"
	ctx := context.Background()
	if _, err := e.svc.Deploy(ctx, workflowJSON(id, "trigger", nil, step)); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	exec, err := e.svc.Execute(ctx, id, "manual", params)
	if err != nil {
		t.Fatalf("execute: %v", err)
	}
	return exec
}

func output(t *testing.T, exec *core.Execution) map[string]any {
	t.Helper()
	if exec.Status != core.ExecCompleted {
		t.Fatalf("execution %s: %s", exec.Status, exec.Error)
	}
	out, _ := exec.Result.(map[string]any)
	return out
}

func column(out map[string]any, col string) []string {
	var vals []string
	rows, _ := out["data"].([]any)
	for _, r := range rows {
		vals = append(vals, fmt.Sprint(r.(map[string]any)[col]))
	}
	return vals
}

func where(field, op string, value any) map[string]any {
	return map[string]any{"field": field, "operator": op, "value": value}
}

func TestDataRequestOnLibSQL(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		step   map[string]any
		params map[string]any
		emails []string // the data's emails, in order
		count  int
		after  string // a query whose single text value must equal want
		want   string
	}{
		{name: "select where, order, limit",
			step: map[string]any{"table": "contacts", "operation": "select", "selectFields": "email, score",
				"whereConditions": []any{where("score", "greaterThanOrEqual", "{{ $trigger.min }}")}, "orderBy": "score desc", "limit": 2},
			params: map[string]any{"min": 5}, emails: []string{"c@x.io", "b@x.io"}, count: 2},
		{name: "in and notEquals",
			step:   map[string]any{"table": "contacts", "whereConditions": []any{where("email", "in", []any{"a@x.io", "d@x.io", "zz"}), where("name", "notEquals", "Di")}},
			emails: []string{"a@x.io"}, count: 1},
		{name: "an injection in a where value matches nothing",
			step:   map[string]any{"table": "contacts", "whereConditions": []any{where("email", "equals", "{{ $trigger.email }}")}},
			params: map[string]any{"email": "' OR 1=1 --"}, count: 0},
		{name: "a value cannot rewrite conditions given as JSON text",
			step:   map[string]any{"table": "contacts", "whereConditions": `[{"field": "email", "operator": "equals", "value": "{{ $trigger.email }}"}]`},
			params: map[string]any{"email": `x", "operator": "notEquals`}, count: 0},
		{name: "booleans bind as 0/1",
			step:   map[string]any{"query": "SELECT email FROM contacts WHERE (score > 5) = ? ORDER BY email", "queryParameters": `["{{ $trigger.flag }}"]`},
			params: map[string]any{"flag": true}, emails: []string{"b@x.io", "c@x.io"}, count: 2},
		{name: "contains matches % literally",
			step:  map[string]any{"table": "contacts", "whereConditions": []any{where("email", "contains", "%")}},
			count: 0},
		{name: "insert binds an injection attempt as plain text",
			step: map[string]any{"table": "contacts", "operation": "insert",
				"fieldMappings": []any{map[string]any{"field": "email", "value": "{{ $trigger.email }}"}, map[string]any{"field": "name", "value": "{{ $trigger.name }}"}, map[string]any{"field": "score", "value": 1}}},
			params: map[string]any{"email": "e@x.io", "name": "x'); DROP TABLE contacts; --"},
			emails: []string{"e@x.io"}, count: 1,
			after: `SELECT name FROM contacts WHERE email = 'e@x.io'`, want: "x'); DROP TABLE contacts; --"},
		{name: "update where",
			step: map[string]any{"table": "contacts", "operation": "update", "fieldMappings": map[string]any{"score": "{{ $trigger.score }}"},
				"whereConditions": []any{where("email", "equals", "e@x.io")}},
			params: map[string]any{"score": 42}, emails: []string{"e@x.io"}, count: 1,
			after: `SELECT CAST(score AS TEXT) FROM contacts WHERE email = 'e@x.io'`, want: "42"},
		{name: "upsert on the unique column",
			step: map[string]any{"table": "contacts", "operation": "upsert", "onConflict": "email",
				"fieldMappings": `{"email": "{{ $trigger.email }}", "name": "Eve"}`},
			params: map[string]any{"email": "e@x.io"}, emails: []string{"e@x.io"}, count: 1,
			after: `SELECT name || '/' || score FROM contacts WHERE email = 'e@x.io'`, want: "Eve/42"},
		{name: "delete where, returnData off",
			step:  map[string]any{"table": "contacts", "operation": "delete", "returnData": false, "whereConditions": []any{where("email", "equals", "e@x.io")}},
			count: 1, after: `SELECT CAST(COUNT(*) AS TEXT) FROM contacts WHERE email = 'e@x.io'`, want: "0"},
		{name: "raw query with bound parameters",
			step:   map[string]any{"query": "SELECT email FROM contacts WHERE score > ? AND name <> ? ORDER BY email", "queryParameters": []any{"{{ $trigger.min }}", "{{ $trigger.name }}"}},
			params: map[string]any{"min": 4, "name": "Bob' OR '1'='1"}, emails: []string{"b@x.io", "c@x.io", "d@x.io"}, count: 3},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exec := e.run(t, fmt.Sprint("wf-", i), tt.step, tt.params)
			out := output(t, exec)
			if got := column(out, "email"); !slices.Equal(got, tt.emails) && (len(got) > 0 || len(tt.emails) > 0) {
				t.Errorf("emails = %v, want %v", got, tt.emails)
			}
			if fmt.Sprint(out["count"]) != fmt.Sprint(tt.count) {
				t.Errorf("count = %v, want %d", out["count"], tt.count)
			}
			if tt.after != "" {
				var got string
				if err := e.db.QueryRow(tt.after).Scan(&got); err != nil || got != tt.want {
					t.Errorf("%s = %q (%v), want %q", tt.after, got, err, tt.want)
				}
			}
		})
	}
}

// Attempts to smuggle SQL through identifiers or raw queries are refused,
// and the table is left as it was.
func TestDataRequestRefusesInjection(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	before := e.snapshot(t)

	t.Run("identifiers at deploy", func(t *testing.T) {
		cases := []struct {
			step map[string]any
			path string
		}{
			{map[string]any{"table": "contacts; DROP TABLE contacts"}, "nodes[1].data.inputs.table"},
			{map[string]any{"table": "contacts", "selectFields": `email, name" FROM contacts; --`}, "nodes[1].data.inputs.selectFields[1]"},
			{map[string]any{"table": "contacts", "orderBy": "score; DROP TABLE contacts"}, "nodes[1].data.inputs.orderBy"},
			{map[string]any{"table": "contacts", "whereConditions": []any{where("1=1 OR email", "equals", "x")}}, "nodes[1].data.inputs.whereConditions[0].field"},
			{map[string]any{"table": "contacts", "operation": "insert", "fieldMappings": []any{map[string]any{"field": "name) VALUES ('x'); --", "value": "x"}}}, "nodes[1].data.inputs.fieldMappings[0].field"},
			{map[string]any{"query": "SELECT * FROM contacts WHERE email = '{{ $trigger.email }}'"}, "nodes[1].data.inputs.query"},
			{map[string]any{"table": "contacts", "operation": "delete"}, "nodes[1].data.inputs.whereConditions"},
			{map[string]any{"table": "contacts", "dataSource": "elsewhere"}, "nodes[1].data.inputs.dataSource"},
		}
		for i, c := range cases {
			step := map[string]any{"type": "data_request", "dataSource": "main"}
			for k, v := range c.step {
				step[k] = v
			}
			_, err := e.svc.Deploy(ctx, workflowJSON(fmt.Sprint("bad-", i), "trigger", nil, step))
			ce, _ := err.(*core.Error)
			if ce == nil || !slices.ContainsFunc(ce.Details, func(f core.FieldError) bool { return f.Path == c.path }) {
				t.Errorf("case %d: want an error at %s, got %v", i, c.path, err)
			}
		}
	})

	t.Run("at run time", func(t *testing.T) {
		cases := []struct {
			step   map[string]any
			params map[string]any
			error  string
		}{
			{map[string]any{"table": "contacts", "operation": "insert", "fieldMappings": "{{ $trigger.row }}"},
				map[string]any{"row": map[string]any{"email": "z@x.io", `name" ) VALUES (1); DROP TABLE contacts; --`: "x"}}, "not a plain identifier"},
			{map[string]any{"table": "contacts", "whereConditions": "{{ $trigger.filter }}"},
				map[string]any{"filter": map[string]any{"email = email OR 1": "x"}}, "not a plain identifier"},
			{map[string]any{"query": "SELECT 1; DROP TABLE contacts"}, nil, "more than one statement"},
			{map[string]any{"query": "SELECT * FROM contacts WHERE email = :email"}, map[string]any{"email": "a@x.io"}, "named or numbered parameter"},
			{map[string]any{"query": "SELECT * FROM contacts WHERE email = ?"}, nil, "1 ? placeholders but 0 parameters"},
		}
		for i, c := range cases {
			exec := e.run(t, fmt.Sprint("rt-", i), c.step, c.params)
			if exec.Status != core.ExecError || !strings.Contains(exec.Error, c.error) {
				t.Errorf("case %d: status %s error %q, want an error with %q", i, exec.Status, exec.Error, c.error)
			}
		}
	})
	if after := e.snapshot(t); after != before {
		t.Fatalf("the table changed:\n before %s\n after  %s", before, after)
	}
}

func TestRowCapTruncates(t *testing.T) {
	e := newEnv(t)
	res, err := e.src.Do(context.Background(), &workflow.DataRequest{Operation: workflow.OpSelect, Table: "contacts", MaxRows: 2,
		OrderBy: []workflow.Order{{Column: "id"}}})
	if err != nil || len(res.Rows) != 2 || !res.Truncated || res.Count != 2 {
		t.Fatalf("rows %d truncated %v count %d, %v", len(res.Rows), res.Truncated, res.Count, err)
	}
	res, err = e.src.Do(context.Background(), &workflow.DataRequest{Operation: workflow.OpSelect, Table: "contacts", MaxRows: 4})
	if err != nil || len(res.Rows) != 4 || res.Truncated {
		t.Fatalf("exactly the cap: rows %d truncated %v, %v", len(res.Rows), res.Truncated, err)
	}
}

func TestBuild(t *testing.T) {
	tests := []struct {
		req  workflow.DataRequest
		sql  string
		args []any
	}{
		{workflow.DataRequest{Operation: "select", Table: "t", Fields: []string{"a", "b"}, Where: []workflow.Condition{{Column: "a", Op: "eq", Value: "x"}, {Column: "b", Op: "startsWith", Value: "5%_"}, {Column: "c", Op: "isNull"}},
			OrderBy: []workflow.Order{{Column: "a", Desc: true}}, Limit: 5, MaxRows: 100},
			`SELECT "a", "b" FROM "t" WHERE "a" = ? AND "b" LIKE ? ESCAPE '\' AND "c" IS NULL ORDER BY "a" DESC LIMIT ?`, []any{"x", `5\%\_%`, int64(6)}},
		{workflow.DataRequest{Operation: "update", Table: "t", Values: []workflow.Assignment{{Column: "a", Value: int64(1)}}, Where: []workflow.Condition{{Column: "id", Op: "in", Value: []any{int64(1), int64(2)}}}},
			`UPDATE "t" SET "a" = ? WHERE "id" IN (?, ?) RETURNING *`, []any{int64(1), int64(1), int64(2)}},
		{workflow.DataRequest{Operation: "upsert", Table: "t", Values: []workflow.Assignment{{Column: "k", Value: "x"}, {Column: "v", Value: nil}}, OnConflict: []string{"k"}},
			`INSERT INTO "t" ("k", "v") VALUES (?, ?) ON CONFLICT ("k") DO UPDATE SET "k" = excluded."k", "v" = excluded."v" RETURNING *`, []any{"x", nil}},
		{workflow.DataRequest{Operation: "query", Query: "SELECT ';' AS x, \"a?\" FROM t WHERE a = ? -- ?\n;", Params: []any{"p"}},
			"SELECT ';' AS x, \"a?\" FROM t WHERE a = ? -- ?\n;", []any{"p"}},
	}
	for i, tt := range tests {
		sql, args, err := sqldata.Build(&tt.req)
		if err != nil || sql != tt.sql || !reflect.DeepEqual(args, tt.args) {
			t.Errorf("%d: %q %v %v\nwant %q %v", i, sql, args, err, tt.sql, tt.args)
		}
	}
}

// Rows inserted between ticks are delivered exactly once, and ticks that
// overlap run the workflow once.
func TestDataChangeTrigger(t *testing.T) {
	for _, state := range []string{"sqlite", "turso"} {
		t.Run(state, func(t *testing.T) { testDataChangeTrigger(t, state) })
	}
}

func testDataChangeTrigger(t *testing.T, stateKind string) {
	e := newEnvWithState(t, stateKind)
	ctx := context.Background()
	trigger := map[string]any{"dataSource": "main", "table": "contacts", "operation": "insert", "timestampColumn": "updated_at"}
	body := workflowJSON("changes", "data_change_trigger", trigger,
		map[string]any{"type": "log", "message": "{{ $trigger.count }} changes"})
	if _, err := e.svc.Deploy(ctx, body); err != nil {
		t.Fatal(err)
	}
	tick := func() int {
		t.Helper()
		n, err := e.svc.RunDue(ctx)
		if err != nil {
			t.Fatalf("tick: %v", err)
		}
		return n
	}
	insert := func(emails ...string) {
		t.Helper()
		for _, em := range emails {
			if _, err := e.db.Exec(`INSERT INTO contacts (email, updated_at) VALUES (?, (SELECT MAX(updated_at) + 1 FROM contacts))`, em); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := tick(); n != 0 {
		t.Fatalf("the first tick only sets the cursor; ran %d", n)
	}
	if n := tick(); n != 0 {
		t.Fatalf("no change, ran %d", n)
	}
	insert("n1@x.io", "n2@x.io")
	if n := tick(); n != 1 {
		t.Fatalf("ran %d, want 1", n)
	}
	if n := tick(); n != 0 {
		t.Fatalf("the same rows again: ran %d", n)
	}
	insert("n3@x.io")
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := e.svc.RunDue(ctx)
			if err != nil {
				t.Errorf("overlapping tick: %v", err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total != 1 {
		t.Fatalf("overlapping ticks ran %d times, want 1", total)
	}
	insert("n4@x.io", "n5@x.io")
	tick()

	list, err := e.svc.ListExecutions(ctx, core.ExecutionQuery{WorkflowID: "changes", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var delivered []string
	for _, ex := range list {
		full, err := e.svc.Execution(ctx, ex.ID)
		if err != nil || full.Status != core.ExecCompleted {
			t.Fatalf("execution %s: %v %v", ex.ID, full, err)
		}
		p := full.TriggerPayload.(map[string]any)
		if p["operation"] != "insert" || fmt.Sprint(p["count"]) != fmt.Sprint(len(p["changes"].([]any))) {
			t.Errorf("payload %v", p)
		}
		for _, c := range p["changes"].([]any) {
			delivered = append(delivered, c.(map[string]any)["email"].(string))
		}
	}
	slices.Sort(delivered)
	if want := []string{"n1@x.io", "n2@x.io", "n3@x.io", "n4@x.io", "n5@x.io"}; !slices.Equal(delivered, want) {
		t.Fatalf("delivered %v, want each new row once: %v", delivered, want)
	}
}

// A poll that fills its batch does not split rows sharing the last
// timestamp: the cursor is strict (>), so the cut-off ones would be lost.
func TestDataChangeTriggerKeepsEqualTimestampsTogether(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	trigger := map[string]any{"dataSource": "main", "table": "contacts", "timestampColumn": "updated_at"}
	if _, err := e.svc.Deploy(ctx, workflowJSON("batch", "data_change_trigger", trigger, map[string]any{"type": "log", "message": "x"})); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RunDue(ctx); err != nil { // sets the cursor
		t.Fatal(err)
	}
	var values []string
	for i := range workflow.MaxChangesPerPoll - 2 {
		values = append(values, fmt.Sprintf("('r%d@x.io', %d)", i, 100+i))
	}
	for i := range 3 {
		values = append(values, fmt.Sprintf("('same%d@x.io', 500)", i))
	}
	if _, err := e.db.Exec(`INSERT INTO contacts (email, updated_at) VALUES ` + strings.Join(values, ", ")); err != nil {
		t.Fatal(err)
	}
	var counts []int
	for range 3 {
		n, err := e.svc.RunDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		list, _ := e.svc.ListExecutions(ctx, core.ExecutionQuery{WorkflowID: "batch", Limit: 1})
		full, _ := e.svc.Execution(ctx, list[0].ID)
		counts = append(counts, int(full.TriggerPayload.(map[string]any)["count"].(float64)))
	}
	if want := []int{workflow.MaxChangesPerPoll - 2, 3}; !slices.Equal(counts, want) {
		t.Fatalf("polls delivered %v rows, want %v", counts, want)
	}
}
