// Package dataproxy is the datasource proxy behind data-bound components
// (POST /api/data/execute, GET /api/data/{table}).
//
// The TypeScript engine's proxy runs whatever data request a browser sends.
// This one runs only requests that a published public page carries: at
// each publish generation it indexes the dataRequest envelopes of the
// components on public pages, and an incoming envelope must match one of
// them (strategy, datasource or URL, and queryConfig). What is sent to the
// datasource is then built from the published envelope: its URL, headers,
// SQL and table, never from what the browser sent, except the paging,
// sorting and search values, which are checked (identifiers) and bound
// (values). Credentials come from the tenant's "datasources" secret blob
// (pushed by the control plane) or from FRONTBASE_DATASOURCES, and never
// reach a page.
package dataproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/secrets"
)

// Limits of one proxied request.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultMaxResponseBytes = 4 << 20
	DefaultMaxRows          = 1000
	MaxPageSize             = 100
	DefaultPageSize         = 20
	maxSearchLength         = 200
)

// Pages is what the proxy reads of the published site (core/site.Service).
type Pages interface {
	Generation(ctx context.Context) int64
	Pages(ctx context.Context) ([]core.PageSummary, error)
	Page(ctx context.Context, slug string) (*core.StoredPage, error)
}

// Source is one datasource the operator configured (FRONTBASE_DATASOURCES).
type Source struct {
	ID     string
	Kind   string // libsql, turso, supabase, postgrest, sqlite
	URL    string
	Secret string
}

// Options configure a Service.
type Options struct {
	Pages   Pages
	Secrets *secrets.Service // the tenant's "datasources" blob; nil: none
	Sources []Source         // FRONTBASE_DATASOURCES
	// HTTP is the SSRF-guarded client (workflow.NewHTTPClient).
	HTTP             *http.Client
	Timeout          time.Duration
	MaxResponseBytes int64
	MaxRows          int
	Logger           *slog.Logger
}

// Service answers the data routes.
type Service struct {
	opts Options

	mu  sync.Mutex
	idx *index
}

// New returns a Service.
func New(opts Options) *Service {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if opts.MaxRows <= 0 {
		opts.MaxRows = DefaultMaxRows
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{}
	}
	return &Service{opts: opts}
}

// Error is a refusal or a failure with its HTTP status and a stable code.
type Error struct {
	Status int
	Code   string
	Msg    string
}

func (e *Error) Error() string { return e.Code + ": " + e.Msg }

