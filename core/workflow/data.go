package workflow

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DataSource is one database the operator configured (FRONTBASE_DATASOURCES)
// that data_request and data_change_trigger reach. The core only builds
// requests: identifiers are validated here, values travel separately and
// each implementation binds them (SQL parameters, PostgREST filter values
// URL-encoded), never splicing them into a statement.
//
// Implementations: PostgREST (Supabase) in this package, over the guarded
// HTTP client; SQL on libSQL/Turso or SQLite in adapters/sqldata.
type DataSource interface {
	Do(ctx context.Context, req *DataRequest) (*DataResult, error)
}

// SQLDataSource is a DataSource that also runs raw SQL (the query input).
type SQLDataSource interface {
	DataSource
	SQL() bool
}

// Data request operations.
const (
	OpSelect = "select"
	OpInsert = "insert"
	OpUpdate = "update"
	OpDelete = "delete"
	OpUpsert = "upsert"
	OpQuery  = "query" // raw SQL with ? parameters, SQL sources only
)

var dataOps = []string{OpSelect, OpInsert, OpUpdate, OpDelete, OpUpsert, OpQuery}

// DataRequest is one operation on one table, every identifier already
// checked against identPattern.
type DataRequest struct {
	Operation  string
	Table      string
	Fields     []string     // select: the columns; empty is every column
	Where      []Condition  // joined with AND
	OrderBy    []Order      // select
	Limit      int          // select: at most this many rows (capped by MaxRows)
	Values     []Assignment // insert, update, upsert
	OnConflict []string     // upsert: the conflict columns
	Query      string       // query: one SQL statement with ? placeholders
	Params     []any        // query: the placeholders' values, in order
	MaxRows    int          // the most rows returned; more is Truncated
}

// Condition is one WHERE term. Op is one of the canonical operators below;
// Value is a list for in/notIn and unused for isNull/notNull.
type Condition struct {
	Column string
	Op     string
	Value  any
}

// Canonical condition operators. contains, startsWith and endsWith match
// their value literally (sources escape wildcards); like takes a pattern.
var condOps = map[string]string{
	"eq": "eq", "equals": "eq", "=": "eq", "==": "eq",
	"neq": "neq", "notEquals": "neq", "!=": "neq", "<>": "neq",
	"gt": "gt", "greaterThan": "gt", ">": "gt",
	"gte": "gte", "greaterThanOrEqual": "gte", ">=": "gte",
	"lt": "lt", "lessThan": "lt", "<": "lt",
	"lte": "lte", "lessThanOrEqual": "lte", "<=": "lte",
	"like": "like", "contains": "contains", "startsWith": "startsWith", "endsWith": "endsWith",
	"in": "in", "notIn": "notIn",
	"isNull": "isNull", "isEmpty": "isNull", "is_null": "isNull",
	"notNull": "notNull", "isNotNull": "notNull", "isNotEmpty": "notNull", "is_not_null": "notNull",
}

// Order is one ORDER BY term.
type Order struct {
	Column string
	Desc   bool
}

// Assignment sets one column.
type Assignment struct {
	Column string
	Value  any
}

// DataResult is what a data source returned.
type DataResult struct {
	Rows      []map[string]any
	Count     int  // rows returned (or affected, for mutations)
	Truncated bool // more than MaxRows rows matched; the rest were dropped
}

// Limits on data access.
const (
	DefaultDataMaxRows = 1000
	DefaultDataTimeout = 10 * time.Second
	maxDataTimeout     = 60 * time.Second
)

