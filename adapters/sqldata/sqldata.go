// Package sqldata is the SQL data source of the actions engine
// (workflow.DataSource): data_request and data_change_trigger on a libSQL /
// Turso database (libsql-client-go over HTTP) or a local SQLite file
// (adapters/sqlite.OpenData: this package links no SQLite driver, so the
// Lambda binaries built without SQLite stay without it). Table and column names are checked by workflow.CheckIdent and
// double-quoted; every value is a bound ? parameter, never spliced in.
package sqldata

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tursodatabase/libsql-client-go/libsql"

	"github.com/frontbase/edge/core/workflow"
)

// Source runs data requests on one SQL database.
type Source struct {
	db *sql.DB
}

var _ workflow.SQLDataSource = (*Source)(nil)

// OpenLibSQL prepares a source on a libsql://, https:// or http:// URL. No
// network call happens until the first request.
func OpenLibSQL(rawURL, token string) (*Source, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "libsql" && u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("expected a libsql://, https:// or http:// URL with a host")
	}
	var opts []libsql.Option
	if token != "" {
		opts = append(opts, libsql.WithAuthToken(token))
	}
	c, err := libsql.NewConnector(rawURL, opts...)
	if err != nil {
		return nil, err
	}
	return &Source{db: sql.OpenDB(c)}, nil
}

// New wraps an open database.
func New(db *sql.DB) *Source { return &Source{db: db} }

// SQL reports that raw queries run here.
func (s *Source) SQL() bool { return true }

// Close closes the database.
func (s *Source) Close() error { return s.db.Close() }

func quote(ident string) (string, error) {
	if err := workflow.CheckIdent(ident); err != nil {
		return "", err
	}
	return `"` + ident + `"`, nil
}

