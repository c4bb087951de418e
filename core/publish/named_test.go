package publish

import (
	"strings"
	"testing"
)

func TestParseNamedTargets(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // the targets' Describe, joined by "; "
		err      string
	}{
		{"every strategy", `{"targets": [
			{"name": "eu", "strategy": "api", "url": "https://eu.example.com", "keyEnv": "EU_KEY"},
			{"name": "box", "strategy": "local", "db": "/data/pages.db"},
			{"name": "cloud", "strategy": "turso", "dbUrl": "libsql://db.turso.io", "dbTokenEnv": "T", "redisUrl": "https://x.upstash.io", "redisTokenEnv": "R"}]}`,
			"eu (api https://eu.example.com); box (local /data/pages.db); cloud (turso libsql://db.turso.io)", ""},
		{"inline key", `{"targets": [{"name": "eu", "strategy": "api", "url": "https://eu.example.com", "key": "s3cret"}]}`, "", "targets[0].key: inline secrets are refused; put the secret in an environment variable and name it with keyEnv"},
		{"inline db token", `{"targets": [{"name": "a", "strategy": "local", "db": "x"}, {"name": "c", "strategy": "turso", "dbUrl": "libsql://db.turso.io", "dbToken": "t"}]}`, "", "targets[1].dbToken: inline secrets are refused"},
		{"token in the URL", `{"targets": [{"name": "c", "strategy": "turso", "dbUrl": "libsql://db.turso.io?authToken=t"}]}`, "", "targets[0].dbUrl: inline secrets are refused"},
		{"password in the redis URL", `{"targets": [{"name": "c", "strategy": "turso", "dbUrl": "http://127.0.0.1:1", "redisUrl": "redis://:pw@host:6379"}]}`, "", "targets[0].redisUrl: inline secrets are refused"},
		{"no key variable", `{"targets": [{"name": "eu", "strategy": "api", "url": "https://eu.example.com"}]}`, "", "targets[0].keyEnv: required"},
		{"unknown strategy", `{"targets": [{"name": "eu", "strategy": "ftp"}]}`, "", `targets[0].strategy: expected api, local or turso, got "ftp"`},
		{"field of another strategy", `{"targets": [{"name": "eu", "strategy": "local", "db": "x", "url": "https://eu.example.com"}]}`, "", "targets[0].url: not used by strategy local"},
		{"unknown field", `{"targets": [{"name": "eu", "strategy": "local", "db": "x", "dbPath": "y"}]}`, "", "targets[0].dbPath: unknown field"},
		{"not a string", `{"targets": [{"name": 1, "strategy": "local", "db": "x"}]}`, "", "targets[0].name: expected a string"},
		{"same name twice", `{"targets": [{"name": "a", "strategy": "local", "db": "x"}, {"name": "a", "strategy": "local", "db": "y"}]}`, "", `targets[1].name: "a" is used twice`},
		{"no targets", `{"targets": []}`, "", "targets: expected a non-empty array"},
		{"other top-level field", `{"targets": [], "fleet": 1}`, "", "fleet: unknown field"},
		{"broken JSON", `{"targets": [`, "", "not valid JSON"},
	}
	for _, tt := range tests {
		got, err := ParseNamedTargets([]byte(tt.in))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("%s: the error repeats the secret: %v", tt.name, err)
			}
			continue
		}
		var names []string
		for _, tg := range got {
			names = append(names, tg.Describe())
		}
		if err != nil || strings.Join(names, "; ") != tt.want {
			t.Errorf("%s: %q %v, want %q", tt.name, strings.Join(names, "; "), err, tt.want)
		}
	}
	if !IsNamedTargets([]byte("  {\"targets\": []}")) || IsNamedTargets([]byte("https://eu.example.com\n")) {
		t.Error("IsNamedTargets cannot tell the two forms apart")
	}
}
