package wire

import "encoding/json"

// The data proxy's bodies (docs/control-plane-contract.md P4, P5): what a
// published page's data hooks send to POST /api/data/execute and what
// both data routes answer. core/dataproxy keeps its own copies of these
// structs (the service reads DataRequest from a published page's binding
// too, and does not import the API's bodies); core/api converts between
// the two, so the compiler keeps their fields in step, and the JSON names
// are the ones here.

// DataExecuteRequest is the body of POST /api/data/execute: the data
// request a published component carries, as the TypeScript page hooks
// send it, plus the paging this engine's page runtime asks for.
type DataExecuteRequest struct {
	DataRequest *DataRequest `json:"dataRequest"`
	// Query is sent by this engine's runtime (core/render/runtime): the
	// engine builds the statement from the published table and checked
	// identifiers, so the browser never sends SQL.
	Query *DataQuery `json:"query,omitempty"`
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

// DataQuery is one page of a table: zero-based Page, PageSize rows
// (capped), an optional sort column and a search text.
type DataQuery struct {
	Page     int    `json:"page"`
	PageSize int    `json:"pageSize"`
	Sort     string `json:"sort,omitempty"`
	Dir      string `json:"dir,omitempty"` // "asc" (default) | "desc"
	Search   string `json:"search,omitempty"`
}

// DataResult is the answer of both data routes, in the TypeScript
// engine's shape: the hooks read data (rows), count and total.
type DataResult struct {
	Success bool  `json:"success"`
	Data    []any `json:"data"`
	Count   int   `json:"count"`
	Total   int   `json:"total"`
	// Truncated says more rows matched than the row cap let through.
	Truncated bool `json:"truncated,omitempty"`
}

// DataError is a data route's refusal or failure: success false, a
// stable code and a message that names no credential. The hooks read
// error (a string).
type DataError struct {
	Success bool   `json:"success"`
	Code    string `json:"code"`
	Error   string `json:"error"`
}
