package engine

import (
	"log/slog"

	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/core/dataproxy"
	"github.com/frontbase/edge/core/secrets"
	"github.com/frontbase/edge/core/site"
	"github.com/frontbase/edge/core/workflow"
)

// newDataProxy wires the datasource proxy: the published pages, the
// tenant's pushed "datasources" blob, FRONTBASE_DATASOURCES, and the
// SSRF-guarded client workflows use (FRONTBASE_HTTP_ALLOW applies).
func newDataProxy(cfg *config.Config, svc *site.Service, tenantSecrets *secrets.Service, logger *slog.Logger) (*dataproxy.Service, error) {
	allow, err := workflow.ParseAllowList(cfg.WorkflowHTTPAllow)
	if err != nil {
		return nil, err
	}
	var sources []dataproxy.Source
	for _, d := range cfg.DataSources {
		sources = append(sources, dataproxy.Source{ID: d.Name, Kind: d.Type, URL: d.URL, Secret: d.Secret})
	}
	return dataproxy.New(dataproxy.Options{Pages: svc, Secrets: tenantSecrets, Sources: sources,
		HTTP: workflow.NewHTTPClient(allow), Logger: logger}), nil
}
