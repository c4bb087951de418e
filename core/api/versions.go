package api

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/api/wire"
)

func (h *handler) listVersions(w http.ResponseWriter, r *http.Request) {
	versions, err := h.site.Versions(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.VersionsResponse{Success: true, Versions: versions})
}

// rollback restores a kept site version: body {"version": N}.
func (h *handler) rollback(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in wire.RollbackRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		writeError(w, r, &core.Error{Code: core.EINVALID, Message: "the body must be a JSON object: {\"version\": N}",
			Details: []core.FieldError{{Path: "$", Message: err.Error()}}})
		return
	}
	n, err := in.Version.Int64()
	if err != nil || n <= 0 {
		writeError(w, r, &core.Error{Code: core.EINVALID, Message: "version must be a positive integer (see GET /api/versions)",
			Details: []core.FieldError{{Path: "version", Message: "expected a positive integer"}}})
		return
	}
	res, err := h.site.Rollback(r.Context(), n)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.RollbackResponse{
		Success: true, Version: res.Version, RestoredFrom: res.RestoredFrom, Generation: res.Generation,
		Restored: nonNil(res.Restored), Removed: nonNil(res.Removed), Unchanged: nonNil(res.Unchanged),
		Message: "Site restored to version " + in.Version.String(),
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