// likeEscape escapes LIKE's wildcards for a literal match (ESCAPE '\').
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Build renders req as one SQL statement and its arguments.
func Build(req *workflow.DataRequest) (string, []any, error) {
	if req.Operation == workflow.OpQuery {
		if err := singleStatement(req.Query); err != nil {
			return "", nil, err
		}
		n, err := placeholders(req.Query)
		if err != nil {
			return "", nil, err
		}
		if n != len(req.Params) {
			return "", nil, fmt.Errorf("the query has %d ? placeholders but %d parameters were given", n, len(req.Params))
		}
		return req.Query, sqlArgs(slices.Clone(req.Params)), nil
	}
	table, err := quote(req.Table)
	if err != nil {
		return "", nil, fmt.Errorf("table: %w", err)
	}
	var b strings.Builder
	var args []any
	where := func() error {
		for i, c := range req.Where {
			col, err := quote(c.Column)
			if err != nil {
				return fmt.Errorf("whereConditions[%d]: %w", i, err)
			}
			if i == 0 {
				b.WriteString(" WHERE ")
			} else {
				b.WriteString(" AND ")
			}
			op := map[string]string{"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[c.Op]
			switch {
			case op != "" && c.Value == nil && (c.Op == "eq" || c.Op == "neq"):
				b.WriteString(col + map[bool]string{true: " IS NULL", false: " IS NOT NULL"}[c.Op == "eq"])
			case op != "":
				b.WriteString(col + " " + op + " ?")
				args = append(args, c.Value)
			case c.Op == "like":
				b.WriteString(col + " LIKE ?")
				args = append(args, fmt.Sprint(c.Value))
			case c.Op == "contains", c.Op == "startsWith", c.Op == "endsWith":
				v := likeEscape(fmt.Sprint(c.Value))
				if c.Op != "startsWith" {
					v = "%" + v
				}
				if c.Op != "endsWith" {
					v += "%"
				}
				b.WriteString(col + ` LIKE ? ESCAPE '\'`)
				args = append(args, v)
			case c.Op == "in", c.Op == "notIn":
				list, _ := c.Value.([]any)
				if len(list) == 0 {
					b.WriteString(map[bool]string{true: "0 = 1", false: "1 = 1"}[c.Op == "in"])
					continue
				}
				b.WriteString(col + map[bool]string{true: " IN (", false: " NOT IN ("}[c.Op == "in"])
				for j, v := range list {
					if j > 0 {
						b.WriteString(", ")
					}
					b.WriteString("?")
					args = append(args, v)
				}
				b.WriteString(")")
			case c.Op == "isNull":
				b.WriteString(col + " IS NULL")
			case c.Op == "notNull":
				b.WriteString(col + " IS NOT NULL")
			default:
				return fmt.Errorf("whereConditions[%d]: operator %q is not supported", i, c.Op)
			}
		}
		return nil
	}
	cols := func() ([]string, error) {
		out := make([]string, len(req.Values))
		for i, a := range req.Values {
			c, err := quote(a.Column)
			if err != nil {
				return nil, fmt.Errorf("fieldMappings[%d]: %w", i, err)
			}
			out[i] = c
			args = append(args, a.Value)
		}
		return out, nil
	}
	switch req.Operation {
	case workflow.OpSelect:
		fields := "*"
		if len(req.Fields) > 0 {
			qs := make([]string, len(req.Fields))
			for i, f := range req.Fields {
				if qs[i], err = quote(f); err != nil {
					return "", nil, fmt.Errorf("selectFields: %w", err)
				}
			}
			fields = strings.Join(qs, ", ")
		}
		b.WriteString("SELECT " + fields + " FROM " + table)
		if err := where(); err != nil {
			return "", nil, err
		}
		for i, o := range req.OrderBy {
			col, err := quote(o.Column)
			if err != nil {
				return "", nil, fmt.Errorf("orderBy: %w", err)
			}
			if i == 0 {
				b.WriteString(" ORDER BY ")
			} else {
				b.WriteString(", ")
			}
			b.WriteString(col + map[bool]string{false: " ASC", true: " DESC"}[o.Desc])
		}
		b.WriteString(" LIMIT ?")
		args = append(args, int64(limit(req)+1)) // one more tells a truncated result
	case workflow.OpInsert, workflow.OpUpsert:
		cs, err := cols()
		if err != nil {
			return "", nil, err
		}
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cs, ", ") + ") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(cs)), ", ") + ")")
		if req.Operation == workflow.OpUpsert {
			if len(req.OnConflict) == 0 {
				return "", nil, errors.New("upsert on SQL needs onConflict: the unique column(s) that identify a row")
			}
			targets := make([]string, len(req.OnConflict))
			for i, f := range req.OnConflict {
				if targets[i], err = quote(f); err != nil {
					return "", nil, fmt.Errorf("onConflict: %w", err)
				}
			}
			sets := make([]string, len(cs))
			for i, c := range cs {
				sets[i] = c + " = excluded." + c
			}
			b.WriteString(" ON CONFLICT (" + strings.Join(targets, ", ") + ") DO UPDATE SET " + strings.Join(sets, ", "))
		}
		b.WriteString(" RETURNING *")
	case workflow.OpUpdate:
		if len(req.Where) == 0 {
			return "", nil, errors.New("update needs at least one condition")
		}
		cs, err := cols()
		if err != nil {
			return "", nil, err
		}
		for i := range cs {
			cs[i] += " = ?"
		}
		b.WriteString("UPDATE " + table + " SET " + strings.Join(cs, ", "))
		if err := where(); err != nil {
			return "", nil, err
		}
		b.WriteString(" RETURNING *")
	case workflow.OpDelete:
		if len(req.Where) == 0 {
			return "", nil, errors.New("delete needs at least one condition")
		}
		b.WriteString("DELETE FROM " + table)
		if err := where(); err != nil {
			return "", nil, err
		}
		b.WriteString(" RETURNING *")
	default:
		return "", nil, fmt.Errorf("operation %q is not supported", req.Operation)
	}
	return b.String(), sqlArgs(args), nil
}

// sqlArgs stores booleans as 0/1: SQLite has no boolean type.
func sqlArgs(args []any) []any {
	for i, a := range args {
		if v, ok := a.(bool); ok {
			args[i] = map[bool]int64{false: 0, true: 1}[v]
		}
	}
	return args
}

