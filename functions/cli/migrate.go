package main

import (
	"context"
	"fmt"
	"io"

	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/functions/internal/engine"
)

const migrateUsage = `usage: frontbase migrate

  Brings the state database named by the engine's environment
  (FRONTBASE_ENV=cloud with FRONTBASE_STATE_DB_URL / TURSO_DATABASE_URL
  and its token) up to this release's schema. Engines do this themselves
  on first use (FRONTBASE_AUTO_MIGRATE=on, the default; several starting
  at once are safe); run it when that is off, or to see a migration's
  error in full. A local SQLite file migrates itself.
`

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprint(stderr, migrateUsage)
		return 2
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "migrate:", err)
		return 2
	}
	applied, err := engine.Migrate(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "migrate:", err)
		return 1
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "schema is up to date")
	}
	for _, name := range applied {
		fmt.Fprintln(stdout, "applied", name)
	}
	return 0
}
