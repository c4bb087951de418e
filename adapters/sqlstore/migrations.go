package sqlstore

import (
	"cmp"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// Migration files are named NNNN_what.sql and hold plain statements (no
// BEGIN or COMMIT: each adapter runs a file atomically its own way).
//
//go:embed migrations/*.sql
var embedded embed.FS

// Migrations is the schema every adapter applies, in version order.
var Migrations = mustSub(embedded, "migrations")

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// CreateMigrationsTable records which migrations a database has.
const CreateMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at TEXT NOT NULL
) STRICT`

// Migration is one schema step.
type Migration struct {
	Version int64
	Name    string
	SQL     string
}

// ReadMigrations returns the migrations at the root of fsys in version
// order, refusing badly named or duplicate ones.
func ReadMigrations(fsys fs.FS) ([]Migration, error) {
	all, err := ListMigrations(fsys)
	if err != nil {
		return nil, err
	}
	for i, m := range all {
		body, err := fs.ReadFile(fsys, m.Name)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		all[i].SQL = string(body)
	}
	return all, nil
}

// ListMigrations is ReadMigrations without the files' contents (SQL is
// empty): enough to check which versions a database has, which is all a
// start on an up-to-date database needs.
func ListMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	all := make([]Migration, 0, len(names))
	seen := map[int64]string{}
	for _, name := range names {
		prefix, _, ok := strings.Cut(name, "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql with NNNN > 0", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s have the same version %d", other, name, v)
		}
		seen[v] = name
		all = append(all, Migration{Version: v, Name: name})
	}
	slices.SortFunc(all, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	return all, nil
}

// Latest is the newest schema version this binary knows.
func Latest(all []Migration) int64 {
	if len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Version
}

// CheckNotNewer refuses a database whose schema is newer than the binary:
// an older binary must not write to a schema it does not understand.
func CheckNotNewer(current int64, all []Migration) error {
	if known := Latest(all); current > known {
		return fmt.Errorf("database schema is at version %d but this binary knows only up to %d: run a newer release", current, known)
	}
	return nil
}
