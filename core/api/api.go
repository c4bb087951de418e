// Package api is the one http.Handler every entrypoint mounts: the
// management and publish API of the Frontbase control plane, and the public
// site.
package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/dataproxy"
	"github.com/frontbase/edge/core/pageauth"
	"github.com/frontbase/edge/core/ratelimit"
	"github.com/frontbase/edge/core/secrets"
	"github.com/frontbase/edge/core/site"
	"github.com/frontbase/edge/core/workflow"
)

// Options configure the handler.
type Options struct {
	SystemKey    string // empty: management routes are closed
	MaxBodyBytes int64
	Env          string
	Version      string // build version, shown to authenticated health checks
	Logger       *slog.Logger
	Workflows    *workflow.Service // the actions engine; nil leaves its routes out
	Analytics    Analytics         // page-view counting; zero: off

	RateLimits *ratelimit.Service // rate-limit rules (ratelimits.go); nil: no rules, no routes
	// TrustedProxies may set X-Forwarded-For: the client address the IP
	// blocklist checks is read as rate limits read it (clientip.Of).
	TrustedProxies []netip.Prefix
	Secrets        *secrets.Service // tenant secret blobs (secrets.go); nil: no routes
	Manifest       Manifest         // what GET /api/manifest reports (contract.go)

	// Data is the datasource proxy (data.go); nil: its routes answer 501.
	Data *dataproxy.Service
	// PageAuth signs visitors in to private pages (pageauth.go); nil: no
	// provider, its routes answer 503 and private pages are not found.
	PageAuth *pageauth.Service
}

type handler struct {
	site    *site.Service
	opts    Options
	keyHash [32]byte
	started time.Time
	// authLimiter counts sign-in attempts per client address (pageauth.go).
	authLimiter *ratelimit.MemoryLimiter
}

// New returns the engine's HTTP handler.
func New(svc *site.Service, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 5 << 20
	}
	h := &handler{site: svc, opts: opts, keyHash: sha256.Sum256([]byte(opts.SystemKey)), started: time.Now()}
	mux := http.NewServeMux()

	mux.HandleFunc("GET /api/health", h.health)

	mux.Handle("POST /api/import", h.managed(h.importPage))
	mux.Handle("POST /api/import/site", h.managed(h.importSite)) // sitepublish.go
	mux.Handle("DELETE /api/import/{slug...}", h.managed(h.deletePage))
	mux.Handle("GET /api/manage/pages", h.managed(h.listPages))
	mux.Handle("GET /api/manage/pages/{slug...}", h.managed(h.getPage))
	mux.Handle("DELETE /api/manage/pages/{slug...}", h.managed(h.deletePage))
	mux.Handle("GET /api/import/settings", h.managed(h.getSettings))
	mux.Handle("POST /api/import/settings", h.managed(h.saveSettings))
	mux.Handle("GET /api/versions", h.managed(h.listVersions)) // versions.go
	mux.Handle("POST /api/rollback", h.managed(h.rollback))
	h.workflowRoutes(mux)  // workflows.go
	h.analyticsRoutes(mux) // analytics.go
	h.rateLimitRoutes(mux) // ratelimits.go
	h.previewRoutes(mux)   // preview.go
	h.secretRoutes(mux)    // secrets.go
	h.dataRoutes(mux)      // data.go
	h.realtimeRoutes(mux)  // realtime.go
	h.pageAuthRoutes(mux)  // pageauth.go
	h.contractRoutes(mux)  // contract.go
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, core.Errorf(core.ENOTFOUND, "no API route %s %s", r.Method, r.URL.Path))
	})

	mux.HandleFunc("GET /_frontbase/assets/{file...}", h.asset) // assets.go
	mux.HandleFunc("/{path...}", h.publicPage)
	return observe(opts.Logger, h.blocklisted(h.rateLimited(mux))) // policy.go, ratelimits.go
}

// managed guards a management route with the system key.
func (h *handler) managed(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h.authorize(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="frontbase"`)
			writeError(w, r, err)
			return
		}
		next(w, r)
	})
}

func (h *handler) authorize(r *http.Request) error {
	if h.opts.SystemKey == "" {
		return core.Errorf(core.EUNAUTHORIZED, "the management API is closed: set FRONTBASE_SYSTEM_KEY (16+ characters, e.g. `openssl rand -hex 32`) on the engine and send it as x-system-key or Authorization: Bearer")
	}
	given := r.Header.Get("X-System-Key")
	if given == "" {
		if auth := r.Header.Get("Authorization"); len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
			given = strings.TrimSpace(auth[7:])
		}
	}
	if given == "" {
		return core.Errorf(core.EUNAUTHORIZED, "missing system key: send x-system-key or Authorization: Bearer")
	}
	if !h.isSystemKey(given) {
		return core.Errorf(core.EUNAUTHORIZED, "wrong system key")
	}
	return nil
}

// isSystemKey compares given with the system key. Comparing hashes keeps
// the comparison constant-time in the key's length as well as its content.
func (h *handler) isSystemKey(given string) bool {
	sum := sha256.Sum256([]byte(given))
	return subtle.ConstantTimeCompare(sum[:], h.keyHash[:]) == 1
}

// readBody reads a request body up to the configured limit.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	tooLarge := core.Errorf(core.ETOOLARGE, "request body is larger than %d bytes (FRONTBASE_MAX_BODY_BYTES)", h.opts.MaxBodyBytes)
	if r.ContentLength > h.opts.MaxBodyBytes {
		return nil, tooLarge
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return nil, tooLarge
	case err != nil:
		return nil, &core.Error{Code: core.EINVALID, Message: "could not read the request body", Err: err}
	}
	return data, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// baseURL is the scheme and host the visitor used. X-Forwarded-Proto is
// only used to build links, never to make a security decision.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
