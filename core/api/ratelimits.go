package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/core/ratelimit"
)

// rateLimitRoutes mounts the rule management routes (system key).
func (h *handler) rateLimitRoutes(mux *http.ServeMux) {
	if h.opts.RateLimits == nil {
		return
	}
	mux.Handle("GET /api/ratelimits", h.managed(h.listRateLimits))
	mux.Handle("POST /api/ratelimits", h.managed(h.saveRateLimit))
	mux.Handle("PUT /api/ratelimits", h.managed(h.replaceRateLimits))
	mux.Handle("DELETE /api/ratelimits/{id}", h.managed(h.deleteRateLimit))
}

func (h *handler) listRateLimits(w http.ResponseWriter, r *http.Request) {
	rules, err := h.opts.RateLimits.Rules(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.RateLimitsResponse{Success: true, Rules: rules})
}

// saveRateLimit inserts or replaces (by id) one rule.
func (h *handler) saveRateLimit(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	rule, err := ratelimit.DecodeRule(body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := h.opts.RateLimits.Save(r.Context(), rule); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.RateLimitSaved{Success: true, Rule: rule, Message: "Rate limit saved"})
}

// replaceRateLimits makes {"rules": [...]} the whole rule set (publishing
// a ratelimits.json).
func (h *handler) replaceRateLimits(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	rules, err := ratelimit.DecodeRules(body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := h.opts.RateLimits.Replace(r.Context(), rules); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.RateLimitsResponse{Success: true, Rules: rules, Message: "Rate limits replaced"})
}

func (h *handler) deleteRateLimit(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := h.opts.RateLimits.Delete(r.Context(), id); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.RateLimitDeleted{Success: true, ID: id, Message: "Rate limit deleted"})
}

// limitable says whether rate-limit rules apply to a path: the public site
// and the public workflow routes (webhooks, /api/public/execute). The
// management API (system key) and the engine's own /_frontbase/ routes
// (assets, the analytics dashboard) are never limited, so a careless
// "*" rule cannot lock the operator out.
func limitable(path string) bool {
	if strings.HasPrefix(path, "/api/") {
		return ratelimit.WorkflowID(path) != ""
	}
	return !strings.HasPrefix(path, "/_frontbase/")
}

// rateLimited enforces the rules in front of the routes. A request under
// no rule goes straight through: no limiter call, no allocation.
func (h *handler) rateLimited(next http.Handler) http.Handler {
	rl := h.opts.RateLimits
	if rl == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !limitable(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		o := rl.Check(r)
		switch {
		case o.Rule == nil:
		case o.Failed && o.Rule.FailClosed:
			w.Header().Set("Retry-After", "1")
			refuse(w, r, core.Errorf(core.EUNAVAILABLE, "rate limit %q cannot be checked right now; try again shortly", o.Rule.ID))
			return
		case o.Failed: // fail open: the request goes through, uncounted
		default:
			hdr := w.Header()
			hdr.Set("RateLimit-Limit", strconv.FormatInt(o.Limit, 10))
			hdr.Set("RateLimit-Remaining", strconv.FormatInt(o.Remaining, 10))
			hdr.Set("RateLimit-Reset", formatSeconds(o.Reset))
			if !o.Allowed {
				hdr.Set("Retry-After", formatSeconds(o.RetryAfter))
				refuse(w, r, core.Errorf(core.ETOOMANY, "too many requests: rate limit %q allows %d per %d s", o.Rule.ID, o.Rule.Limit, o.Rule.WindowSeconds))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// refuse answers a limited request: JSON on API routes, text on pages.
func refuse(w http.ResponseWriter, r *http.Request, err error) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(statusOf(core.ErrorCode(err)))
	w.Write([]byte(core.ErrorMessage(err) + "\n"))
}

// formatSeconds rounds up to whole seconds, as the headers carry them.
func formatSeconds(d time.Duration) string {
	return strconv.FormatInt(max(int64((d+time.Second-1)/time.Second), 0), 10)
}
