package dataproxy

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/frontbase/edge/core/workflow"
)

// datasource is one resolved datasource: its kind, HTTP base and secret.
type datasource struct {
	id     string
	kind   string // libsql | postgrest | supabase | other names: not supported
	base   string
	secret string
}

// blobEntry is one member of the tenant's "datasources" secret blob, as
// the control plane builds it (type, apiUrl / httpUrl, apiKey / authToken).
type blobEntry struct {
	Type      string `json:"type"`
	APIURL    string `json:"apiUrl"`
	HTTPURL   string `json:"httpUrl"`
	URL       string `json:"url"`
	APIKey    string `json:"apiKey"`
	AuthToken string `json:"authToken"`
}

// blob returns the tenant's "datasources" blob by id.
func (s *Service) blob(ctx context.Context) map[string]blobEntry {
	if s.opts.Secrets == nil {
		return nil
	}
	r, err := s.opts.Secrets.Resolve(ctx)
	if err != nil || r == nil {
		return nil
	}
	v, ok := r.Values["datasources"]
	if !ok {
		return nil
	}
	raw, _ := json.Marshal(v)
	if str, ok := v.(string); ok { // pushed as JSON text inside the JSON
		raw = []byte(str)
	}
	var out map[string]blobEntry
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	return out
}

// datasource resolves id: the tenant's pushed blob first, then
// FRONTBASE_DATASOURCES. An empty id names the only datasource there is.
func (s *Service) datasource(ctx context.Context, id string) (*datasource, error) {
	blob := s.blob(ctx)
	if id == "" {
		ids := map[string]bool{}
		for k := range blob {
			ids[k] = true
		}
		for _, src := range s.opts.Sources {
			ids[src.ID] = true
		}
		if len(ids) != 1 {
			names := make([]string, 0, len(ids))
			for k := range ids {
				names = append(names, k)
			}
			sort.Strings(names)
			return nil, fail(http.StatusBadRequest, CodeInvalid, "datasourceId: required when the engine does not have exactly one datasource (it has %d)", len(names))
		}
		for k := range ids {
			id = k
		}
	}
	if e, ok := blob[id]; ok {
		base := firstOf(e.HTTPURL, e.APIURL, e.URL)
		kind := strings.ToLower(e.Type)
		if kind == "turso" {
			kind = "libsql"
		}
		return &datasource{id: id, kind: kind, base: httpBase(base), secret: firstOf(e.AuthToken, e.APIKey)}, nil
	}
	for _, src := range s.opts.Sources {
		if src.ID == id {
			kind := strings.ToLower(src.Kind)
			if kind == "turso" {
				kind = "libsql"
			}
			return &datasource{id: id, kind: kind, base: httpBase(src.URL), secret: src.Secret}, nil
		}
	}
	return nil, fail(http.StatusNotFound, CodeNoDatasource, "datasource %q is not configured on this engine (the control plane's datasources secret or FRONTBASE_DATASOURCES)", id)
}

func firstOf(list ...string) string {
	for _, s := range list {
		if s != "" {
			return s
		}
	}
	return ""
}

// httpBase turns libsql:// into https:// and drops a trailing slash.
func httpBase(raw string) string {
	raw = strings.TrimRight(strings.TrimSpace(raw), "/")
	if rest, ok := strings.CutPrefix(raw, "libsql://"); ok {
		raw = "https://" + rest
	}
	return raw
}

// checkURL accepts only http(s) URLs with a host and no credentials; the
// guarded client then refuses private addresses.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return fail(http.StatusBadGateway, CodeFailed, "the datasource URL is not an http(s) URL with a host")
	}
	return nil
}

func blocked(err error) bool {
	var b *workflow.BlockedError
	return errors.As(err, &b)
}

// checkIdent refuses anything but a plain identifier (then quoted).
func checkIdent(s string) error { return workflow.CheckIdent(s) }
