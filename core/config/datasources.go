package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// DataSource is one database workflows may read and write (data_request,
// data_change_trigger), configured by the operator in FRONTBASE_DATASOURCES.
// Credentials are named by environment variable, never written in the JSON,
// and are read once here; they are never logged nor recorded.
type DataSource struct {
	Name string
	Type string // supabase, postgrest, libsql, sqlite
	URL  string // supabase/postgrest: https://…; libsql: libsql://, https://, http://; sqlite: a file path
	// Secret is the key (supabase/postgrest) or token (libsql) read from
	// KeyEnv / TokenEnv.
	Secret    string
	SecretEnv string
}

// String never shows the secret.
func (d DataSource) String() string {
	return fmt.Sprintf("%s (%s %s)", d.Name, d.Type, d.URL)
}

// DataSourceTypes are the types FRONTBASE_DATASOURCES accepts.
var DataSourceTypes = []string{"supabase", "postgrest", "libsql", "sqlite"}

var dataSourceName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,63}$`) })

// parseDataSources reads FRONTBASE_DATASOURCES: a JSON object of name to
// {type, url, keyEnv | tokenEnv}. Errors name the field and never echo a
// secret.
func parseDataSources(raw string, getenv func(string) string) ([]DataSource, error) {
	const v = "FRONTBASE_DATASOURCES"
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf(`%s: expected a JSON object of name to {"type", "url", "keyEnv" or "tokenEnv"}: %v`, v, err)
	}
	var out []DataSource
	for name, body := range m {
		p := v + "." + name
		if !dataSourceName().MatchString(name) {
			return nil, fmt.Errorf("%s: a data source name is letters, digits, _ and - (at most 64), starting with a letter or _", p)
		}
		var in struct {
			Type     string `json:"type"`
			URL      string `json:"url"`
			Path     string `json:"path"`
			KeyEnv   string `json:"keyEnv"`
			TokenEnv string `json:"tokenEnv"`
			Key      any    `json:"key"`
			Token    any    `json:"token"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return nil, fmt.Errorf("%s: expected {\"type\", \"url\", \"keyEnv\" or \"tokenEnv\"}: %v", p, err)
		}
		if in.Key != nil || in.Token != nil {
			return nil, fmt.Errorf("%s: put the credential in an environment variable and name it with keyEnv/tokenEnv, not in the JSON", p)
		}
		d := DataSource{Name: name, Type: strings.ToLower(in.Type), URL: strings.TrimSpace(in.URL)}
		if !slices.Contains(DataSourceTypes, d.Type) {
			return nil, fmt.Errorf("%s.type: %q is not one of %s", p, in.Type, strings.Join(DataSourceTypes, ", "))
		}
		switch d.Type {
		case "supabase", "postgrest":
			u, err := url.Parse(d.URL)
			if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.RawQuery != "" {
				return nil, fmt.Errorf("%s.url: expected an https:// URL with a host and no credentials or query", p)
			}
			d.SecretEnv = in.KeyEnv
			if d.SecretEnv == "" && d.Type == "supabase" {
				return nil, fmt.Errorf("%s.keyEnv: required: the environment variable holding the Supabase key", p)
			}
		case "libsql":
			u, err := url.Parse(d.URL)
			if err != nil || u.Host == "" || (u.Scheme != "libsql" && u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
				return nil, fmt.Errorf("%s.url: expected a libsql://, https:// or http:// URL with a host", p)
			}
			if u.Query().Has("authToken") || u.Query().Has("jwt") {
				return nil, fmt.Errorf("%s.url: put the token in an environment variable named by tokenEnv, not in the URL", p)
			}
			d.SecretEnv = in.TokenEnv
		case "sqlite":
			if d.URL == "" {
				d.URL = strings.TrimSpace(in.Path)
			}
			if d.URL == "" {
				return nil, fmt.Errorf("%s.url: required: the SQLite file's path", p)
			}
		}
		if d.SecretEnv != "" {
			d.Secret = getenv(d.SecretEnv)
			if d.Secret == "" {
				field := "keyEnv"
				if d.Type == "libsql" {
					field = "tokenEnv"
				}
				return nil, fmt.Errorf("%s.%s: the environment variable %s is not set", p, field, d.SecretEnv)
			}
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b DataSource) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
