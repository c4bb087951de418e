package dataproxy

import "encoding/json"

// ExecuteBody is the body of POST /api/data/execute: the data request a
// published component carries, as the TypeScript page hooks send it, plus
// the paging this engine's page runtime asks for.
type ExecuteBody struct {
	DataRequest *DataRequest `json:"dataRequest"`
	// Query is sent by this engine's runtime (core/render/runtime): the
	// engine builds the statement from the published table and checked
	// identifiers, so the browser never sends SQL.
	Query *Query `json:"query,omitempty"`
}

// DataRequest is the envelope the control plane bakes into a data-bound
// component's binding (binding.dataRequest) at publish time.
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
	Page     int    `json:"page"`
	PageSize int    `json:"pageSize"`
	Sort     string `json:"sort,omitempty"`
	Dir      string `json:"dir,omitempty"` // "asc" (default) | "desc"
	Search   string `json:"search,omitempty"`
}

// Result is the answer of both routes, in the TypeScript engine's shape:
// the hooks read data (rows), count and total.
type Result struct {
	Success bool  `json:"success"`
	Data    []any `json:"data"`
	Count   int   `json:"count"`
	Total   int   `json:"total"`
	// Truncated says more rows matched than the row cap let through.
	Truncated bool `json:"truncated,omitempty"`
}

// ErrorBody is a refusal or failure: success false, a stable code and a
// message that names no credential.
type ErrorBody struct {
	Success bool   `json:"success"`
	Code    string `json:"code"`
	Error   string `json:"error"`
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
