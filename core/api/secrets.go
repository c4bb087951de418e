package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/core/secrets"
)

// secretRoutes mounts the tenant-secret routes the control plane calls
// (app/services/edge_secrets_push.py), all behind the system key. Bodies
// carry ciphertext only; no response ever holds a plaintext.
func (h *handler) secretRoutes(mux *http.ServeMux) {
	if h.opts.Secrets == nil {
		return
	}
	mux.Handle("POST /api/import/secrets", h.managed(h.putSecret))
	mux.Handle("POST /api/import/secrets/batch", h.managed(h.putSecrets))
	mux.Handle("GET /api/import/secrets", h.managed(h.listSecrets))
	mux.Handle("DELETE /api/import/secrets", h.managed(h.deleteSecret))
}

// checkSecret returns a pushed item as a Secret, or the problems found,
// each named by its JSON path under prefix.
func checkSecret(it wire.SecretItem, prefix string) (secrets.Secret, []core.FieldError) {
	var errs []core.FieldError
	field := func(name string, v any, check func(string) error) string {
		p := prefix + name
		s, ok := v.(string)
		switch {
		case v == nil:
			errs = append(errs, core.FieldError{Path: p, Message: "required"})
		case !ok:
			errs = append(errs, core.FieldError{Path: p, Message: "must be a string"})
		default:
			if err := check(s); err != nil {
				errs = append(errs, core.FieldError{Path: p, Message: err.Error()})
			}
		}
		return s
	}
	sec := secrets.Secret{
		Tenant:  field("tenantSlug", it.TenantSlug, secrets.CheckTenant),
		Kind:    field("kind", it.Kind, secrets.CheckKind),
		Payload: field("payload", it.Payload, secrets.CheckPayload),
	}
	return sec, errs
}

func invalidFields(errs []core.FieldError) error {
	msg := errs[0].String()
	if len(errs) > 1 {
		msg = fmt.Sprintf("%s (and %d more problems)", msg, len(errs)-1)
	}
	return &core.Error{Code: core.EINVALID, Message: "validation failed: " + msg, Details: errs}
}

func decodeJSON(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return core.Errorf(core.EINVALID, "the body is not the expected JSON object: %v", err)
	}
	return nil
}

// putSecret stores one blob: {"tenantSlug", "kind", "payload"}.
func (h *handler) putSecret(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var it wire.SecretItem
	if err := decodeJSON(body, &it); err != nil {
		writeError(w, r, err)
		return
	}
	sec, errs := checkSecret(it, "")
	if len(errs) > 0 {
		writeError(w, r, invalidFields(errs))
		return
	}
	if err := h.opts.Secrets.Put(r.Context(), []secrets.Secret{sec}); err != nil {
		writeError(w, r, err)
		return
	}
	logger(r).InfoContext(r.Context(), "tenant secret stored", "tenant", sec.Tenant, "kind", sec.Kind)
	writeJSON(w, http.StatusOK, wire.Success{Success: true})
}

// putSecrets stores {"secrets": [{tenantSlug, kind, payload}, ...]}: the
// valid items in one write, each item answered in results. An invalid
// item fails alone (its error names its path); a failed write fails the
// request.
func (h *handler) putSecrets(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in wire.SecretBatchRequest
	if err := decodeJSON(body, &in); err != nil || in.Secrets == nil {
		writeError(w, r, invalidFields([]core.FieldError{{Path: "secrets", Message: "required: an array of {tenantSlug, kind, payload}"}}))
		return
	}
	if len(in.Secrets) > secrets.MaxBatch {
		writeError(w, r, invalidFields([]core.FieldError{{Path: "secrets", Message: fmt.Sprintf("at most %d items per batch", secrets.MaxBatch)}}))
		return
	}
	results := make([]wire.SecretResult, len(in.Secrets))
	var valid []secrets.Secret
	var at []int
	for i, raw := range in.Secrets {
		prefix := fmt.Sprintf("secrets[%d].", i)
		var it wire.SecretItem
		if err := json.Unmarshal(raw, &it); err != nil {
			results[i].Error = prefix[:len(prefix)-1] + ": must be an object"
			continue
		}
		sec, errs := checkSecret(it, prefix)
		results[i].TenantSlug, _ = it.TenantSlug.(string)
		results[i].Kind, _ = it.Kind.(string)
		if len(errs) > 0 {
			results[i].Error = invalidFields(errs).(*core.Error).Message
			continue
		}
		valid = append(valid, sec)
		at = append(at, i)
	}
	if err := h.opts.Secrets.Put(r.Context(), valid); err != nil {
		writeError(w, r, err)
		return
	}
	for _, i := range at {
		results[i].Success = true
	}
	logger(r).InfoContext(r.Context(), "tenant secrets stored", "stored", len(valid), "refused", len(results)-len(valid))
	writeJSON(w, http.StatusOK, wire.SecretBatchResponse{Success: true, Results: results})
}

// listSecrets lists every row: tenant, kind, ciphertext and when it was
// written (the control plane checks a key rotation against it). Never a
// plaintext.
func (h *handler) listSecrets(w http.ResponseWriter, r *http.Request) {
	rows, err := h.opts.Secrets.List(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]wire.SecretRow, len(rows))
	for i, s := range rows {
		out[i] = wire.SecretRow{TenantSlug: s.Tenant, Kind: s.Kind, Payload: s.Payload}
		if !s.UpdatedAt.IsZero() {
			out[i].UpdatedAt = s.UpdatedAt.UTC().Format(time.RFC3339)
		}
	}
	writeJSON(w, http.StatusOK, wire.SecretListResponse{Success: true, Secrets: out})
}

// deleteSecret removes ?tenantSlug=&kind= (offboarding). Deleting what is
// not there succeeds (deleted: false): offboarding may be retried.
func (h *handler) deleteSecret(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	it := wire.SecretItem{Payload: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}
	if v := q.Get("tenantSlug"); v != "" {
		it.TenantSlug = v
	}
	if v := q.Get("kind"); v != "" {
		it.Kind = v
	}
	sec, errs := checkSecret(it, "")
	if len(errs) > 0 {
		writeError(w, r, invalidFields(errs))
		return
	}
	deleted, err := h.opts.Secrets.Delete(r.Context(), sec.Tenant, sec.Kind)
	if err != nil {
		writeError(w, r, err)
		return
	}
	logger(r).InfoContext(r.Context(), "tenant secret deleted", "tenant", sec.Tenant, "kind", sec.Kind, "deleted", deleted)
	writeJSON(w, http.StatusOK, wire.SecretDeleted{Success: true, Deleted: deleted})
}
