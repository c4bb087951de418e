// Package withsqlite links SQLite into a binary: importing it lets package
// backend open local mode's state store and sqlite data sources. Every
// entrypoint imports it except the Lambda functions, which do only when
// built with the sqlite tag.
package withsqlite

import (
	"context"

	"github.com/frontbase/edge/adapters/sqlite"
	"github.com/frontbase/edge/core/workflow"
	"github.com/frontbase/edge/functions/internal/backend"
)

func init() {
	backend.RegisterSQLite(
		func(ctx context.Context, path string) (backend.State, error) {
			s, err := sqlite.Open(ctx, path)
			if err != nil {
				return nil, err // not a nil *Store in a non-nil interface
			}
			return s, nil
		},
		func(path string) (workflow.DataSource, error) {
			s, err := sqlite.OpenData(path)
			if err != nil {
				return nil, err
			}
			return s, nil
		})
}

// The local store has every port the engine wires.
var _ backend.State = (*sqlite.Store)(nil)