func limit(req *workflow.DataRequest) int {
	max := req.MaxRows
	if max <= 0 {
		max = workflow.DefaultDataMaxRows
	}
	if req.Limit > 0 && req.Limit < max {
		return req.Limit
	}
	return max
}

// Do runs req. Mutations return their rows with RETURNING (the count is
// the rows returned: libSQL over HTTP does not always report rows
// affected).
func (s *Source) Do(ctx context.Context, req *workflow.DataRequest) (*workflow.DataResult, error) {
	q, args, err := Build(req)
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, workflow.DefaultDataTimeout)
		defer cancel()
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, clean(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, clean(err)
	}
	max := limit(req)
	if req.Operation != workflow.OpSelect {
		max = req.MaxRows
		if max <= 0 {
			max = workflow.DefaultDataMaxRows
		}
	}
	res := &workflow.DataResult{}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		res.Count++
		if len(res.Rows) >= max {
			res.Truncated = true
			if req.Operation == workflow.OpSelect || req.Operation == workflow.OpQuery {
				break
			}
			continue // a mutation's rows are all counted
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, clean(err)
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			row[c] = jsonValue(vals[i])
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, clean(err)
	}
	if req.Operation == workflow.OpSelect || req.Operation == workflow.OpQuery {
		res.Count = len(res.Rows)
	}
	return res, nil
}

// jsonValue makes a scanned value JSON-friendly.
func jsonValue(v any) any {
	switch t := v.(type) {
	case []byte:
		if utf8.Valid(t) {
			return string(t)
		}
		return t // encoded as base64 by encoding/json
	case time.Time:
		return t.UTC().Format(time.RFC3339Nano)
	case int:
		return int64(t)
	case int32:
		return int64(t)
	case float32:
		return float64(t)
	}
	return v
}

// clean keeps a database error readable and free of the URL (which a
// driver may print with its query string).
func clean(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Op + ": " + ue.Err.Error()
	}
	msg = strings.TrimPrefix(msg, "failed to execute SQL: ")
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	return errors.New(strings.TrimSpace(msg))
}

// scan walks SQL text outside string literals, quoted identifiers and
// comments, calling f for each byte of code.
func scan(q string, f func(i int, c byte)) error {
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for ; j < len(q); j++ {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c { // doubled quote
						j++
						continue
					}
					break
				}
			}
			if j >= len(q) {
				return errors.New("the query has an unterminated quote")
			}
			i = j
		case c == '[':
			j := strings.IndexByte(q[i:], ']')
			if j < 0 {
				return errors.New("the query has an unterminated [identifier]")
			}
			i += j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				return nil
			}
			i += j
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				return errors.New("the query has an unterminated comment")
			}
			i += j + 3
		default:
			f(i, c)
		}
	}
	return nil
}

// singleStatement refuses a query holding more than one statement.
func singleStatement(q string) error {
	end := -1
	var extra bool
	err := scan(q, func(i int, c byte) {
		switch {
		case end >= 0 && !isSpace(c):
			extra = true
		case c == ';':
			end = i
		}
	})
	if err != nil {
		return err
	}
	if extra {
		return errors.New("the query holds more than one statement; a data_request runs exactly one")
	}
	return nil
}

// placeholders counts the ? parameters and refuses named or numbered
// ones (:name, @name, $name, ?1): values are given as a list, in order.
func placeholders(q string) (int, error) {
	n := 0
	var named string
	err := scan(q, func(i int, c byte) {
		next := byte(0)
		if i+1 < len(q) {
			next = q[i+1]
		}
		switch {
		case c == '?' && next >= '0' && next <= '9', (c == ':' || c == '@' || c == '$') && (next == '_' || next >= 'A' && next <= 'Z' || next >= 'a' && next <= 'z'):
			if named == "" {
				named = string(c) + string(next)
			}
		case c == '?':
			n++
		}
	})
	if err != nil {
		return 0, err
	}
	if named != "" {
		return 0, fmt.Errorf("the query uses a named or numbered parameter (%s…); write plain ? placeholders and list their values in order", named)
	}
	return n, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';' }
