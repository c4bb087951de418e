package engine

import (
	"log/slog"

	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/core/dataproxy"
	"github.com/frontbase/edge/core/pageauth"
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

// newPageAuth wires sign-in for private pages when FRONTBASE_AUTH names a
// provider: the provider is reached through the SSRF-guarded client (a
// self-hosted Supabase on a private address is listed in
// FRONTBASE_HTTP_ALLOW), sessions are sealed with the secrets keys.
func newPageAuth(cfg *config.Config) (*pageauth.Service, error) {
	if cfg.Auth.Provider == "" {
		return nil, nil
	}
	allow, err := workflow.ParseAllowList(cfg.WorkflowHTTPAllow)
	if err != nil {
		return nil, err
	}
	return pageauth.New(pageauth.Options{URL: cfg.Auth.URL, AnonKey: cfg.Auth.AnonKey,
		HTTP: workflow.NewHTTPClient(allow), Keys: cfg.SecretKeys}), nil
}
