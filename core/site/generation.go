package site

import "context"

// Generation is the publish generation this instance serves, re-read at
// most once per L1 TTL (see currentGeneration). Other state that changes
// with publishes (rate-limit rules) reloads when it moves.
func (s *Service) Generation(ctx context.Context) int64 { return s.currentGeneration(ctx) }

// Published records a write to the state store made outside the site
// service (rate-limit rules) that bumped the generation to gen: this
// instance moves to it at once, and others learn it through the shared
// cache, as for a page publish. No page changed, so the shared cache's
// entries of every public page are carried to the new generation.
func (s *Service) Published(ctx context.Context, gen int64) {
	s.published(ctx, gen, &keepPlan{tenant: s.tenant, others: true})
}
