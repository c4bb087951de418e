package dataproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/frontbase/edge/core/workflow"
)

// proxied runs a published proxy request: credentials resolved here.
func (s *Service) proxied(ctx context.Context, pub *published, _ *DataRequest, q *Query) (*Result, error) {
	ds, err := s.datasource(ctx, pub.req.DatasourceID)
	if err != nil {
		return nil, err
	}
	if q != nil {
		return s.query(ctx, ds, pub, q)
	}
	switch ds.kind {
	case "libsql":
		var body sqlBody
		_ = json.Unmarshal(pub.req.Body, &body)
		stmt := firstOf(body.Query, pub.qc.SQL)
		if stmt == "" {
			return s.query(ctx, ds, pub, &Query{PageSize: MaxPageSize})
		}
		args, err := hranaArgs(body.Params)
		if err != nil {
			return nil, err
		}
		res, err := s.pipeline(ctx, ds, []hranaStmt{{SQL: stmt, Args: args}})
		if err != nil {
			return nil, err
		}
		return s.capped(res[0], len(res[0])), nil
	case "supabase", "postgrest":
		return s.query(ctx, ds, pub, &Query{PageSize: MaxPageSize})
	}
	return nil, fail(http.StatusNotImplemented, CodeKind, "datasource %q is of kind %q, which this engine does not proxy (libsql/turso, supabase, postgrest)", ds.id, ds.kind)
}

// capped applies the row cap.
func (s *Service) capped(rows []any, total int) *Result {
	res := &Result{Success: true, Data: rows, Total: total}
	if len(rows) > s.opts.MaxRows {
		res.Data, res.Truncated = rows[:s.opts.MaxRows], true
	}
	if res.Data == nil {
		res.Data = []any{}
	}
	res.Count = len(res.Data)
	return res
}

// query runs one page of pub.table on ds, built here.
func (s *Service) query(ctx context.Context, ds *datasource, pub *published, q *Query) (*Result, error) {
	if err := checkIdent(pub.table); err != nil {
		return nil, fail(http.StatusBadRequest, CodeInvalid, "table: %v", err)
	}
	var searchCols []string
	if q.Search != "" {
		for _, c := range pub.searchCols {
			if checkIdent(c) == nil {
				searchCols = append(searchCols, c)
			}
		}
		if len(searchCols) == 0 {
			return nil, fail(http.StatusBadRequest, CodeInvalid, "query.search: this table has no searchable columns")
		}
	}
	switch ds.kind {
	case "libsql":
		return s.sqlPage(ctx, ds, pub.table, searchCols, q)
	case "supabase", "postgrest":
		return s.restPage(ctx, ds, pub.table, searchCols, q)
	}
	return nil, fail(http.StatusNotImplemented, CodeKind, "datasource %q is of kind %q, which this engine does not proxy (libsql/turso, supabase, postgrest)", ds.id, ds.kind)
}

func quote(ident string) string { return `"` + ident + `"` }

// sqlPage: one page and the total in one pipeline (SQLite dialect).
func (s *Service) sqlPage(ctx context.Context, ds *datasource, table string, searchCols []string, q *Query) (*Result, error) {
	var where string
	var args []hranaValue
	if len(searchCols) > 0 {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q.Search) + "%"
		terms := make([]string, len(searchCols))
		for i, c := range searchCols {
			terms[i] = "CAST(" + quote(c) + ` AS TEXT) LIKE ? ESCAPE '\'`
			args = append(args, hranaValue{Type: "text", Value: like})
		}
		where = " WHERE " + strings.Join(terms, " OR ")
	}
	order := ""
	if q.Sort != "" {
		dir := "ASC"
		if q.Dir == "desc" {
			dir = "DESC"
		}
		order = " ORDER BY " + quote(q.Sort) + " " + dir
	}
	page := append(append([]hranaValue{}, args...),
		hranaValue{Type: "integer", Value: strconv.Itoa(q.PageSize)},
		hranaValue{Type: "integer", Value: strconv.Itoa(q.Page * q.PageSize)})
	res, err := s.pipeline(ctx, ds, []hranaStmt{
		{SQL: "SELECT * FROM " + quote(table) + where + order + " LIMIT ? OFFSET ?", Args: page},
		{SQL: "SELECT COUNT(*) AS n FROM " + quote(table) + where, Args: args},
	})
	if err != nil {
		return nil, err
	}
	total := 0
	if len(res[1]) == 1 {
		if m, ok := res[1][0].(map[string]any); ok {
			total = int(toInt(m["n"]))
		}
	}
	return s.capped(res[0], total), nil
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

