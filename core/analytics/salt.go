package analytics

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frontbase/edge/core"
)

// Salts hands out the day's visitor salt: 32 random bytes per UTC day,
// shared by every instance through the shared cache (the first instance to
// need it creates it with SET NX, the others read the winner's), and held
// in process without one. A salt is never kept past two days (the Redis
// key expires 48 h after it was made, the process keeps today's and
// yesterday's), so once it is gone nobody, the operator included, can
// link a stored visitor hash to an IP and user agent.
//
// Each instance reads the salt once per day and then serves it from
// memory: a page view pays that extra round trip (bounded by Timeout) once
// a day per instance. When the cache cannot be reached the view is counted
// without a visitor (no unique) and the read is retried after RetryAfter.
type Salts struct {
	Cache      core.Cache    // nil: salts are made and kept in this process
	Timeout    time.Duration // default 50ms
	RetryAfter time.Duration
	Logger     *slog.Logger

	mu      sync.Mutex
	known   atomic.Pointer[[2]daySalt] // the two newest days
	retryAt atomic.Int64
}

type daySalt struct{ day, salt string }

// Salt lifetime and cache key.
const (
	SaltTTL    = 48 * time.Hour
	saltPrefix = "fb:an:salt:"
)

// Salt returns day's salt ("2026-11-22"); ok is false when it cannot be
// had right now.
func (s *Salts) Salt(ctx context.Context, day string) (string, bool) {
	if v, ok := s.lookup(day); ok {
		return v, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.lookup(day); ok {
		return v, true
	}
	salt := randomSalt()
	if s.Cache != nil {
		if time.Now().UnixNano() < s.retryAt.Load() {
			return "", false
		}
		timeout := s.Timeout
		if timeout <= 0 {
			timeout = 50 * time.Millisecond // as the recorder
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		key := saltPrefix + day
		res, err := s.Cache.Exec(cctx, []any{"SET", key, salt, "NX", "PX", SaltTTL.Milliseconds()}, []any{"GET", key})
		var got string
		if err == nil && len(res) == 2 {
			got, _ = res[1].(string)
		}
		if got == "" {
			retry := s.RetryAfter
			if retry <= 0 {
				retry = 5 * time.Second
			}
			s.retryAt.Store(time.Now().Add(retry).UnixNano())
			if s.Logger != nil {
				s.Logger.Warn("analytics: the day's visitor salt could not be read from the shared cache; views are counted without unique visitors for now", "err", err)
			}
			return "", false
		}
		salt = got
	}
	s.remember(day, salt)
	return salt, true
}

func (s *Salts) lookup(day string) (string, bool) {
	if k := s.known.Load(); k != nil {
		for _, d := range k {
			if d.day == day && d.salt != "" {
				return d.salt, true
			}
		}
	}
	return "", false
}

// remember keeps day's salt and the newest other day's, dropping older
// ones.
func (s *Salts) remember(day, salt string) {
	var next [2]daySalt
	next[0] = daySalt{day, salt}
	if k := s.known.Load(); k != nil {
		other := k[0]
		if k[1].day > other.day {
			other = k[1]
		}
		if other.day != day && other.day >= yesterday(day) {
			next[1] = other
		}
	}
	s.known.Store(&next)
}

func randomSalt() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
