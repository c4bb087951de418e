package workflow

import (
	"context"
	"time"
)

// firstDelivery reports whether a signed webhook delivery (workflow id,
// signature sig, signed at signedAt) is seen for the first time. With a
// shared cache (Redis, Upstash) the check holds across every instance: one
// SET NX with a TTL lasting until the signature's timestamp leaves the
// tolerance window (after that the timestamp check refuses it anyway; for
// a signature made now that is SignatureTolerance). Without a cache, or
// when the cache cannot answer, this instance remembers it.
func (s *Service) firstDelivery(ctx context.Context, id, sig string, signedAt, now time.Time) bool {
	if s.cache != nil {
		ttl := signedAt.Add(SignatureTolerance).Sub(now) + time.Second
		if ttl < time.Second {
			ttl = time.Second
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		replies, err := s.cache.Exec(cctx, []any{"SET", "fb:wh:" + id + ":" + sig, "1", "NX", "PX", ttl.Milliseconds()})
		if err == nil && len(replies) == 1 {
			return replies[0] != nil // "OK" when this call set it; nil when it was there
		}
		s.log.WarnContext(ctx, "webhook replay check: shared cache unavailable, checking in this instance", "err", err)
	}
	return s.replays.first(id+"|"+sig, now)
}