func fail(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Error codes.
const (
	CodeInvalid        = "InvalidDataRequest"
	CodeNotPublished   = "DataRequestNotPublished"
	CodeNoDatasource   = "DatasourceNotConfigured"
	CodeKind           = "DatasourceKindNotSupported"
	CodeBlocked        = "DatasourceAddressBlocked"
	CodeFailed         = "DatasourceFailed"
	CodeTimeout        = "DatasourceTimeout"
	CodeTooLarge       = "DataResponseTooLarge"
	CodeUnavailable    = "PagesUnavailable"
	codeInternalFailed = "DataProxyFailed"
)

// ---- the index of published requests

type published struct {
	req        *DataRequest
	qc         queryConfig
	table      string
	searchCols []string // what a search looks in
	columns    []string // known columns: a sort must name one when known
}

type index struct {
	gen   int64
	byKey map[string]*published
}

// key is what an incoming envelope must share with a published one. The
// TypeScript hooks rebuild proxy envelopes without url, headers or the
// published method, so those are not part of it; the published values are
// used.
func key(dr *DataRequest) string {
	qc := canonical(dr.QueryConfig)
	if isProxy(dr) {
		return "proxy\x00" + dr.DatasourceID + "\x00" + qc
	}
	return "direct\x00" + strings.Replace(dr.URL, "frontbase_search_rows", "frontbase_get_rows", 1) + "\x00" + qc
}

func isProxy(dr *DataRequest) bool { return dr.FetchStrategy == "proxy" && dr.DatasourceID != "" }

// canonical is the JSON of v with object members sorted: equal documents
// give equal strings whatever their member order or spacing.
func canonical(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (s *Service) index(ctx context.Context) (*index, error) {
	gen := s.opts.Pages.Generation(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idx != nil && s.idx.gen == gen {
		return s.idx, nil
	}
	list, err := s.opts.Pages.Pages(ctx)
	if err != nil {
		return nil, err
	}
	idx := &index{gen: gen, byKey: map[string]*published{}}
	for _, p := range list {
		if !p.IsPublic {
			continue
		}
		sp, err := s.opts.Pages.Page(ctx, p.Slug)
		if err != nil {
			if core.ErrorCode(err) == core.ENOTFOUND {
				continue
			}
			return nil, err
		}
		if sp.Page == nil || !sp.Page.Public() {
			continue
		}
		walk(sp.Page.LayoutData.Content, func(c *core.Component) {
			if pub := publishedOf(c); pub != nil {
				idx.byKey[key(pub.req)] = pub
			}
		})
	}
	s.idx = idx
	return idx, nil
}

func walk(list []core.Component, f func(*core.Component)) {
	for i := range list {
		f(&list[i])
		walk(list[i].Children, f)
	}
}

// publishedOf reads a component's data request: binding.dataRequest, or
// props.binding.dataRequest where the builder nests it.
func publishedOf(c *core.Component) *published {
	var b binding
	raw := c.Binding
	if len(raw) == 0 {
		if pb, ok := c.Props["binding"]; ok {
			raw, _ = json.Marshal(pb)
		}
	}
	if len(raw) == 0 || json.Unmarshal(raw, &b) != nil || b.DataRequest == nil {
		return nil
	}
	dr := b.DataRequest
	if dr.DatasourceID == "" && b.DatasourceID != "" && dr.FetchStrategy == "proxy" {
		dr.DatasourceID = b.DatasourceID
	}
	pub := &published{req: dr}
	_ = json.Unmarshal(dr.QueryConfig, &pub.qc)
	pub.table = pub.qc.TableName
	if pub.table == "" {
		pub.table = b.TableName
	}
	pub.columns = c.Columns()
	for _, list := range [][]string{pub.qc.SearchColumns, b.SearchColumns, b.ColumnOrder, pub.columns} {
		if len(list) > 0 {
			pub.searchCols = list
			break
		}
	}
	if len(pub.columns) == 0 {
		pub.columns = b.ColumnOrder
	}
	return pub
}

// ---- execution

// Execute runs an envelope a page sent, if a published public page carries
// it.
func (s *Service) Execute(ctx context.Context, in *ExecuteBody) (*Result, error) {
	if in == nil || in.DataRequest == nil {
		return nil, fail(http.StatusBadRequest, CodeInvalid, "missing dataRequest object")
	}
	dr := in.DataRequest
	if !isProxy(dr) && dr.URL == "" {
		return nil, fail(http.StatusBadRequest, CodeInvalid, "missing url (direct) or datasourceId (proxy)")
	}
	idx, err := s.index(ctx)
	if err != nil {
		s.opts.Logger.WarnContext(ctx, "data proxy: published pages unreadable", "err", err)
		return nil, fail(http.StatusServiceUnavailable, CodeUnavailable, "the published pages cannot be read now; try again")
	}
	pub := idx.byKey[key(dr)]
	if pub == nil {
		return nil, fail(http.StatusForbidden, CodeNotPublished, "no published public page carries this data request")
	}
	if in.Query == nil && isProxy(pub.req) {
		q, err := rpcQuery(pub, dr.Body)
		if err != nil {
			return nil, err
		}
		in.Query = q
	}
	if in.Query != nil {
		if err := s.checkQuery(pub, in.Query); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	var res *Result
	if isProxy(pub.req) {
		res, err = s.proxied(ctx, pub, dr, in.Query)
	} else {
		res, err = s.direct(ctx, pub, dr, in.Query)
	}
	return res, s.classify(ctx, err)
}

// Table answers GET /api/data/{table} (system key): a page of one table of
// a datasource, named by id or the only one configured.
func (s *Service) Table(ctx context.Context, datasourceID, table string, q *Query) (*Result, error) {
	if err := checkIdent(table); err != nil {
		return nil, fail(http.StatusBadRequest, CodeInvalid, "table: %v", err)
	}
	ds, err := s.datasource(ctx, datasourceID)
	if err != nil {
		return nil, err
	}
	pub := &published{table: table}
	if err := s.checkQuery(pub, q); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	res, err := s.query(ctx, ds, pub, q)
	return res, s.classify(ctx, err)
}

func (s *Service) checkQuery(pub *published, q *Query) error {
	if q.Page < 0 || q.Page > 1_000_000 {
		return fail(http.StatusBadRequest, CodeInvalid, "query.page: expected 0 to 1000000")
	}
	if q.PageSize <= 0 {
		q.PageSize = DefaultPageSize
		if pub.qc.PageSize > 0 {
			q.PageSize = pub.qc.PageSize
		}
	}
	q.PageSize = min(q.PageSize, MaxPageSize)
	if q.Dir != "" && q.Dir != "asc" && q.Dir != "desc" {
		return fail(http.StatusBadRequest, CodeInvalid, "query.dir: expected asc or desc")
	}
	if q.Sort != "" {
		if err := checkIdent(q.Sort); err != nil {
			return fail(http.StatusBadRequest, CodeInvalid, "query.sort: %v", err)
		}
		if len(pub.columns) > 0 && !contains(pub.columns, q.Sort) {
			return fail(http.StatusBadRequest, CodeInvalid, "query.sort: %q is not a column of this table", q.Sort)
		}
	}
	if len(q.Search) > maxSearchLength {
		return fail(http.StatusBadRequest, CodeInvalid, "query.search: at most %d bytes", maxSearchLength)
	}
	if pub.table == "" && !pub.qc.UseRPC && pub.req != nil && isProxy(pub.req) {
		return fail(http.StatusBadRequest, CodeInvalid, "this data request names no table to page")
	}
	return nil
}

// rpcQuery reads the paging of a proxy envelope whose body is the
// frontbase_get_rows shape the TypeScript DataTable hook sends to every
// datasource ({table_name, page (1-based), page_size, sort_col, sort_dir,
// search_query}); nil when the body is not that shape.
func rpcQuery(pub *published, body json.RawMessage) (*Query, error) {
	var b rpcPaging
	if len(body) == 0 || json.Unmarshal(body, &b) != nil || b.TableName == "" {
		return nil, nil
	}
	if b.TableName != pub.table {
		return nil, fail(http.StatusForbidden, CodeNotPublished, "body.table_name differs from the published data request")
	}
	return &Query{Page: max(b.Page-1, 0), PageSize: b.PageSize, Sort: b.SortCol, Dir: strings.ToLower(b.SortDir), Search: b.SearchQuery}, nil
}

// classify turns transport failures into coded errors.
func (s *Service) classify(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return fail(http.StatusGatewayTimeout, CodeTimeout, "the datasource did not answer within %s", s.opts.Timeout)
	}
	if blocked(err) {
		s.opts.Logger.WarnContext(ctx, "data proxy: address blocked", "err", err)
		return fail(http.StatusBadGateway, CodeBlocked, "the datasource's address is private or local and is refused (FRONTBASE_HTTP_ALLOW lists internal hosts)")
	}
	s.opts.Logger.WarnContext(ctx, "data proxy: datasource failed", "err", err)
	return fail(http.StatusBadGateway, CodeFailed, "the datasource could not be reached")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
