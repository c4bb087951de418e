package backend

import (
	"context"
	"strings"
	"testing"

	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/core/workflow"
)

// TestLeftOutBackendsNameTheirTag: a configuration that asks for a backend
// the binary was built without (the Lambda functions without the sqlite or
// redis tag) fails at init with the setting and the tag to build with.
func TestLeftOutBackendsNameTheirTag(t *testing.T) {
	if sqliteStore != nil || sqliteData != nil || redisCache != nil {
		t.Fatal("a backend is registered in this test binary")
	}
	tests := []struct {
		name string
		env  map[string]string
		open func(cfg *config.Config) error
		want []string
	}{
		{"local mode", map[string]string{"FRONTBASE_ENV": "local", "FRONTBASE_LOCAL_DB_PATH": "/tmp/x.db"},
			func(cfg *config.Config) error { _, err := OpenStore(context.Background(), cfg); return err },
			[]string{"FRONTBASE_ENV=local", "SQLite", `"sqlite" build tag`, "LAMBDA_TAGS=lambda.norpc,sqlite", "FRONTBASE_ENV=cloud"}},
		{"redis URL", map[string]string{"FRONTBASE_REDIS_URL": "redis://127.0.0.1:1"},
			func(cfg *config.Config) error { _, err := OpenCache(cfg); return err },
			[]string{"FRONTBASE_REDIS_URL", `"redis" build tag`, "LAMBDA_TAGS=lambda.norpc,redis", "Upstash"}},
		{"rediss URL", map[string]string{"FRONTBASE_REDIS_URL": "rediss://h:6380"},
			func(cfg *config.Config) error { _, err := OpenCache(cfg); return err },
			[]string{"FRONTBASE_REDIS_URL", `"redis" build tag`}},
		{"sqlite data source", map[string]string{"FRONTBASE_DATASOURCES": `{"file": {"type": "sqlite", "path": "/tmp/a.db"}}`},
			func(cfg *config.Config) error {
				_, err := openDataSources(cfg.DataSources, workflow.NewHTTPClient(nil))
				return err
			},
			[]string{"FRONTBASE_DATASOURCES.file", `"sqlite" build tag`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Load(func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			err = tt.open(cfg)
			if err == nil {
				t.Fatal("opened a backend this binary leaves out")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
	// An Upstash URL needs neither.
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"FRONTBASE_REDIS_URL": "https://x.upstash.io", "FRONTBASE_REDIS_TOKEN": "t"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := OpenCache(cfg); err != nil || c == nil {
		t.Errorf("Upstash cache without go-redis: %v, %v", c, err)
	}
}
