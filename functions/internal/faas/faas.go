// Package faas wires the engine lazily for platforms that load a function
// package and call it per request (Cloud Functions, Vercel): nothing is
// opened when the package loads, the first request wires the engine, and
// warm requests reuse it.
package faas

import (
	"context"
	"log/slog"
	"sync"

	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/functions/internal/backend"
	"github.com/frontbase/edge/functions/internal/engine"
)

// TmpDBPath is local mode's database on platforms whose only writable
// directory is /tmp: it lives as long as one instance.
const TmpDBPath = backend.TmpDBPath

// Getenv is os.Getenv with the FaaS default for FRONTBASE_LOCAL_DB_PATH.
func Getenv(name string) string { return backend.Getenv(name) }

// Lazy holds one engine, wired on first use. A failed wiring is retried on
// the next call (a configuration error fails every time, with its message).
type Lazy struct {
	mu     sync.Mutex
	eng    *engine.Engine
	cfg    *config.Config
	logger *slog.Logger
}

// Get returns the engine, wiring it on the first call.
func (l *Lazy) Get(ctx context.Context) (*engine.Engine, *slog.Logger, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.eng != nil {
		return l.eng, l.logger, nil
	}
	cfg, err := config.Load(Getenv)
	if err != nil {
		return nil, slog.Default(), err
	}
	logger := engine.NewLogger(cfg)
	eng, err := engine.New(context.WithoutCancel(ctx), cfg, logger, nil)
	if err != nil {
		return nil, logger, err
	}
	l.eng, l.cfg, l.logger = eng, cfg, logger
	return eng, logger, nil
}

// Config is the loaded configuration (nil before a successful Get).
func (l *Lazy) Config() *config.Config {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cfg
}
