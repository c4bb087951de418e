package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/core/dataproxy"
)

// maxDataRequestBytes bounds a data request's body: an envelope is a few
// KiB; the page's published copy is what runs.
const maxDataRequestBytes = 64 << 10

// dataRoutes: the datasource proxy behind data-bound components
// (core/dataproxy). Without a proxy the routes stay 501 (contract.go).
func (h *handler) dataRoutes(mux *http.ServeMux) {
	if h.opts.Data == nil {
		return
	}
	// Public as in the TypeScript engine; only requests a published public
	// page carries run.
	mux.HandleFunc("POST /api/data/execute", h.dataExecute)
	// Without a method in the pattern: "GET /api/data/{table}" would
	// conflict with contract.go's 501 fallback for /api/data/execute.
	mux.Handle("/api/data/{table}", h.managed(h.dataTable))
}

func (h *handler) dataExecute(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > maxDataRequestBytes {
		writeDataError(w, r, &dataproxy.Error{Status: http.StatusRequestEntityTooLarge, Code: dataproxy.CodeInvalid, Msg: "the data request is larger than 64 KiB"})
		return
	}
	var in wire.DataExecuteRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxDataRequestBytes))
	if err := dec.Decode(&in); err != nil {
		status, msg := http.StatusBadRequest, "expected a JSON object {\"dataRequest\": {...}}"
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			status, msg = http.StatusRequestEntityTooLarge, "the data request is larger than 64 KiB"
		}
		writeDataError(w, r, &dataproxy.Error{Status: status, Code: dataproxy.CodeInvalid, Msg: msg})
		return
	}
	// The service's types mirror the bodies field for field (see
	// core/dataproxy/wire.go): these conversions copy nothing.
	res, err := h.opts.Data.Execute(r.Context(), &dataproxy.ExecuteBody{
		DataRequest: in.DataRequest, Query: (*dataproxy.Query)(in.Query)})
	if err != nil {
		writeDataError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, (*wire.DataResult)(res))
}

// dataTable: GET /api/data/{table}?datasourceId=&limit=&offset=&orderBy=&order=&search=
// (system key): a page of one table.
func (h *handler) dataTable(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		notSupported("/api/data")(w, r) // POST /api/data/clear-cache: the TypeScript engine's caches
		return
	}
	table := r.PathValue("table")
	qv := r.URL.Query()
	limit, offset := dataproxy.DefaultPageSize, 0
	for _, p := range []struct {
		name string
		to   *int
	}{{"limit", &limit}, {"offset", &offset}} {
		if s := qv.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				writeDataError(w, r, &dataproxy.Error{Status: http.StatusBadRequest, Code: dataproxy.CodeInvalid, Msg: p.name + ": expected a whole number"})
				return
			}
			*p.to = n
		}
	}
	limit = max(1, min(limit, dataproxy.MaxPageSize))
	if offset%limit != 0 {
		writeDataError(w, r, &dataproxy.Error{Status: http.StatusBadRequest, Code: dataproxy.CodeInvalid, Msg: "offset: expected a multiple of limit"})
		return
	}
	q := &dataproxy.Query{Page: offset / limit, PageSize: limit, Sort: qv.Get("orderBy"), Dir: qv.Get("order"), Search: qv.Get("search")}
	res, err := h.opts.Data.Table(r.Context(), qv.Get("datasourceId"), table, q)
	if err != nil {
		writeDataError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, (*wire.DataResult)(res))
}

// writeDataError answers {"success": false, "code", "error"}; the TypeScript
// hooks read error (a string).
func writeDataError(w http.ResponseWriter, r *http.Request, err error) {
	var e *dataproxy.Error
	if !errors.As(err, &e) {
		logger(r).ErrorContext(r.Context(), "data request failed", "err", err)
		e = &dataproxy.Error{Status: http.StatusInternalServerError, Code: "DataProxyFailed", Msg: "the data request failed (the engine's log has it)"}
	}
	writeJSON(w, e.Status, wire.DataError{Success: false, Code: e.Code, Error: e.Msg})
}
