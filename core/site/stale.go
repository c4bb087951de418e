package site

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/maypok86/otter/v2"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/cache"
	"github.com/frontbase/edge/core/render"
)

// Serving through failures.
//
// L1 and L2 keys carry the publish generation, so once this instance
// learns of a publish, the copies it holds of the previous generation are
// out of reach. When the store then cannot be read (and the shared cache
// has no last good copy, or is down too), the newest copy this process
// made of the path is served instead, marked stale, rather than a 503.
//
// A render that panics is no 500 either: it is treated like an unreachable
// store (the newest copy held, else 503) and nothing is cached, so the
// next request tries again.

// errRenderPanicked marks a render that panicked.
var errRenderPanicked = errors.New("the renderer panicked")

// renderSafely renders in, turning a panic into an EUNAVAILABLE error.
func (s *Service) renderSafely(ctx context.Context, in render.Input) (res render.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.ErrorContext(ctx, "render panicked; serving the newest copy held, else 503", "path", in.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			res, err = render.Result{}, &core.Error{Code: core.EUNAVAILABLE, Message: "the page could not be rendered", Err: fmt.Errorf("%w: %v", errRenderPanicked, p)}
		}
	}()
	return s.render(in)
}

// newestCopies holds, per tenant, base URL and path, the last response
// this process loaded from the store or the shared cache, whatever its
// generation. It is bounded in bytes like L1; its values are mostly the
// very responses L1 holds, so it costs little memory of its own.
type newestCopies struct {
	c *otter.Cache[string, *Response]
}

func newNewestCopies(maxBytes int64) *newestCopies {
	if maxBytes <= 0 {
		return nil
	}
	return &newestCopies{c: otter.Must(&otter.Options[string, *Response]{
		MaximumWeight: uint64(maxBytes),
		Weigher: func(key string, v *Response) uint32 {
			return uint32(min(len(key)+v.Size()+64, 1<<31))
		},
	})}
}

func (n *newestCopies) put(key string, resp *Response) {
	if n == nil || resp == nil || resp.Source == cache.TierStale {
		return
	}
	n.c.Set(key, resp)
}

// get returns a copy of the newest response held for key, marked stale.
func (n *newestCopies) get(key string) (*Response, bool) {
	if n == nil {
		return nil, false
	}
	resp, ok := n.c.GetIfPresent(key)
	if !ok {
		return nil, false
	}
	stale := *resp
	stale.Source = cache.TierStale
	return &stale, true
}
