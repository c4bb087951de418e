package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/frontbase/edge/core/cache"
)

type ctxKey int

const requestInfoKey ctxKey = iota

// requestInfo travels with a request so that the access log line can say
// what the handlers found out (which cache tier answered).
type requestInfo struct {
	id   string
	log  *slog.Logger
	tier cache.Tier
}

func info(r *http.Request) *requestInfo {
	if ri, ok := r.Context().Value(requestInfoKey).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{log: slog.Default()}
}

func logger(r *http.Request) *slog.Logger { return info(r).log }

// statusRecorder remembers the status for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
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
		ri := &requestInfo{id: id, log: base.With("requestId", id)}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey, ri))
		rec := &statusRecorder{ResponseWriter: w}
		rec.Header().Set("X-Request-Id", id)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				ri.log.ErrorContext(r.Context(), "handler panicked", "panic", p, "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeJSON(rec, http.StatusInternalServerError, errorBody{Error: "internal error"})
				}
			}
			attrs := []any{"method", r.Method, "route", r.Pattern, "path", r.URL.Path, "status", rec.status,
				"bytes", rec.bytes, "durationMs", float64(time.Since(start).Microseconds()) / 1000}
			if ri.tier != "" {
				attrs = append(attrs, "cacheTier", string(ri.tier))
			}
			ri.log.InfoContext(r.Context(), "request", attrs...)
		}()
		next.ServeHTTP(rec, r)
	})
}

// requestID keeps an id the platform or a proxy assigned (so log lines can
// be joined across hops) when it looks sane, and makes one otherwise.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 128 && printableASCII(id) {
		return id
	}
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
