package dataproxy

import "encoding/json"

// The service's input and answer. Their bodies on the wire are the types
// of core/api/wire (DataExecuteRequest, DataQuery, DataResult,
// DataError), which name the JSON fields; core/api converts between the
// two, so fields added here must be added there in the same order (the
// conversion does not compile otherwise). DataRequest is wire's too (an
// alias): it is what this package reads from a published page's binding,
// and its JSON names are pinned by wire's TestFieldNames.

// ExecuteBody is what POST /api/data/execute runs: the data request a
// published component carries, as the TypeScript page hooks send it, plus
// the paging this engine's page runtime asks for.
type ExecuteBody struct {
	DataRequest *DataRequest
	// Query is sent by this engine's runtime (core/render/runtime): the
	// engine builds the statement from the published table and checked
	// identifiers, so the browser never sends SQL.
	Query *Query
}

// DataRequest is the envelope the control plane bakes into a data-bound
// component's binding (binding.dataRequest) at publish time; the JSON
// names are the published page's (binding below).
type DataRequest struct {
	URL              string            `json:"url,omitempty"`
	Method           string            `json:"method,omitempty"`
	FetchStrategy    string            `json:"fetchStrategy,omitempty"` // "direct" | "proxy"
	DatasourceID     string            `json:"datasourceId,omitempty"`
	Headers          map[string]string `json:"headers,omitempty"`
	Body             json.RawMessage   `json:"body,omitempty"`
	ResultPath       string            `json:"resultPath,omitempty"`
	FlattenRelations *bool             `json:"flattenRelations,omitempty"`
	QueryConfig      json.RawMessage   `json:"queryConfig,omitempty"`
}

// Query is one page of a table: zero-based Page, PageSize rows (capped),
// an optional sort column and a search text.
type Query struct {
	Page     int
	PageSize int
	Sort     string
	Dir      string // "asc" (default) | "desc"
	Search   string
}

// Result is the answer of both routes, in the TypeScript engine's shape:
// the hooks read data (rows), count and total.
type Result struct {
	Success bool
	Data    []any
	Count   int
	Total   int
	// Truncated says more rows matched than the row cap let through.
	Truncated bool
}

// queryConfig is what the proxy reads of dataRequest.queryConfig.
type queryConfig struct {
	UseRPC        bool     `json:"useRpc"`
	TableName     string   `json:"tableName"`
	SQL           string   `json:"sql"`
	SearchColumns []string `json:"searchColumns"`
	SortColumn    string   `json:"sortColumn"`
	SortDirection string   `json:"sortDirection"`
	PageSize      int      `json:"pageSize"`
}

// sqlBody is the body of a published SQL request ({"query", "params"}).
type sqlBody struct {
	Query  string `json:"query"`
	Params []any  `json:"params"`
}

// rpcPaging is what the proxy reads of a frontbase_get_rows body.
type rpcPaging struct {
	TableName   string `json:"table_name"`
	Page        int    `json:"page"`
	PageSize    int    `json:"page_size"`
	SortCol     string `json:"sort_col"`
	SortDir     string `json:"sort_dir"`
	SearchQuery string `json:"search_query"`
}

// binding is what the index reads of a component's binding.
type binding struct {
	TableName     string       `json:"tableName"`
	DatasourceID  string       `json:"datasourceId"`
	SearchColumns []string     `json:"searchColumns"`
	ColumnOrder   []string     `json:"columnOrder"`
	DataRequest   *DataRequest `json:"dataRequest"`
}

// hranaRequest is a libSQL /v2/pipeline request.
type hranaRequest struct {
	Requests []hranaStreamRequest `json:"requests"`
}

type hranaStreamRequest struct {
	Type string     `json:"type"` // "execute" | "close"
	Stmt *hranaStmt `json:"stmt,omitempty"`
}

type hranaStmt struct {
	SQL  string       `json:"sql"`
	Args []hranaValue `json:"args,omitempty"`
}

type hranaValue struct {
	Type  string `json:"type"` // null, integer, float, text, blob
	Value any    `json:"value,omitempty"`
	// Base64 is a blob's value.
	Base64 string `json:"base64,omitempty"`
}

type hranaResponse struct {
	Results []hranaResult `json:"results"`
}

type hranaResult struct {
	Type     string `json:"type"` // "ok" | "error"
	Response *struct {
		Type   string `json:"type"`
		Result *struct {
			Cols []struct {
				Name string `json:"name"`
			} `json:"cols"`
			Rows [][]hranaValue `json:"rows"`
		} `json:"result"`
	} `json:"response"`
	Error *struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	} `json:"error"`
}
