package engine

import (
	"log/slog"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/core/secrets"
	"github.com/frontbase/edge/core/workflow"
)

// newSecrets wires the tenant secret blobs over the state store (nil when
// the store cannot keep them: then the routes are left out).
func newSecrets(cfg *config.Config, store core.Store, logger *slog.Logger) *secrets.Service {
	st, ok := store.(secrets.Store)
	if !ok {
		return nil
	}
	return secrets.New(st, secrets.Options{Keys: cfg.SecretKeys, Tenant: cfg.Tenant, Logger: logger})
}

// secretSource keeps a nil *secrets.Service a nil interface.
func secretSource(s *secrets.Service) workflow.SecretSource {
	if s == nil {
		return nil
	}
	return s
}
