package api

import (
	"net/http"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/api/wire"
)

// statusOf is the one place where domain error codes become HTTP statuses.
func statusOf(code string) int {
	switch code {
	case core.EINVALID:
		return http.StatusBadRequest
	case core.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case core.EFORBIDDEN:
		return http.StatusForbidden
	case core.ENOTFOUND:
		return http.StatusNotFound
	case core.ECONFLICT:
		return http.StatusConflict
	case core.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case core.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case core.ETOOMANY:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// writeError answers with err as JSON. Internal errors are logged with
// their cause and shown to the caller only as a generic message.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := core.ErrorCode(err)
	status := statusOf(code)
	if status >= 500 {
		logger(r).ErrorContext(r.Context(), "request failed", "err", err, "code", code)
	}
	writeJSON(w, status, wire.Error{Error: core.ErrorMessage(err), Details: core.ErrorDetails(err)})
}
