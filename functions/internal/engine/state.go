package engine

import (
	"context"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/config"
)

// OpenState opens the state store and the shared cache (nil when none is
// configured) the configuration names, as New does, for a process that
// writes state without serving it: the CLI's direct publish strategies.
func OpenState(ctx context.Context, cfg *config.Config) (core.Store, core.Cache, error) {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	c, err := openCache(cfg)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, c, nil
}
