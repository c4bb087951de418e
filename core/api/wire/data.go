package wire

import "github.com/frontbase/edge/core/dataproxy"

// The data proxy's bodies (docs/control-plane-contract.md P4, P5): what a
// published page's data hooks send to POST /api/data/execute and what
// both data routes answer. core/dataproxy keeps its own field-for-field
// copies of the request and answer (it does not import the API's bodies);
// core/api converts between the two, so the compiler keeps their fields in
// step, and the JSON names are the ones here. DataRequest is the one
// exception: it is page content as much as a body (the proxy reads it
// from a published binding), so it is the proxy's own type.

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
type DataRequest = dataproxy.DataRequest

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
