package publish

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Target is one named place to publish to, from a targets file. Secrets
// are never in the file: only the names of the environment variables
// that hold them (KeyEnv, DBTokenEnv, RedisTokenEnv, RedisURLEnv).
type Target struct {
	Name     string `json:"name"`
	Strategy string `json:"strategy"` // api, local or turso

	URL    string `json:"url,omitempty"`    // api: the engine's base URL
	KeyEnv string `json:"keyEnv,omitempty"` // api: the variable holding its system key

	DB string `json:"db,omitempty"` // local: the SQLite file an engine serves

	DBURL       string `json:"dbUrl,omitempty"`      // turso: libsql://, https:// or http://
	DBTokenEnv  string `json:"dbTokenEnv,omitempty"` // turso: the variable holding its token
	RedisURL    string `json:"redisUrl,omitempty"`   // turso: the shared cache to announce in (no password)
	RedisURLEnv string `json:"redisUrlEnv,omitempty"`
	// RedisTokenEnv names the variable holding the Upstash REST token.
	RedisTokenEnv string `json:"redisTokenEnv,omitempty"`
}

// Secret fields a targets file may not hold, and the field to use instead.
var inlineSecrets = map[string]string{
	"key": "keyEnv", "systemKey": "keyEnv", "token": "dbTokenEnv", "dbToken": "dbTokenEnv",
	"authToken": "dbTokenEnv", "redisToken": "redisTokenEnv", "password": "an *Env field",
}

// IsNamedTargets reports whether a targets file is the JSON form (as
// opposed to one engine URL per line).
func IsNamedTargets(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(data), []byte("{"))
}

// ParseNamedTargets reads a JSON targets file:
//
//	{"targets": [{"name": "eu", "strategy": "api", "url": "https://eu.example.com", "keyEnv": "EU_KEY"}, ...]}
//
// Errors name the JSON path of the field at fault. Inline secrets are
// refused, so a targets file can be committed and shared.
func ParseNamedTargets(data []byte) ([]Target, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	for k := range top {
		if k != "targets" {
			return nil, fmt.Errorf("%s: unknown field (expected only \"targets\")", k)
		}
	}
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(top["targets"], &raw); err != nil || len(raw) == 0 {
		return nil, fmt.Errorf("targets: expected a non-empty array of targets")
	}
	known := map[string]bool{}
	for _, f := range []string{"name", "strategy", "url", "keyEnv", "db", "dbUrl", "dbTokenEnv", "redisUrl", "redisUrlEnv", "redisTokenEnv"} {
		known[f] = true
	}
	out := make([]Target, 0, len(raw))
	names := map[string]bool{}
	for i, fields := range raw {
		path := fmt.Sprintf("targets[%d]", i)
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if instead, secret := inlineSecrets[k]; secret {
				return nil, fmt.Errorf("%s.%s: inline secrets are refused; put the secret in an environment variable and name it with %s", path, k, instead)
			}
			if !known[k] {
				return nil, fmt.Errorf("%s.%s: unknown field", path, k)
			}
		}
		var tg Target
		for _, k := range keys {
			var s string
			if err := json.Unmarshal(fields[k], &s); err != nil {
				return nil, fmt.Errorf("%s.%s: expected a string", path, k)
			}
		}
		if err := json.Unmarshal(mustJSON(fields), &tg); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if err := tg.check(path); err != nil {
			return nil, err
		}
		if names[tg.Name] {
			return nil, fmt.Errorf("%s.name: %q is used twice", path, tg.Name)
		}
		names[tg.Name] = true
		out = append(out, tg)
	}
	return out, nil
}

func mustJSON(v any) []byte {
	data, _ := json.Marshal(v)
	return data
}

func (tg *Target) check(path string) error {
	if tg.Name == "" {
		return fmt.Errorf("%s.name: required", path)
	}
	allowed := map[string][]string{
		"api":   {"url", "keyEnv"},
		"local": {"db"},
		"turso": {"dbUrl", "dbTokenEnv", "redisUrl", "redisUrlEnv", "redisTokenEnv"},
	}
	set := map[string]string{"url": tg.URL, "keyEnv": tg.KeyEnv, "db": tg.DB, "dbUrl": tg.DBURL, "dbTokenEnv": tg.DBTokenEnv,
		"redisUrl": tg.RedisURL, "redisUrlEnv": tg.RedisURLEnv, "redisTokenEnv": tg.RedisTokenEnv}
	fields, ok := allowed[tg.Strategy]
	if !ok {
		return fmt.Errorf("%s.strategy: expected api, local or turso, got %q", path, tg.Strategy)
	}
	for f, v := range set {
		if v != "" && !slices.Contains(fields, f) {
			return fmt.Errorf("%s.%s: not used by strategy %s (it takes %s)", path, f, tg.Strategy, strings.Join(fields, ", "))
		}
	}
	switch tg.Strategy {
	case "api":
		if err := CheckURL(tg.URL); err != nil {
			return fmt.Errorf("%s.url: %v", path, err)
		}
		if tg.KeyEnv == "" {
			return fmt.Errorf("%s.keyEnv: required: the environment variable that holds the engine's system key", path)
		}
	case "local":
		if tg.DB == "" {
			return fmt.Errorf("%s.db: required: the SQLite file the engine serves", path)
		}
	case "turso":
		u, err := url.Parse(tg.DBURL)
		if err != nil || u.Host == "" {
			return fmt.Errorf("%s.dbUrl: expected libsql://, https:// or http:// with a host", path)
		}
		if u.User != nil || u.Query().Has("authToken") || u.Query().Has("jwt") {
			return fmt.Errorf("%s.dbUrl: inline secrets are refused; put the token in an environment variable and name it with dbTokenEnv", path)
		}
		if tg.RedisURL != "" && tg.RedisURLEnv != "" {
			return fmt.Errorf("%s.redisUrl: give redisUrl or redisUrlEnv, not both", path)
		}
		if tg.RedisURL != "" {
			if u, err := url.Parse(tg.RedisURL); err != nil || u.Host == "" {
				return fmt.Errorf("%s.redisUrl: expected redis://, rediss:// or an Upstash https:// URL", path)
			} else if _, hasPassword := u.User.Password(); hasPassword {
				return fmt.Errorf("%s.redisUrl: inline secrets are refused; put a URL with a password in an environment variable and name it with redisUrlEnv", path)
			}
		}
	}
	return nil
}

// Describe is how a target is named in progress lines: never a secret.
func (tg *Target) Describe() string {
	switch tg.Strategy {
	case "api":
		return tg.Name + " (api " + tg.URL + ")"
	case "local":
		return tg.Name + " (local " + tg.DB + ")"
	}
	return tg.Name + " (turso " + tg.DBURL + ")"
}
