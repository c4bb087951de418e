package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/frontbase/edge/adapters/testservers"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

func TestMigrateTurso(t *testing.T) {
	srv := testservers.StartTurso(t)
	environment := env(map[string]string{"FRONTBASE_ENV": "cloud", "FRONTBASE_STATE_DB_URL": srv.URL})
	for i, want := range []string{"applied 0001_init.sql", "schema is up to date"} {
		var out bytes.Buffer
		if code := run(context.Background(), []string{"migrate"}, environment, &out, &out); code != 0 || !strings.Contains(out.String(), want) {
			t.Fatalf("run %d: exit %d, output %q, want %q", i, code, out.String(), want)
		}
	}
	// An engine on the migrated database serves a publish.
	e := enginetest.Start(t, enginetest.Options{Env: map[string]string{"FRONTBASE_ENV": "cloud", "FRONTBASE_STATE_DB_URL": srv.URL}})
	e.PublishDemo(t)
	if resp, _ := e.Do(t, "GET", "/pricing", nil); resp.StatusCode != 200 {
		t.Fatalf("/pricing = %d", resp.StatusCode)
	}
}

func TestMigrateFailsClearly(t *testing.T) {
	tests := []struct {
		env  map[string]string
		code int
		want string
	}{
		{map[string]string{"FRONTBASE_ENV": "cloud"}, 2, "FRONTBASE_STATE_DB_URL: required"},
		{map[string]string{"FRONTBASE_ENV": "cloud", "FRONTBASE_STATE_DB_URL": "http://127.0.0.1:1"}, 1, "migrate:"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		if code := run(context.Background(), []string{"migrate"}, env(tt.env), &out, &out); code != tt.code || !strings.Contains(out.String(), tt.want) {
			t.Errorf("%v: exit %d %q, want %d with %q", tt.env, code, out.String(), tt.code, tt.want)
		}
	}
}
