package api

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/frontbase/edge/core"
)

func (h *handler) listVersions(w http.ResponseWriter, r *http.Request) {
	versions, err := h.site.Versions(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "versions": versions})
}

// rollback restores a kept site version: body {"version": N}.
func (h *handler) rollback(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in struct {
		Version json.Number `json:"version"`
	}
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
	writeJSON(w, http.StatusOK, map[string]any{
		"success": true, "version": res.Version, "restoredFrom": res.RestoredFrom, "generation": res.Generation,
		"restored": nonNil(res.Restored), "removed": nonNil(res.Removed), "unchanged": nonNil(res.Unchanged),
		"message": "Site restored to version " + in.Version.String(),
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
