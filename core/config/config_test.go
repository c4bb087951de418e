package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Env != "local" || c.Addr() != "127.0.0.1:3001" || c.LocalDBPath != DefaultLocalDBPath ||
		c.MaxBodyBytes != 5<<20 || c.MaxPageBytes != 4<<20 || c.L1TTL != time.Minute || c.L1MaxBytes != 64<<20 || c.SystemKey != "" || c.KeepVersions != 20 || !c.Analytics {
		t.Errorf("defaults = %+v", c)
	}
}

func TestLoadParsesSettings(t *testing.T) {
	c, err := Load(env(map[string]string{
		"FRONTBASE_ENV": "LOCAL", "PORT": "8080", "FRONTBASE_L1_TTL": "5", "FRONTBASE_L1_MAX_BYTES": "8MiB",
		"FRONTBASE_MAX_BODY_BYTES": "1024", "FRONTBASE_MAX_PAGE_BYTES": "2MiB", "FRONTBASE_SYSTEM_KEY": "0123456789abcdef", "FRONTBASE_LOG_LEVEL": "debug",
		"FRONTBASE_KEEP_VERSIONS": "5", "FRONTBASE_ANALYTICS": "off",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.L1TTL != 5*time.Second || c.L1MaxBytes != 8<<20 || c.MaxBodyBytes != 1024 || c.MaxPageBytes != 2<<20 || c.LogLevel.String() != "DEBUG" || c.KeepVersions != 5 || c.Analytics {
		t.Errorf("got %+v", c)
	}
}

func TestLoadSecurityHeaders(t *testing.T) {
	c, err := Load(env(map[string]string{
		"FRONTBASE_FRAME_ANCESTORS": "'self', https://builder.example.com https://*.example.org", "FRONTBASE_REFERRER_POLICY": "no-referrer", "FRONTBASE_CSP": "off",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.FrameAncestors, " ") != "'self' https://builder.example.com https://*.example.org" || c.ReferrerPolicy != "no-referrer" || c.CSP != "off" {
		t.Errorf("got %q %q %q", c.FrameAncestors, c.ReferrerPolicy, c.CSP)
	}
}

func TestLoadNamesTheBadVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"FRONTBASE_ENV": "prod"}, "FRONTBASE_ENV: expected one of local, cloud"},
		{map[string]string{"FRONTBASE_ENV": "cloud"}, "FRONTBASE_STATE_DB_URL: required"},
		{map[string]string{"FRONTBASE_ENV": "cloud", "FRONTBASE_STATE_DB_URL": "postgres://x"}, "FRONTBASE_STATE_DB_URL: expected"},
		{map[string]string{"FRONTBASE_REDIS_URL": "https://x.upstash.io"}, "FRONTBASE_REDIS_TOKEN: required"},
		{map[string]string{"FRONTBASE_REDIS_URL": "memcache://:secret@x"}, "FRONTBASE_REDIS_URL: expected"},
		{map[string]string{"PORT": "http"}, "PORT: expected an integer"},
		{map[string]string{"PORT": "70000"}, "PORT: expected an integer"},
		{map[string]string{"FRONTBASE_L1_TTL": "-3s"}, "FRONTBASE_L1_TTL: expected a positive duration"},
		{map[string]string{"FRONTBASE_L1_MAX_BYTES": "lots"}, "FRONTBASE_L1_MAX_BYTES: expected a positive number of bytes"},
		{map[string]string{"FRONTBASE_LOG_LEVEL": "loud"}, "FRONTBASE_LOG_LEVEL: expected debug"},
		{map[string]string{"FRONTBASE_MAX_PAGE_BYTES": "0"}, "FRONTBASE_MAX_PAGE_BYTES: expected a positive number of bytes"},
		{map[string]string{"FRONTBASE_KEEP_VERSIONS": "0"}, "FRONTBASE_KEEP_VERSIONS: expected an integer from 1"},
		{map[string]string{"FRONTBASE_SYSTEM_KEY": "short"}, "FRONTBASE_SYSTEM_KEY: expected at least 16"},
		{map[string]string{"FRONTBASE_ANALYTICS": "maybe"}, "FRONTBASE_ANALYTICS: expected one of on, off"},
		{map[string]string{"FRONTBASE_FRAME_ANCESTORS": "https://a.example;script-src"}, "FRONTBASE_FRAME_ANCESTORS: "},
		{map[string]string{"FRONTBASE_FRAME_ANCESTORS": "javascript:"}, "FRONTBASE_FRAME_ANCESTORS: "},
		{map[string]string{"FRONTBASE_REFERRER_POLICY": "everything"}, "FRONTBASE_REFERRER_POLICY: expected one of"},
		{map[string]string{"FRONTBASE_CSP": "default-src 'self'\nX-Injected: 1"}, "FRONTBASE_CSP: must be one line"},
		{map[string]string{"FRONTBASE_SECRETS_KEY": "c2hvcnQ="}, "FRONTBASE_SECRETS_KEY: expected the standard base64 of 32"},
		{map[string]string{"FRONTBASE_SECRETS_KEY_OLD": "not base64"}, "FRONTBASE_SECRETS_KEY_OLD: expected the standard base64 of 32"},
	}
	for _, tt := range tests {
		_, err := Load(env(tt.env))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: got %v, want one line starting %q", tt.env, err, tt.want)
		}
	}
}

