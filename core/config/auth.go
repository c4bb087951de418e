package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Auth is the sign-in provider of private pages (FRONTBASE_AUTH), as the
// control plane builds it: Supabase Auth at URL, called with the project's
// public anon key. The zero value is "no provider": private pages stay 404
// and /api/page-auth/* answers 503.
type Auth struct {
	Provider string // "supabase", or "" when none
	URL      string // https://<project>.supabase.co
	AnonKey  string
}

// String never shows the key.
func (a Auth) String() string {
	if a.Provider == "" {
		return "none"
	}
	return a.Provider + " " + a.URL
}

// authEntry is one provider as _build_auth_config writes it; jwtSecret and
// contacts are read by the TypeScript engine only.
type authEntry struct {
	Provider string `json:"provider"`
	URL      string `json:"url"`
	AnonKey  string `json:"anonKey"`
}

// parseAuth reads FRONTBASE_AUTH for tenant: one provider
// ({"provider": "supabase", "url", "anonKey", …}, self-hosted) or a map of
// tenant slug to provider with "_default" as the fallback (cloud). Errors
// name the field and never echo the value: it holds keys.
func parseAuth(raw, tenant string) (Auth, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Auth{}, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &top); err != nil {
		return Auth{}, fmt.Errorf("FRONTBASE_AUTH: expected a JSON object ({\"provider\": \"supabase\", \"url\", \"anonKey\"} or one per tenant slug)")
	}
	entry, where := json.RawMessage(raw), ""
	if _, single := top["provider"]; !single {
		switch {
		case top[tenant] != nil:
			entry, where = top[tenant], tenant+": "
		case top["_default"] != nil:
			entry, where = top["_default"], "_default: "
		default:
			return Auth{}, nil
		}
	}
	var e authEntry
	dec := json.NewDecoder(bytes.NewReader(entry))
	if err := dec.Decode(&e); err != nil {
		return Auth{}, fmt.Errorf("FRONTBASE_AUTH: %sexpected an object with string provider, url and anonKey", where)
	}
	switch e.Provider {
	case "", "none":
		return Auth{}, nil
	case "supabase":
	default:
		return Auth{}, fmt.Errorf("FRONTBASE_AUTH: %sprovider: expected supabase or none", where)
	}
	u, err := url.Parse(e.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return Auth{}, fmt.Errorf("FRONTBASE_AUTH: %surl: expected the project's https:// URL", where)
	}
	if e.AnonKey == "" {
		return Auth{}, fmt.Errorf("FRONTBASE_AUTH: %sanonKey: required", where)
	}
	return Auth{Provider: e.Provider, URL: strings.TrimRight(e.URL, "/"), AnonKey: e.AnonKey}, nil
}
