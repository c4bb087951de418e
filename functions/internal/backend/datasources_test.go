package backend

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/frontbase/edge/adapters/sqlite"
	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/core/workflow"
)

func TestOpenDataSources(t *testing.T) {
	// What package withsqlite registers (it imports this package, so this
	// test cannot import it).
	defer RegisterSQLite(nil, nil)
	RegisterSQLite(func(ctx context.Context, path string) (State, error) { return sqlite.Open(ctx, path) },
		func(path string) (workflow.DataSource, error) { return sqlite.OpenData(path) })
	cfg, err := config.Load(func(k string) string {
		return map[string]string{
			"FRONTBASE_DATASOURCES": fmt.Sprintf(`{"supa": {"type": "supabase", "url": "https://ref.supabase.co", "keyEnv": "K"},
				"main": {"type": "libsql", "url": "http://127.0.0.1:1"}, "file": {"type": "sqlite", "path": %q}}`, filepath.Join(t.TempDir(), "a.db")),
			"K": "key",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := openDataSources(cfg.DataSources, workflow.NewHTTPClient(nil))
	if err != nil {
		t.Fatal(err)
	}
	for name, sql := range map[string]bool{"supa": false, "main": true, "file": true} {
		s, ok := srcs[name].(workflow.SQLDataSource)
		if !ok || s.SQL() != sql {
			t.Errorf("%s: %T, SQL %v", name, srcs[name], sql)
		}
	}
}