// pipeline runs statements in one libSQL /v2/pipeline request and returns
// each one's rows as objects.
func (s *Service) pipeline(ctx context.Context, ds *datasource, stmts []hranaStmt) ([][]any, error) {
	req := hranaRequest{}
	for i := range stmts {
		req.Requests = append(req.Requests, hranaStreamRequest{Type: "execute", Stmt: &stmts[i]})
	}
	// No "close" request: the stream has no baton to keep, so the server
	// ends it, and tursodb refuses a "close" in a pipeline.
	body, _ := json.Marshal(req)
	h := map[string]string{"Content-Type": "application/json"}
	if ds.secret != "" {
		h["Authorization"] = "Bearer " + ds.secret
	}
	status, _, raw, err := s.do(ctx, http.MethodPost, ds.base+"/v2/pipeline", h, body)
	if err != nil {
		return nil, err
	}
	if status/100 != 2 {
		return nil, s.upstream(ctx, status, raw)
	}
	var resp hranaResponse
	if err := json.Unmarshal(raw, &resp); err != nil || len(resp.Results) < len(stmts) {
		return nil, fail(http.StatusBadGateway, CodeFailed, "the datasource's answer is not a libSQL pipeline result")
	}
	out := make([][]any, len(stmts))
	for i := range stmts {
		r := resp.Results[i]
		if r.Type != "ok" || r.Response == nil || r.Response.Result == nil {
			msg := "statement failed"
			if r.Error != nil {
				msg = r.Error.Message
			}
			s.opts.Logger.WarnContext(ctx, "data proxy: statement failed", "datasource", ds.id, "err", msg)
			return nil, fail(http.StatusBadGateway, CodeFailed, "the datasource refused the query")
		}
		rows := make([]any, 0, len(r.Response.Result.Rows))
		for _, row := range r.Response.Result.Rows {
			m := make(map[string]any, len(row))
			for j, v := range row {
				if j < len(r.Response.Result.Cols) {
					m[r.Response.Result.Cols[j].Name] = hranaGo(v)
				}
			}
			rows = append(rows, m)
		}
		out[i] = rows
	}
	return out, nil
}

func hranaGo(v hranaValue) any {
	switch v.Type {
	case "integer":
		s, _ := v.Value.(string)
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return s
		}
		return n
	case "float":
		return v.Value
	case "text":
		return v.Value
	case "blob":
		return v.Base64
	}
	return nil
}

func hranaArgs(params []any) ([]hranaValue, error) {
	var out []hranaValue
	for _, p := range params {
		switch v := p.(type) {
		case nil:
			out = append(out, hranaValue{Type: "null"})
		case string:
			out = append(out, hranaValue{Type: "text", Value: v})
		case bool:
			out = append(out, hranaValue{Type: "integer", Value: map[bool]string{true: "1", false: "0"}[v]})
		case float64:
			if v == float64(int64(v)) {
				out = append(out, hranaValue{Type: "integer", Value: strconv.FormatInt(int64(v), 10)})
			} else {
				out = append(out, hranaValue{Type: "float", Value: v})
			}
		default:
			return nil, fail(http.StatusBadRequest, CodeInvalid, "params: only null, text, numbers and booleans bind")
		}
	}
	return out, nil
}

// restPage: one page of a PostgREST table (Supabase under /rest/v1), the
// total from Content-Range (Prefer: count=exact).
func (s *Service) restPage(ctx context.Context, ds *datasource, table string, searchCols []string, q *Query) (*Result, error) {
	base := ds.base
	if ds.kind == "supabase" && !strings.HasSuffix(base, "/rest/v1") {
		base += "/rest/v1"
	}
	v := url.Values{"select": {"*"}, "limit": {strconv.Itoa(q.PageSize)}, "offset": {strconv.Itoa(q.Page * q.PageSize)}}
	if q.Sort != "" {
		dir := "asc"
		if q.Dir == "desc" {
			dir = "desc"
		}
		v.Set("order", q.Sort+"."+dir)
	}
	if len(searchCols) > 0 {
		// PostgREST's or=() takes a quoted value; * is its wildcard.
		val := `"*` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(q.Search) + `*"`
		terms := make([]string, len(searchCols))
		for i, c := range searchCols {
			terms[i] = c + ".ilike." + val
		}
		v.Set("or", "("+strings.Join(terms, ",")+")")
	}
	h := map[string]string{"Accept": "application/json", "Prefer": "count=exact"}
	if ds.secret != "" {
		h["Authorization"] = "Bearer " + ds.secret
		if ds.kind == "supabase" {
			h["apikey"] = ds.secret
		}
	}
	status, hdr, raw, err := s.do(ctx, http.MethodGet, base+"/"+table+"?"+v.Encode(), h, nil)
	if err != nil {
		return nil, err
	}
	if status/100 != 2 {
		return nil, s.upstream(ctx, status, raw)
	}
	var rows []any
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, fail(http.StatusBadGateway, CodeFailed, "the datasource's answer is not a JSON array")
	}
	total := len(rows)
	if n, ok := contentRangeTotal(hdr.Get("Content-Range")); ok {
		total = n
	}
	return s.capped(rows, total), nil
}

var contentRange = regexp.MustCompile(`/(\d+)$`)

