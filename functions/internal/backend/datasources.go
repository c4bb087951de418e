package backend

import (
	"fmt"
	"net/http"

	"github.com/frontbase/edge/adapters/sqldata"
	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/core/workflow"
)

// openDataSources builds the workflow data sources FRONTBASE_DATASOURCES
// names. PostgREST (Supabase) goes through client, the SSRF-guarded one;
// libSQL and SQLite open lazily (no network call here).
func openDataSources(list []config.DataSource, client *http.Client) (map[string]workflow.DataSource, error) {
	out := map[string]workflow.DataSource{}
	for _, d := range list {
		var src workflow.DataSource
		var err error
		switch d.Type {
		case "supabase", "postgrest":
			src, err = workflow.NewPostgREST(d.URL, d.Secret, d.Type == "supabase", client)
		case "libsql":
			src, err = sqldata.OpenLibSQL(d.URL, d.Secret)
		case "sqlite":
			if sqliteData == nil {
				err = leftOut("type sqlite", "SQLite", "sqlite", "use a libsql data source")
				break
			}
			src, err = sqliteData(d.URL)
		default:
			err = fmt.Errorf("type %q is not supported", d.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("FRONTBASE_DATASOURCES.%s: %w", d.Name, err)
		}
		out[d.Name] = src
	}
	return out, nil
}
