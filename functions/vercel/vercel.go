// Package vercel is the engine on Vercel's Go runtime. Vercel builds each
// Go file under api/ as a function whose exported
// func(http.ResponseWriter, *http.Request) it calls through its Go bridge;
// api/index.go is a one-line shim to Handler here, and vercel.json rewrites
// every path to it, so the request keeps its original host and path.
//
// The flush runs from a Vercel cron: GET /api/cron/flush with
// "Authorization: Bearer $CRON_SECRET" (Vercel sends it when CRON_SECRET
// is set). Without CRON_SECRET the route is closed.
package vercel

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"os"
	"time"

	"github.com/frontbase/edge/core/tick"
	"github.com/frontbase/edge/functions/internal/faas"
	"github.com/frontbase/edge/functions/internal/fit"
)

// MaxResponse is the largest answer Vercel takes from a function (4.5 MB
// of body; past it the platform answers 500
// FUNCTION_RESPONSE_PAYLOAD_TOO_LARGE). The Go runtime's bridge buffers
// the whole answer and cannot stream it, so every answer of the engine is
// fitted to it (see fit.Serve): gzipped when the client takes gzip, else
// refused with a 500 that says so. Pages are kept under it at publish
// (FRONTBASE_MAX_PAGE_BYTES); management answers (a page's document,
// listings) can pass it.
var MaxResponse = fit.Limit{Bytes: 4_500_000, What: "(4.5 MB) Vercel takes from a function", Advice: fitAdvice}

const fitAdvice = "ask for less (a smaller ?limit= on listings), or make the page smaller"

// FlushPath is the cron route, listed in vercel.json's crons.
const FlushPath = "/api/cron/flush"

var lazy = &faas.Lazy{}

// Handler serves every request: the cron route, or the engine.
func Handler(w http.ResponseWriter, r *http.Request) {
	eng, logger, err := lazy.Get(r.Context())
	if err != nil {
		logger.Error("engine unavailable", "error", err.Error())
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"success": false, "error": "engine unavailable; see the function's logs"})
		return
	}
	if r.URL.Path != FlushPath {
		if r.Header.Get("X-Request-Id") == "" {
			if id := r.Header.Get("X-Vercel-Id"); id != "" {
				r.Header.Set("X-Request-Id", id)
			}
		}
		fit.Serve(w, r, eng.Handler, MaxResponse)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"success": false, "error": "GET or POST"})
		return
	}
	secret := os.Getenv("CRON_SECRET")
	if secret == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"success": false, "error": "set CRON_SECRET in the project's environment to enable the flush cron"})
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+secret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"success": false, "error": "unauthorized"})
		return
	}
	ctx, cancel := tick.Budget(r.Context(), 2*time.Second, 25*time.Second)
	defer cancel()
	rep, err := (&tick.Ticker{Store: eng.Store, Workflows: eng.Workflows, Flush: eng.Flusher}).Tick(ctx)
	if err != nil {
		logger.ErrorContext(ctx, "tick failed", "error", err.Error())
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"success": false, "error": "tick failed", "report": rep})
		return
	}
	logger.InfoContext(ctx, "tick", "generation", rep.Generation, "flushed", rep.Flushed, "durationMs", rep.DurationMs)
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "report": rep})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