func contentRangeTotal(h string) (int, bool) {
	m := contentRange.FindStringSubmatch(h)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// direct runs a published direct request (a PostgREST RPC or URL) with
// the published URL, method and headers.
func (s *Service) direct(ctx context.Context, pub *published, in *DataRequest, q *Query) (*Result, error) {
	target := pub.req.URL
	if err := checkURL(target); err != nil {
		return nil, err
	}
	method := strings.ToUpper(firstOf(pub.req.Method, http.MethodGet))
	body := []byte(pub.req.Body)
	if pub.qc.UseRPC {
		var err error
		var search bool
		if body, search, err = rpcBody(pub, in, q); err != nil {
			return nil, err
		}
		if search {
			target = strings.Replace(target, "frontbase_get_rows", "frontbase_search_rows", 1)
		}
	}
	if method == http.MethodGet {
		body = nil
	}
	status, hdr, raw, err := s.do(ctx, method, target, pub.req.Headers, body)
	if err != nil {
		return nil, err
	}
	if status/100 != 2 {
		return nil, s.upstream(ctx, status, raw)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fail(http.StatusBadGateway, CodeFailed, "the datasource's answer is not JSON")
	}
	data := byPath(doc, pub.req.ResultPath)
	rows, ok := data.([]any)
	if !ok {
		rows = []any{}
		if data != nil {
			rows = []any{data}
		}
	}
	if pub.req.FlattenRelations == nil || *pub.req.FlattenRelations {
		flatten(rows)
	}
	total, ok := contentRangeTotal(hdr.Get("Content-Range"))
	if !ok {
		total = len(rows)
		if m, isObj := doc.(map[string]any); isObj {
			if n, isNum := m["total"].(float64); isNum {
				total = int(n)
			}
		}
	}
	return s.capped(rows, total), nil
}

// rpcBody is the body of a frontbase_get_rows / frontbase_search_rows call:
// the published table, columns and joins always; paging, sort, search and
// filters from this engine's query or from the TypeScript hook's body.
func rpcBody(pub *published, in *DataRequest, q *Query) ([]byte, bool, error) {
	var base map[string]any
	_ = json.Unmarshal(pub.req.Body, &base)
	if base == nil {
		base = map[string]any{}
	}
	if q != nil {
		base["page"] = q.Page + 1
		base["page_size"] = q.PageSize
		base["filters"] = []any{}
		delete(base, "search_query")
		if q.Search != "" {
			base["search_query"] = q.Search
			base["search_cols"] = pub.searchCols
			delete(base, "sort_col")
			delete(base, "sort_dir")
		} else if q.Sort != "" {
			base["sort_col"] = q.Sort
			base["sort_dir"] = firstOf(q.Dir, "asc")
		}
		b, _ := json.Marshal(base)
		return b, q.Search != "", nil
	}
	if len(in.Body) == 0 {
		b, _ := json.Marshal(base)
		return b, false, nil
	}
	var got map[string]any
	if err := json.Unmarshal(in.Body, &got); err != nil {
		return nil, false, fail(http.StatusBadRequest, CodeInvalid, "body: expected a JSON object")
	}
	for _, k := range [...]string{"table_name", "columns", "joins"} {
		a, _ := json.Marshal(base[k])
		b, _ := json.Marshal(got[k])
		if canonical(a) != canonical(b) {
			return nil, false, fail(http.StatusForbidden, CodeNotPublished, "body.%s differs from the published data request", k)
		}
	}
	search, _ := got["search_query"].(string)
	b, _ := json.Marshal(got)
	return b, search != "", nil
}

var pathIndex = regexp.MustCompile(`\[(\d+)\]`)

// byPath reads "rows" or "results[0].data" of a JSON document.
func byPath(doc any, path string) any {
	return workflow.Lookup(doc, pathIndex.ReplaceAllString(path, ".$1"))
}

// flatten turns nested relation objects into "table.column" members, as
// the TypeScript engine does.
func flatten(rows []any) {
	for i, r := range rows {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		flat := make(map[string]any, len(m))
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				for sk, sv := range sub {
					flat[k+"."+sk] = sv
				}
				continue
			}
			flat[k] = v
		}
		rows[i] = flat
	}
}

// upstream is a datasource's non-2xx answer; its text goes to the log only.
func (s *Service) upstream(ctx context.Context, status int, raw []byte) error {
	s.opts.Logger.WarnContext(ctx, "data proxy: datasource answered an error", "status", status, "body", string(raw[:min(len(raw), 300)]))
	return fail(http.StatusBadGateway, CodeFailed, "the datasource answered HTTP %d", status)
}

// do sends one request through the guarded client and reads at most
// MaxResponseBytes of the answer.
func (s *Service) do(ctx context.Context, method, target string, headers map[string]string, body []byte) (int, http.Header, []byte, error) {
	if err := checkURL(target); err != nil {
		return 0, nil, nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return 0, nil, nil, fail(http.StatusBadGateway, CodeFailed, "the datasource URL is not usable")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.opts.HTTP.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, s.opts.MaxResponseBytes+1))
	if err != nil {
		return 0, nil, nil, err
	}
	if int64(len(raw)) > s.opts.MaxResponseBytes {
		return 0, nil, nil, fail(http.StatusBadGateway, CodeTooLarge, "the datasource's answer is larger than %d bytes", s.opts.MaxResponseBytes)
	}
	return resp.StatusCode, resp.Header, raw, nil
}