// identPattern is what a table or column name may be: it is then quoted.
var identPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`) })

// CheckIdent refuses anything but a plain identifier.
func CheckIdent(s string) error {
	if !identPattern().MatchString(s) {
		return fmt.Errorf("%q is not a plain identifier (letters, digits and _, starting with a letter or _, at most 63)", s)
	}
	return nil
}

// ---- deploy-time checks

// checkDataRequest checks a data_request node's static inputs: the
// operation, every literal identifier, and that raw SQL has no template
// (values reach SQL only as parameters).
func checkDataRequest(n *Node, p string, is *Issues) {
	need := func(name string) {
		if v, ok := n.Inputs[name]; !ok || v == nil || v == "" {
			is.errorf(p+name, "required for %s", n.Type)
		}
	}
	need("dataSource")
	if s := str(n.Inputs["dataSource"]); hasTemplate(s) {
		is.errorf(p+"dataSource", "must name a configured data source, not an expression")
	}
	op := dataOperation(n)
	if !slices.Contains(dataOps, op) {
		is.errorf(p+"operation", "%q is not one of %s", op, strings.Join(dataOps, ", "))
		return
	}
	if op == OpQuery {
		q := str(n.Inputs["query"])
		switch {
		case strings.TrimSpace(q) == "":
			is.errorf(p+"query", "required for a raw query")
		case hasTemplate(q):
			is.errorf(p+"query", "expressions cannot be spliced into SQL; write ? placeholders and give their values in queryParameters")
		}
		return
	}
	need("table")
	identAt := func(path, s string) {
		if s != "" && !hasTemplate(s) {
			if err := CheckIdent(s); err != nil {
				is.errorf(path, "%v", err)
			}
		}
	}
	// literalAt checks a name that must be written out, never computed.
	literalAt := func(path, kind, s string) {
		switch {
		case s == "":
			is.errorf(path, "required")
		case hasTemplate(s):
			is.errorf(path, "must be a %s name, not an expression", kind)
		default:
			identAt(path, s)
		}
	}
	if table := str(n.Inputs["table"]); table != "" {
		literalAt(p+"table", "table", table) // missing: need reported it
	}
	if op == OpSelect {
		if fs, ok := n.Inputs["selectFields"].(string); !ok || !hasTemplate(fs) {
			for i, f := range fieldList(n.Inputs["selectFields"]) {
				identAt(fmt.Sprintf("%sselectFields[%d]", p, i), f)
			}
		}
		if o, ok := n.Inputs["orderBy"].(string); !ok || !hasTemplate(o) {
			if _, err := parseOrder(n.Inputs["orderBy"]); err != nil {
				is.errorf(p+"orderBy", "%v", err)
			}
		}
		if l := n.Inputs["limit"]; l != nil && l != "" && !hasTemplate(str(l)) {
			if v, ok := number(l); !ok || v < 0 || v != float64(int(v)) {
				is.errorf(p+"limit", "expected a whole number of rows, got %q", str(l))
			}
		}
	}
	if conds, ok := n.Inputs["whereConditions"].([]any); ok {
		for i, c := range conds {
			m, _ := c.(map[string]any)
			cp := fmt.Sprintf("%swhereConditions[%d]", p, i)
			literalAt(cp+".field", "column", cmp.Or(str(m["field"]), str(m["column"])))
			if o := cmp.Or(str(m["operator"]), "equals"); condOps[o] == "" {
				is.errorf(cp+".operator", "%q is not one of %s", o, strings.Join(sortedKeys(condOps), ", "))
			}
		}
	}
	switch op {
	case OpUpdate, OpDelete:
		if empty(n.Inputs["whereConditions"]) {
			is.errorf(p+"whereConditions", "%s needs at least one condition: a data_request never changes every row of a table", op)
		}
	}
	switch op {
	case OpInsert, OpUpdate, OpUpsert:
		need("fieldMappings")
		if list, ok := n.Inputs["fieldMappings"].([]any); ok {
			for i, item := range list {
				m, _ := item.(map[string]any)
				col := cmp.Or(str(m["field"]), str(m["column"]), str(m["name"]), str(m["key"]))
				literalAt(fmt.Sprintf("%sfieldMappings[%d].field", p, i), "column", col)
			}
		}
	}
	if op == OpUpsert {
		for i, f := range fieldList(n.Inputs["onConflict"]) {
			identAt(fmt.Sprintf("%sonConflict[%d]", p, i), f)
		}
	}
}

// dataOperation is the node's operation, lower case; a node with a query
// and no operation is a raw query.
func dataOperation(n *Node) string {
	op := strings.ToLower(strings.TrimSpace(str(n.Inputs["operation"])))
	switch op {
	case "":
		if strings.TrimSpace(str(n.Inputs["query"])) != "" {
			return OpQuery
		}
		return OpSelect
	case "raw", "sql", "custom":
		return OpQuery
	case "create":
		return OpInsert
	case "read", "get", "list":
		return OpSelect
	}
	return op
}

// checkDataChangeTrigger checks a data_change_trigger's inputs.
func checkDataChangeTrigger(n *Node, p string, is *Issues) {
	for _, name := range []string{"dataSource", "table", "timestampColumn"} {
		v := str(n.Inputs[name])
		switch {
		case v == "":
			is.errorf(p+name, "required for %s", n.Type)
		case hasTemplate(v):
			is.errorf(p+name, "must be a literal name, not an expression")
		case name != "dataSource":
			if err := CheckIdent(v); err != nil {
				is.errorf(p+name, "%v", err)
			}
		}
	}
	switch op := cmp.Or(str(n.Inputs["operation"]), "any"); op {
	case "any", "insert", "update":
	case "delete":
		is.errorf(p+"operation", "delete cannot be detected by polling a timestamp column (deleted rows are gone); use any, insert or update")
	default:
		is.errorf(p+"operation", "%q is not one of any, insert, update", op)
	}
	if v := n.Inputs["pollingInterval"]; v != nil && v != "" {
		if secs, ok := number(v); !ok || secs < 0 {
			is.errorf(p+"pollingInterval", "expected a number of seconds, got %q", str(v))
		} else if secs > 0 && secs < 60 {
			is.warnf(p+"pollingInterval", "the scheduler ticks once a minute: polled every 60 s, not every %s s", str(v))
		}
	}
}

// CheckDataSources reports data nodes naming a data source that is not
// configured, and raw queries against a source that does not run SQL.
func (g *Graph) CheckDataSources(sources map[string]DataSource, is *Issues) {
	for _, n := range g.Nodes {
		if n.Type != "data_request" && n.Type != "data_change_trigger" {
			continue
		}
		name := str(n.Inputs["dataSource"])
		if name == "" || hasTemplate(name) {
			continue
		}
		p := n.path + ".inputs.dataSource"
		src, ok := sources[name]
		if !ok {
			if len(sources) == 0 {
				is.errorf(p, "no data source %q: none is configured (the operator sets FRONTBASE_DATASOURCES)", name)
			} else {
				is.errorf(p, "no data source %q (configured: %s)", name, strings.Join(sortedKeys(sources), ", "))
			}
			continue
		}
		if n.Type == "data_request" && dataOperation(n) == OpQuery {
			if s, ok := src.(SQLDataSource); !ok || !s.SQL() {
				is.errorf(n.path+".inputs.query", "data source %q does not run SQL (raw queries need a libsql or sqlite source)", name)
			}
		}
	}
}

// ---- run time

// fieldList reads a comma list or a list of names.
func fieldList(v any) []string {
	var out []string
	switch t := v.(type) {
	case string:
		for _, f := range strings.Split(t, ",") {
			if f = strings.TrimSpace(f); f != "" && f != "*" {
				out = append(out, f)
			}
		}
	case []any:
		for _, item := range t {
			if m, ok := item.(map[string]any); ok {
				item = cmp.Or(str(m["field"]), str(m["column"]), str(m["name"]))
			}
			if f := strings.TrimSpace(str(item)); f != "" && f != "*" {
				out = append(out, f)
			}
		}
	}
	return out
}

// parseOrder reads "col", "col desc", "col.desc", a comma list of those, or
// a list of {field|column, direction|order}.
func parseOrder(v any) ([]Order, error) {
	var terms [][2]string
	switch t := v.(type) {
	case nil:
	case string:
		for _, f := range strings.Split(t, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			col, dir, _ := strings.Cut(strings.ReplaceAll(f, ".", " "), " ")
			terms = append(terms, [2]string{col, strings.TrimSpace(dir)})
		}
	case []any:
		for _, item := range t {
			switch it := item.(type) {
			case map[string]any:
				terms = append(terms, [2]string{cmp.Or(str(it["field"]), str(it["column"])), cmp.Or(str(it["direction"]), str(it["order"]))})
			default:
				o, err := parseOrder(str(it))
				if err != nil {
					return nil, err
				}
				for _, x := range o {
					terms = append(terms, [2]string{x.Column, map[bool]string{true: "desc"}[x.Desc]})
				}
			}
		}
	case map[string]any:
		return parseOrder([]any{t})
	default:
		return nil, fmt.Errorf("expected a column, \"column desc\" or a list of {field, direction}")
	}
	var out []Order
	for _, tm := range terms {
		if err := CheckIdent(tm[0]); err != nil {
			return nil, err
		}
		var desc bool
		switch strings.ToLower(tm[1]) {
		case "", "asc", "ascending":
		case "desc", "descending":
			desc = true
		default:
			return nil, fmt.Errorf("order direction %q is not asc or desc", tm[1])
		}
		out = append(out, Order{Column: tm[0], Desc: desc})
	}
	return out, nil
}

// dataRequest runs a data_request node.
func (st *run) dataRequest(n *Node, sc scope) (any, error) {
	name := str(n.Inputs["dataSource"])
	src := st.r.Data[name]
	if src == nil {
		return nil, fmt.Errorf("data source %q is not configured on this engine (FRONTBASE_DATASOURCES)", name)
	}
	req, err := st.buildDataRequest(n, sc)
	if err != nil {
		return nil, err
	}
	if req.Operation == OpQuery {
		if s, ok := src.(SQLDataSource); !ok || !s.SQL() {
			return nil, fmt.Errorf("data source %q does not run SQL", name)
		}
	}
	timeout := DefaultDataTimeout
	if v, ok := number(n.Inputs["timeout"]); ok && v > 0 {
		timeout = min(time.Duration(v)*time.Millisecond, maxDataTimeout)
	}
	ctx, cancel := context.WithTimeout(st.ctx, timeout)
	defer cancel()
	res, err := src.Do(ctx, req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil && st.ctx.Err() == nil {
			return nil, fmt.Errorf("%s on data source %q timed out after %s", req.Operation, name, timeout)
		}
		return nil, fmt.Errorf("%s on data source %q: %w", req.Operation, name, err)
	}
	out := map[string]any{"count": res.Count}
	returnData := n.Inputs["returnData"] == nil || n.Inputs["returnData"] == "" || truthy(n.Inputs["returnData"])
	if returnData || req.Operation == OpSelect || req.Operation == OpQuery {
		rows := make([]any, len(res.Rows))
		for i, r := range res.Rows {
			rows[i] = r
		}
		out["data"] = rows
	}
	if res.Truncated {
		out["truncated"] = true
	}
	return out, nil
}

func (st *run) buildDataRequest(n *Node, sc scope) (*DataRequest, error) {
	req := &DataRequest{Operation: dataOperation(n), MaxRows: DefaultDataMaxRows}
	if st.r.DataMaxRows > 0 {
		req.MaxRows = st.r.DataMaxRows
	}
	if req.Operation == OpQuery {
		req.Query = str(n.Inputs["query"])
		params, err := st.document(n, "queryParameters", sc)
		if err != nil {
			return nil, err
		}
		if params == nil || params == "" {
			if params, err = st.document(n, "parameters", sc); err != nil {
				return nil, err
			}
		}
		switch t := params.(type) {
		case nil:
		case []any:
			for _, p := range t {
				if m, ok := p.(map[string]any); ok {
					if v, has := m["value"]; has {
						p = v
					}
				}
				req.Params = append(req.Params, bindable(p))
			}
		case string:
			if t != "" {
				var list []any
				if err := json.Unmarshal([]byte(t), &list); err != nil {
					return nil, fmt.Errorf("queryParameters: expected a list of values for the ? placeholders")
				}
				for _, p := range list {
					req.Params = append(req.Params, bindable(p))
				}
			}
		default:
			return nil, fmt.Errorf("queryParameters: expected a list of values for the ? placeholders")
		}
		return req, nil
	}
	req.Table = str(n.Inputs["table"])
	if err := CheckIdent(req.Table); err != nil {
		return nil, fmt.Errorf("table: %w", err)
	}
	fields, err := st.input(n, "selectFields", sc)
	if err != nil {
		return nil, err
	}
	if req.Operation == OpSelect {
		req.Fields = fieldList(fields)
		for _, f := range req.Fields {
			if err := CheckIdent(f); err != nil {
				return nil, fmt.Errorf("selectFields: %w", err)
			}
		}
		ord, err := st.input(n, "orderBy", sc)
		if err != nil {
			return nil, err
		}
		if req.OrderBy, err = parseOrder(ord); err != nil {
			return nil, fmt.Errorf("orderBy: %w", err)
		}
		lim, err := st.input(n, "limit", sc)
		if err != nil {
			return nil, err
		}
		if lim != nil && lim != "" {
			l, ok := number(lim)
			if !ok || l < 0 {
				return nil, fmt.Errorf("limit: expected a whole number, got %q", str(lim))
			}
			req.Limit = int(l)
		}
	}
	if req.Where, err = st.whereConditions(n, sc); err != nil {
		return nil, err
	}
	switch req.Operation {
	case OpUpdate, OpDelete:
		if len(req.Where) == 0 {
			return nil, fmt.Errorf("%s needs at least one condition", req.Operation)
		}
	}
	switch req.Operation {
	case OpInsert, OpUpdate, OpUpsert:
		if req.Values, err = st.fieldMappings(n, sc); err != nil {
			return nil, err
		}
		if len(req.Values) == 0 {
			return nil, fmt.Errorf("fieldMappings: no column to write")
		}
	}
	if req.Operation == OpUpsert {
		req.OnConflict = fieldList(n.Inputs["onConflict"])
		for _, f := range req.OnConflict {
			if err := CheckIdent(f); err != nil {
				return nil, fmt.Errorf("onConflict: %w", err)
			}
		}
	}
	return req, nil
}

// whereConditions reads a list of {field|column, operator, value} or an
// object of column to value (equality).
func (st *run) whereConditions(n *Node, sc scope) ([]Condition, error) {
	raw := n.Inputs["whereConditions"]
	var out []Condition
	add := func(i int, col, op string, value any) error {
		if err := CheckIdent(col); err != nil {
			return fmt.Errorf("whereConditions[%d].field: %w", i, err)
		}
		canon := condOps[cmp.Or(op, "equals")]
		if canon == "" {
			return fmt.Errorf("whereConditions[%d].operator: %q is not known", i, op)
		}
		switch canon {
		case "in", "notIn":
			list, ok := value.([]any)
			if !ok {
				if s, isStr := value.(string); isStr {
					for _, f := range strings.Split(s, ",") {
						list = append(list, strings.TrimSpace(f))
					}
				} else {
					list = []any{value}
				}
			}
			for j := range list {
				list[j] = bindable(list[j])
			}
			value = list
		case "isNull", "notNull":
			value = nil
		default:
			value = bindable(value)
		}
		out = append(out, Condition{Column: col, Op: canon, Value: value})
		return nil
	}
	switch t := raw.(type) {
	case nil:
	case []any:
		for i, item := range t {
			m, _ := item.(map[string]any)
			if m == nil {
				return nil, fmt.Errorf("whereConditions[%d]: expected {field, operator, value}", i)
			}
			value, err := st.resolve(m["value"], sc)
			if err != nil {
				return nil, fmt.Errorf("whereConditions[%d].value: %w", i, err)
			}
			if err := add(i, cmp.Or(str(m["field"]), str(m["column"])), str(m["operator"]), value); err != nil {
				return nil, err
			}
		}
	default:
		// A JSON text is filled value by value: a value cannot add a term.
		v, err := st.document(n, "whereConditions", sc)
		if err != nil {
			return nil, err
		}
		if s, ok := v.(string); ok {
			if s == "" {
				return nil, nil
			}
			if err := json.Unmarshal([]byte(s), &v); err != nil {
				return nil, fmt.Errorf("whereConditions: expected a list of {field, operator, value} or an object of column to value")
			}
		}
		switch t := v.(type) {
		case map[string]any:
			for i, k := range sortedKeys(t) {
				if err := add(i, k, "equals", t[k]); err != nil {
					return nil, err
				}
			}
		case []any:
			n2 := *n
			n2.Inputs = map[string]any{"whereConditions": t}
			return st.whereConditions(&n2, sc)
		case nil:
		default:
			return nil, fmt.Errorf("whereConditions: expected a list of {field, operator, value} or an object of column to value")
		}
	}
	return out, nil
}

// fieldMappings reads a list of {field|column|name|key, value} or an object
// of column to value (for instance {{ $input.data }}).
func (st *run) fieldMappings(n *Node, sc scope) ([]Assignment, error) {
	var out []Assignment
	raw := n.Inputs["fieldMappings"]
	if list, ok := raw.([]any); ok {
		for i, item := range list {
			m, _ := item.(map[string]any)
			if m == nil {
				return nil, fmt.Errorf("fieldMappings[%d]: expected {field, value}", i)
			}
			col := cmp.Or(str(m["field"]), str(m["column"]), str(m["name"]), str(m["key"]))
			if err := CheckIdent(col); err != nil {
				return nil, fmt.Errorf("fieldMappings[%d].field: %w", i, err)
			}
			v, err := st.resolve(m["value"], sc)
			if err != nil {
				return nil, fmt.Errorf("fieldMappings[%d].value: %w", i, err)
			}
			out = append(out, Assignment{Column: col, Value: bindable(v)})
		}
		return out, nil
	}
	v, err := st.document(n, "fieldMappings", sc)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("fieldMappings: expected a list of {field, value} or an object of column to value")
	}
	for _, k := range sortedKeys(m) {
		if err := CheckIdent(k); err != nil {
			return nil, fmt.Errorf("fieldMappings.%s: %w", k, err)
		}
		out = append(out, Assignment{Column: k, Value: bindable(m[k])})
	}
	return out, nil
}

// bindable turns a value into one a database binds: objects and lists as
// their JSON text, whole numbers as integers.
func bindable(v any) any {
	switch t := v.(type) {
	case nil, string, bool, int64:
		return t
	case int:
		return int64(t)
	case float64:
		if t == float64(int64(t)) && t < 1<<53 && t > -(1<<53) {
			return int64(t)
		}
		return t
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		f, _ := strconv.ParseFloat(string(t), 64)
		return f
	default:
		b, err := json.Marshal(t)
		if err != nil {
			return fmt.Sprint(t)
		}
		return string(b)
	}
}
