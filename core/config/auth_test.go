package config

import (
	"strings"
	"testing"
)

func TestLoadAuth(t *testing.T) {
	const key = "0123456789abcdef"
	single := `{"provider": "supabase", "url": "https://abc.supabase.co/", "anonKey": "anon-SECRET", "jwtSecret": "jwt-SECRET", "contacts": {}}`
	tests := []struct {
		name, tenant, auth string
		want               Auth
		err                string
	}{
		{"unset", "", "", Auth{}, ""},
		{"none", "", `{"provider": "none"}`, Auth{}, ""},
		{"self-hosted", "", single, Auth{Provider: "supabase", URL: "https://abc.supabase.co", AnonKey: "anon-SECRET"}, ""},
		{"cloud, this tenant", "acme", `{"acme": {"provider": "supabase", "url": "https://a.supabase.co", "anonKey": "a"}, "_default": {"provider": "supabase", "url": "https://d.supabase.co", "anonKey": "d"}}`,
			Auth{Provider: "supabase", URL: "https://a.supabase.co", AnonKey: "a"}, ""},
		{"cloud, default", "other", `{"_default": {"provider": "supabase", "url": "https://d.supabase.co", "anonKey": "d"}}`,
			Auth{Provider: "supabase", URL: "https://d.supabase.co", AnonKey: "d"}, ""},
		{"cloud, not this tenant", "other", `{"acme": {"provider": "supabase", "url": "https://a.supabase.co", "anonKey": "a"}}`, Auth{}, ""},
		{"not JSON", "", `anon-SECRET`, Auth{}, "FRONTBASE_AUTH: expected a JSON object"},
		{"provider", "", `{"provider": "clerk", "anonKey": "anon-SECRET"}`, Auth{}, "FRONTBASE_AUTH: provider: expected supabase or none"},
		{"url", "", `{"provider": "supabase", "url": "ftp://x", "anonKey": "anon-SECRET"}`, Auth{}, "FRONTBASE_AUTH: url: expected"},
		{"no key", "", `{"provider": "supabase", "url": "https://abc.supabase.co"}`, Auth{}, "FRONTBASE_AUTH: anonKey: required"},
		{"tenant entry", "acme", `{"acme": {"provider": "supabase", "url": 3, "anonKey": "anon-SECRET"}}`, Auth{}, "FRONTBASE_AUTH: acme: expected an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(map[string]string{"FRONTBASE_SYSTEM_KEY": key, "FRONTBASE_TENANT": tt.tenant, "FRONTBASE_AUTH": tt.auth}))
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("the error shows a key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Auth != tt.want {
				t.Errorf("got %+v, want %+v", c.Auth, tt.want)
			}
			if s := c.Auth.String(); strings.Contains(s, "SECRET") {
				t.Errorf("String shows the key: %s", s)
			}
		})
	}
	// Sessions are sealed: no key, no sign-in.
	if _, err := Load(env(map[string]string{"FRONTBASE_AUTH": single})); err == nil || !strings.Contains(err.Error(), "seal session cookies") {
		t.Errorf("without a key: %v", err)
	}
}
