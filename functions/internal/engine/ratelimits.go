package engine

import (
	"log/slog"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/core/ratelimit"
	"github.com/frontbase/edge/core/site"
)

// newRateLimits wires the rate-limit rules: counted in the shared cache
// (one Lua script per limited request) when there is one, in this process
// otherwise.
func newRateLimits(cfg *config.Config, store ratelimit.Store, sharedCache core.Cache, svc *site.Service, logger *slog.Logger) *ratelimit.Service {
	var limiter ratelimit.Limiter
	if sharedCache != nil {
		limiter = &ratelimit.RedisLimiter{Cache: sharedCache}
	}
	return ratelimit.New(ratelimit.Options{
		Store: store, Tenant: cfg.Tenant, Limiter: limiter,
		Generation: svc.Generation, Published: svc.Published,
		TrustedProxies: cfg.TrustedProxies, Timeout: cfg.RateLimitTimeout, Logger: logger,
	})
}