func TestLoadCloudSettingsAndAliases(t *testing.T) {
	c, err := Load(env(map[string]string{
		"FRONTBASE_ENV": "cloud", "TURSO_DATABASE_URL": "libsql://db.turso.io", "TURSO_AUTH_TOKEN": "tok",
		"UPSTASH_REDIS_REST_URL": "https://x.upstash.io", "UPSTASH_REDIS_REST_TOKEN": "rt",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.StateDBURL != "libsql://db.turso.io" || c.StateDBToken != "tok" || c.RedisURL != "https://x.upstash.io" || c.RedisToken != "rt" {
		t.Errorf("aliases not read: %+v", c)
	}
	c, err = Load(env(map[string]string{
		"FRONTBASE_ENV": "cloud", "FRONTBASE_STATE_DB_URL": "http://127.0.0.1:8080", "TURSO_DATABASE_URL": "libsql://ignored",
		"FRONTBASE_REDIS_URL": "redis://127.0.0.1:6379",
	}))
	if err != nil || c.StateDBURL != "http://127.0.0.1:8080" || c.RedisURL != "redis://127.0.0.1:6379" {
		t.Errorf("the FRONTBASE_ name must win over its alias: %+v %v", c, err)
	}
}

func TestErrorsNeverEchoSecrets(t *testing.T) {
	_, err := Load(env(map[string]string{"FRONTBASE_REDIS_URL": "memcache://:hunter2@x"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("got %v", err)
	}
}

// The CLI reads FRONTBASE_KEEP_VERSIONS on its own; it must accept and
// refuse exactly what an engine's Load does.
func TestKeepVersionsMatchesLoad(t *testing.T) {
	for _, v := range []string{"", "1", "5", "10000", "0", "10001", "-3", "many"} {
		getenv := func(k string) string {
			if k == "FRONTBASE_KEEP_VERSIONS" {
				return v
			}
			return ""
		}
		n, err := KeepVersions(getenv)
		c, loadErr := Load(getenv)
		if (err == nil) != (loadErr == nil) {
			t.Errorf("%q: KeepVersions error %v, Load error %v", v, err, loadErr)
			continue
		}
		if err == nil && n != c.KeepVersions {
			t.Errorf("%q: KeepVersions = %d, Load = %d", v, n, c.KeepVersions)
		}
	}
}

func TestCacheWait(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.CacheWait != DefaultCacheWait {
		t.Fatalf("default: %v %v", c.CacheWait, err)
	}
	c, err = Load(env(map[string]string{"FRONTBASE_CACHE_WAIT": "40ms"}))
	if err != nil || c.CacheWait != 40*time.Millisecond {
		t.Fatalf("40ms: %v %v", c.CacheWait, err)
	}
	if _, err := Load(env(map[string]string{"FRONTBASE_CACHE_WAIT": "soon"})); err == nil || !strings.Contains(err.Error(), "FRONTBASE_CACHE_WAIT") {
		t.Errorf("bad value: %v", err)
	}
}

func TestCacheTimeout(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Duration
		err   bool
	}{{"", 0, false}, {"2s", 2 * time.Second, false}, {"3", 3 * time.Second, false}, {"soon", 0, true}} {
		c, err := Load(env(map[string]string{"FRONTBASE_CACHE_TIMEOUT": tc.value}))
		if tc.err {
			if err == nil || !strings.Contains(err.Error(), "FRONTBASE_CACHE_TIMEOUT") {
				t.Errorf("%q: want an error naming the variable, got %v", tc.value, err)
			}
			continue
		}
		if err != nil || c.CacheTimeout != tc.want {
			t.Errorf("%q: got %v, %v; want %v", tc.value, c.CacheTimeout, err, tc.want)
		}
	}
}
