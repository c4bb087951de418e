package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// PostgREST is a DataSource over PostgREST's HTTP API (Supabase's
// /rest/v1): one table per path, filters as column=op.value query
// parameters. Identifiers are checked before they reach the URL; values
// are URL-encoded, and list items double-quoted, as PostgREST documents.
// It goes through the workflow engine's SSRF-guarded client.
type PostgREST struct {
	base     *url.URL
	key      string
	client   *http.Client
	supabase bool
	// MaxBytes caps a response body (MaxResponseBytes when 0).
	MaxBytes int64
}

// NewPostgREST returns a PostgREST source. For Supabase, rawURL is the
// project URL (https://REF.supabase.co) and /rest/v1 is added; key is sent
// as apikey and bearer token. client should be NewHTTPClient's.
func NewPostgREST(rawURL, key string, supabase bool, client *http.Client) (*PostgREST, error) {
	u, err := url.Parse(strings.TrimRight(rawURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("expected an https:// URL with a host")
	}
	if supabase && !strings.HasSuffix(u.Path, "/rest/v1") {
		u.Path += "/rest/v1"
	}
	if client == nil {
		client = defaultClient
	}
	return &PostgREST{base: u, key: key, client: client, supabase: supabase}, nil
}

// SQL reports that raw SQL cannot run here.
func (p *PostgREST) SQL() bool { return false }

// pgrstValue quotes a list item for in.(…): PostgREST's reserved
// characters (, . : ( ) and quotes) are safe inside double quotes, with
// " and \ escaped by a backslash.
func pgrstValue(v any) string {
	s := textOf(v)
	if v == nil {
		return "null"
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// likeLiteral escapes LIKE's wildcards (% _, with PostgreSQL's default
// escape character \) so a contains/startsWith/endsWith value matches
// literally. PostgREST turns every * into %, escaped or not, so a * in the
// value becomes _ (any one character): the match widens, never breaks.
func likeLiteral(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`, `*`, `_`).Replace(s)
}

// filter renders one condition as PostgREST's op.value (before URL
// encoding, which url.Values does).
func pgrstFilter(c Condition) (string, error) {
	val := func() string { return textOf(c.Value) }
	switch c.Op {
	case "eq", "neq", "gt", "gte", "lt", "lte":
		if c.Value == nil {
			if c.Op == "eq" {
				return "is.null", nil
			}
			if c.Op == "neq" {
				return "not.is.null", nil
			}
		}
		return c.Op + "." + val(), nil
	case "like":
		return "like." + val(), nil
	case "contains":
		return "like.*" + likeLiteral(val()) + "*", nil
	case "startsWith":
		return "like." + likeLiteral(val()) + "*", nil
	case "endsWith":
		return "like.*" + likeLiteral(val()), nil
	case "in", "notIn":
		list, _ := c.Value.([]any)
		items := make([]string, len(list))
		for i, v := range list {
			items[i] = pgrstValue(v)
		}
		f := "in.(" + strings.Join(items, ",") + ")"
		if c.Op == "notIn" {
			f = "not." + f
		}
		return f, nil
	case "isNull":
		return "is.null", nil
	case "notNull":
		return "not.is.null", nil
	}
	return "", fmt.Errorf("operator %q is not supported on PostgREST", c.Op)
}

// Request builds the HTTP request for req (exported for tests of the wire
// format).
func (p *PostgREST) Request(ctx context.Context, req *DataRequest) (*http.Request, error) {
	if err := CheckIdent(req.Table); err != nil {
		return nil, fmt.Errorf("table: %w", err)
	}
	q := url.Values{}
	for _, c := range req.Where {
		if err := CheckIdent(c.Column); err != nil {
			return nil, err
		}
		f, err := pgrstFilter(c)
		if err != nil {
			return nil, err
		}
		q.Add(c.Column, f)
	}
	var method string
	var body []byte
	prefer := []string{"return=representation"}
	switch req.Operation {
	case OpSelect:
		method = http.MethodGet
		if len(req.Fields) > 0 {
			for _, f := range req.Fields {
				if err := CheckIdent(f); err != nil {
					return nil, err
				}
			}
			q.Set("select", strings.Join(req.Fields, ","))
		}
		if len(req.OrderBy) > 0 {
			terms := make([]string, len(req.OrderBy))
			for i, o := range req.OrderBy {
				if err := CheckIdent(o.Column); err != nil {
					return nil, err
				}
				terms[i] = o.Column + map[bool]string{false: ".asc", true: ".desc"}[o.Desc]
			}
			q.Set("order", strings.Join(terms, ","))
		}
		q.Set("limit", strconv.Itoa(selectLimit(req)+1)) // one more tells a truncated result
		prefer = nil
	case OpInsert, OpUpsert, OpUpdate:
		row := map[string]any{}
		for _, a := range req.Values {
			if err := CheckIdent(a.Column); err != nil {
				return nil, err
			}
			row[a.Column] = a.Value
		}
		var err error
		if body, err = json.Marshal(row); err != nil {
			return nil, fmt.Errorf("fieldMappings cannot be encoded as JSON: %v", err)
		}
		method = http.MethodPost
		switch req.Operation {
		case OpUpdate:
			method = http.MethodPatch
		case OpUpsert:
			prefer = append(prefer, "resolution=merge-duplicates")
			if len(req.OnConflict) > 0 {
				for _, f := range req.OnConflict {
					if err := CheckIdent(f); err != nil {
						return nil, err
					}
				}
				q.Set("on_conflict", strings.Join(req.OnConflict, ","))
			}
		}
	case OpDelete:
		method = http.MethodDelete
	default:
		return nil, fmt.Errorf("operation %q is not supported on PostgREST", req.Operation)
	}
	if (req.Operation == OpUpdate || req.Operation == OpDelete) && len(req.Where) == 0 {
		return nil, fmt.Errorf("%s needs at least one condition", req.Operation)
	}
	u := *p.base
	u.Path = strings.TrimRight(u.Path, "/") + "/" + req.Table
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Accept", "application/json")
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if len(prefer) > 0 {
		hr.Header.Set("Prefer", strings.Join(prefer, ","))
	}
	if p.key != "" {
		hr.Header.Set("apikey", p.key)
		hr.Header.Set("Authorization", "Bearer "+p.key)
	}
	return hr, nil
}

func selectLimit(req *DataRequest) int {
	max := req.MaxRows
	if max <= 0 {
		max = DefaultDataMaxRows
	}
	if req.Limit > 0 && req.Limit < max {
		return req.Limit
	}
	return max
}

// Do sends req and reads the rows PostgREST returns.
func (p *PostgREST) Do(ctx context.Context, req *DataRequest) (*DataResult, error) {
	hr, err := p.Request(ctx, req)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(hr)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	defer resp.Body.Close()
	limit := p.MaxBytes
	if limit <= 0 {
		limit = MaxResponseBytes
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading the response: %v", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("the response is larger than %d bytes; select fewer rows or columns", limit)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Message string `json:"message"`
			Code    string `json:"code"`
			Hint    string `json:"hint"`
		}
		msg := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &e) == nil && e.Message != "" {
			msg = e.Message
			if e.Code != "" {
				msg += " (" + e.Code + ")"
			}
			if e.Hint != "" {
				msg += "; hint: " + e.Hint
			}
		}
		if len(msg) > 500 {
			msg = msg[:500] + "…"
		}
		return nil, fmt.Errorf("PostgREST answered %d: %s", resp.StatusCode, msg)
	}
	res := &DataResult{}
	if len(bytes.TrimSpace(b)) > 0 {
		var rows []map[string]any
		if err := json.Unmarshal(b, &rows); err != nil {
			return nil, fmt.Errorf("PostgREST answered something other than a list of rows: %v", err)
		}
		res.Rows = rows
	}
	if max := selectLimit(req); req.Operation == OpSelect && len(res.Rows) > max {
		res.Rows, res.Truncated = res.Rows[:max], true
	}
	res.Count = len(res.Rows)
	return res, nil
}
