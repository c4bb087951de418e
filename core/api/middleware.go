package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/core/cache"
)

type ctxKey int

const requestInfoKey ctxKey = iota

// requestInfo travels with a request so that the access log line can say
// what the handlers found out (which cache tier answered).
type requestInfo struct {
	id   string
	base *slog.Logger
	log  *slog.Logger // base with the request id, made on first use
	tier cache.Tier
}

func info(r *http.Request) *requestInfo {
	if ri, ok := r.Context().Value(requestInfoKey).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{base: slog.Default()}
}

// logger returns the request's logger. It is built lazily: most requests
// (cache hits) log nothing but their access line.
func logger(r *http.Request) *slog.Logger { return info(r).logger() }

func (ri *requestInfo) logger() *slog.Logger {
	if ri.log == nil {
		ri.log = ri.base.With("requestId", ri.id)
	}
	return ri.log
}

// statusRecorder remembers the status for the access log. It carries the
// request's info too, so that both cost one allocation.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
	info   requestInfo
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// observe gives every request an id, logs one structured line when it
// ends, and turns a handler panic into a 500 for that request alone.
func observe(base *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r)
		rec := &statusRecorder{ResponseWriter: w, info: requestInfo{id: id, base: base}}
		ri := &rec.info
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey, ri))
		rec.Header()["X-Request-Id"] = []string{id}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				ri.logger().ErrorContext(r.Context(), "handler panicked", "panic", p, "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeJSON(rec, http.StatusInternalServerError, wire.Error{Error: "internal error"})
				}
			}
			if !base.Enabled(r.Context(), slog.LevelInfo) {
				return
			}
			// The id goes in as a plain attribute: a per-request With would
			// clone the handler on the hottest path.
			tier := slog.Attr{}
			if ri.tier != "" {
				tier = slog.String("cacheTier", string(ri.tier))
			}
			base.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("requestId", id),
				slog.String("method", r.Method), slog.String("route", r.Pattern), slog.String("path", r.URL.Path),
				slog.Int("status", rec.status), slog.Int("bytes", rec.bytes),
				slog.Float64("durationMs", float64(time.Since(start).Microseconds())/1000), tier)
		}()
		next.ServeHTTP(rec, r)
	})
}

// requestID keeps an id the platform or a proxy assigned (so log lines can
// be joined across hops) when it looks sane, and makes one otherwise: a
// random per-process prefix and a counter, unique without a random read
// per request.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 128 && printableASCII(id) {
		return id
	}
	return idPrefix + strconv.FormatUint(idCounter.Add(1), 36)
}

var (
	idPrefix  = newIDPrefix()
	idCounter atomic.Uint64
)

func newIDPrefix() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "-"
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
