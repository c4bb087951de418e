package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestDataSources(t *testing.T) {
	c, err := Load(env(map[string]string{
		"FRONTBASE_DATASOURCES": `{"supa": {"type": "supabase", "url": "https://ref.supabase.co", "keyEnv": "SUPA_KEY"},
			"main": {"type": "libsql", "url": "libsql://db.turso.io", "tokenEnv": "MAIN_TOKEN"},
			"local": {"type": "sqlite", "path": "data/app.db"}}`,
		"SUPA_KEY": "s3cret-supa", "MAIN_TOKEN": "s3cret-token",
	}))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(c.DataSources)
	if want := "[local (sqlite data/app.db) main (libsql libsql://db.turso.io) supa (supabase https://ref.supabase.co)]"; got != want {
		t.Errorf("sources = %s\nwant %s", got, want)
	}
	if c.DataSources[1].Secret != "s3cret-token" || c.DataSources[2].Secret != "s3cret-supa" {
		t.Errorf("secrets not read from their variables")
	}
}

func TestDataSourceErrorsNameTheField(t *testing.T) {
	const v = "FRONTBASE_DATASOURCES"
	tests := []struct {
		json string
		want string
	}{
		{`[1]`, v + ": expected a JSON object"},
		{`{"a b": {"type": "sqlite", "url": "x"}}`, v + ".a b: a data source name"},
		{`{"m": {"type": "mysql", "url": "x"}}`, v + `.m.type: "mysql" is not one of`},
		{`{"m": {"type": "supabase", "url": "ftp://x", "keyEnv": "K"}}`, v + ".m.url: expected an https:// URL"},
		{`{"m": {"type": "supabase", "url": "https://x.supabase.co"}}`, v + ".m.keyEnv: required"},
		{`{"m": {"type": "supabase", "url": "https://x.supabase.co", "keyEnv": "UNSET"}}`, v + ".m.keyEnv: the environment variable UNSET is not set"},
		{`{"m": {"type": "supabase", "url": "https://x.supabase.co", "key": "inline-secret"}}`, v + ".m: put the credential in an environment variable"},
		{`{"m": {"type": "libsql", "url": "libsql://db.turso.io?authToken=inline-secret"}}`, v + ".m.url: put the token"},
		{`{"m": {"type": "libsql", "url": "postgres://db"}}`, v + ".m.url: expected a libsql://"},
		{`{"m": {"type": "libsql", "url": "libsql://db", "tokenEnv": "UNSET"}}`, v + ".m.tokenEnv: the environment variable UNSET is not set"},
		{`{"m": {"type": "sqlite"}}`, v + ".m.url: required"},
		{`{"m": {"type": "sqlite", "url": "x", "passwd": "y"}}`, v + `.m: expected`},
	}
	for _, tt := range tests {
		_, err := Load(env(map[string]string{v: tt.json}))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "inline-secret") {
			t.Errorf("%s: got %v, want a line starting %q and no secret", tt.json, err, tt.want)
		}
	}
}
