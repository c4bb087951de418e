// Package wire holds the bodies of the engine's HTTP API: what the
// handlers in core/api answer and read, what the command line's client
// (core/publish) sends and reads, and what the tests decode. One type per
// body, so a field is named in one place.
//
// The bytes on the wire are the contract: the control plane, the builder
// and pages published by the TypeScript engine read these fields by name.
// Fields are declared in the order they are sent. Where a body used to be
// a map (encoding/json sorts map keys), that order is alphabetical by JSON
// name; keep it when adding a field, or the bytes change. TestFieldNames
// pins every body's field names and order.
//
// A field that is present only in some answers is a pointer or carries
// omitempty / omitzero, so that it is left out exactly when it used to be.
package wire

import (
	"encoding/json"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/cache"
	"github.com/frontbase/edge/core/pageauth"
	"github.com/frontbase/edge/core/ratelimit"
)

// Error is every refused request's body (core/api writeError): success is
// always false; details name the fields at fault.
type Error struct {
	Success bool              `json:"success"`
	Error   string            `json:"error"`
	Details []core.FieldError `json:"details,omitempty"`
}

// NotSupported is the 501 of a route only the TypeScript engine has. The
// control plane shows error[:500]: error stays a string, the code beside it.
type NotSupported struct {
	Code    string `json:"code"` // "NotSupported"
	Error   string `json:"error"`
	Success bool   `json:"success"`
}

// RunRefused is the 429 of a run a workflow's guards refused; error and
// code carry the guard's name (RateLimited, ...), as the TypeScript engine.
type RunRefused struct {
	Code    string `json:"code"`
	Error   string `json:"error"`
	Message string `json:"message"`
	Success bool   `json:"success"`
}

// Message is an answer that only says what was done.
type Message struct {
	Message string `json:"message"`
	Success bool   `json:"success"`
}

// Success is {"success": true}.
type Success struct {
	Success bool `json:"success"`
}

// --- pages, settings, site versions ----------------------------------------

// ImportRequest is POST /api/import, and a page file of the command line
// (frontbase publish reads a directory of them).
type ImportRequest struct {
	Page  json.RawMessage `json:"page"`
	Force bool            `json:"force"`
}

// ImportResponse answers POST /api/import; the control plane reads
// previewUrl.
type ImportResponse struct {
	Generation       int64     `json:"generation"`
	LiveEverywhereBy time.Time `json:"liveEverywhereBy"`
	Message          string    `json:"message"`
	PreviewURL       string    `json:"previewUrl"`
	Slug             string    `json:"slug"`
	Success          bool      `json:"success"`
	Unchanged        bool      `json:"unchanged"`
	Version          int64     `json:"version"`
}

// SiteRequest is POST /api/import/site: a site, or a chunk of one.
type SiteRequest struct {
	Pages    []json.RawMessage `json:"pages"`
	Settings json.RawMessage   `json:"settings,omitempty"`
	Force    bool              `json:"force,omitempty"`
	Source   string            `json:"source,omitempty"` // recorded in the site version as api:SOURCE
}

// SiteResponse answers POST /api/import/site; pages are in the order sent.
type SiteResponse struct {
	Changed          bool       `json:"changed"`
	Generation       int64      `json:"generation"`
	LiveEverywhereBy *time.Time `json:"liveEverywhereBy,omitempty"` // absent when no page was sent
	Pages            []SitePage `json:"pages"`
	SettingsChanged  bool       `json:"settingsChanged"`
	Success          bool       `json:"success"`
}

// SitePage is one page's outcome in SiteResponse.
type SitePage struct {
	PreviewURL string `json:"previewUrl"`
	ReplacedID string `json:"replacedId"`
	Slug       string `json:"slug"`
	Unchanged  bool   `json:"unchanged"`
	Version    int64  `json:"version"`
}

// DeletePageResponse answers DELETE /api/import/{slug}: found is false
// when the page was not published (still a success: the control plane
// unpublishes from every target).
type DeletePageResponse struct {
	Found   bool   `json:"found"`
	Message string `json:"message"`
	Slug    string `json:"slug"`
	Success bool   `json:"success"`
}

// PageListResponse answers GET /api/manage/pages; nextCursor is null at
// the end.
type PageListResponse struct {
	NextCursor *string            `json:"nextCursor"`
	Pages      []core.PageSummary `json:"pages"`
	Success    bool               `json:"success"`
}

// PageResponse answers GET /api/manage/pages/{slug}: the document as sent.
type PageResponse struct {
	ContentHash string          `json:"contentHash"`
	Page        json.RawMessage `json:"page"`
	PublishedAt time.Time       `json:"publishedAt"`
	Success     bool            `json:"success"`
	Version     int64           `json:"version"`
}

// SettingsResponse answers GET /api/import/settings, and POST with a
// message.
type SettingsResponse struct {
	Message  string         `json:"message,omitempty"`
	Settings *core.Settings `json:"settings"`
	Success  bool           `json:"success"`
}

// VersionsResponse answers GET /api/versions.
type VersionsResponse struct {
	Success  bool               `json:"success"`
	Versions []core.SiteVersion `json:"versions"`
}

// RollbackRequest is POST /api/rollback.
type RollbackRequest struct {
	Version json.Number `json:"version"`
}

// RollbackResponse answers POST /api/rollback.
type RollbackResponse struct {
	Generation   int64    `json:"generation"`
	Message      string   `json:"message"`
	Removed      []string `json:"removed"`
	Restored     []string `json:"restored"`
	RestoredFrom int64    `json:"restoredFrom"`
	Success      bool     `json:"success"`
	Unchanged    []string `json:"unchanged"`
	Version      int64    `json:"version"`
}

// PreviewRequest is POST /api/preview; the page is read as POST
// /api/import reads it, ttlSeconds is checked as sent.
type PreviewRequest struct {
	Page       json.RawMessage `json:"page"`
	TTLSeconds json.RawMessage `json:"ttlSeconds"`
}

// PreviewResponse answers POST /api/preview.
type PreviewResponse struct {
	ExpiresAt time.Time `json:"expiresAt"`
	Slug      string    `json:"slug"`
	Success   bool      `json:"success"`
	URL       string    `json:"url"`
}

// --- health, manifest, caches, import status -------------------------------

// Health answers GET /api/health. Without the system key only status is
// sent; with it, every other field (generation only while the store
// answers). The builder's health popover reads status, error, version,
// provider, uptime_seconds, timestamp and bindings.
type Health struct {
	Bindings        *HealthBindings `json:"bindings,omitempty"`
	Cache           *Dependency     `json:"cache,omitempty"`
	Env             *string         `json:"env,omitempty"`
	Generation      *int64          `json:"generation,omitempty"`
	L1              *cache.Stats    `json:"l1,omitempty"`
	Provider        *string         `json:"provider,omitempty"`
	Service         *string         `json:"service,omitempty"`
	Status          string          `json:"status"` // ok, degraded
	Store           *Dependency     `json:"store,omitempty"`
	Timestamp       *string         `json:"timestamp,omitempty"`
	UptimeSeconds   *int64          `json:"uptimeSeconds,omitempty"`
	UptimeSecondsTS *int64          `json:"uptime_seconds,omitempty"` // the TypeScript engine's name
	Version         *string         `json:"version,omitempty"`
}

// Dependency is the state of the store or the shared cache.
type Dependency struct {
	Status    string  `json:"status"` // ok, down, or none (not configured)
	LatencyMs float64 `json:"latencyMs,omitempty"`
	Error     string  `json:"error,omitempty"`
	Breaker   string  `json:"breaker,omitempty"` // the shared cache's circuit breaker
}

// HealthBindings are the TypeScript engine's bindings, as the popover
// reads them.
type HealthBindings struct {
	Cache   Binding `json:"cache"`
	Queue   Binding `json:"queue"`
	StateDB Binding `json:"stateDb"`
}

// Binding is one of HealthBindings.
type Binding struct {
	Error    *string `json:"error,omitempty"` // set when status is "error"
	Provider string  `json:"provider"`
	Status   string  `json:"status"` // ok, not_configured, error
}

// Manifest answers GET /api/manifest. The control plane copies
// deployed_at and bundle_checksum into its engine record when set (never
// here), and reads gpu_models, adapter_type, capabilities and bindings.
type Manifest struct {
	AdapterType      string            `json:"adapter_type"`
	Bindings         map[string]string `json:"bindings"` // db, cache, queue (and any kind the wiring adds)
	BundleChecksum   *string           `json:"bundle_checksum"`
	Capabilities     []string          `json:"capabilities"`
	DeployedAt       *string           `json:"deployed_at"`
	EngineName       string            `json:"engine_name"`
	FrontbaseVersion string            `json:"frontbase_version"`
	GPUModels        []GPUModel        `json:"gpu_models"`
	Platform         string            `json:"platform"`
	TechStack        TechStack         `json:"tech_stack"`
}

// GPUModel is an entry of Manifest.GPUModels, as the control plane reads
// it; this engine has none.
type GPUModel struct {
	Slug      string `json:"slug"`
	ModelID   string `json:"model_id"`
	ModelType string `json:"model_type"`
	Provider  string `json:"provider"`
}

// TechStack is Manifest.TechStack.
type TechStack struct {
	Framework  string `json:"framework"`
	Runtime    string `json:"runtime"`
	Templating string `json:"templating"`
}

// ImportStatus answers GET /api/import/status.
type ImportStatus struct {
	Ready  bool   `json:"ready"`
	Status string `json:"status"`
}

// CacheTest answers GET /api/cache/test; latencyMs only when the shared
// cache answered.
type CacheTest struct {
	LatencyMs *float64 `json:"latencyMs,omitempty"`
	Message   string   `json:"message"`
	Success   bool     `json:"success"`
}

// CacheStats answers GET /api/cache/stats; connected is absent without a
// shared cache.
type CacheStats struct {
	Configured bool        `json:"configured"`
	Connected  *bool       `json:"connected,omitempty"`
	L1         cache.Stats `json:"l1"`
	Message    string      `json:"message"`
	Shared     Dependency  `json:"shared"`
	Success    bool        `json:"success"`
}

// InvalidateRequest is POST /api/cache/invalidate: one of key and pattern.
type InvalidateRequest struct {
	Key     *string `json:"key"`
	Pattern *string `json:"pattern"`
}

// CacheDropped answers POST /api/cache/flush and /api/cache/invalidate.
type CacheDropped struct {
	Complete  bool   `json:"complete"`
	L1Dropped int    `json:"l1Dropped"`
	L2Deleted int    `json:"l2Deleted"`
	Message   string `json:"message"`
	Success   bool   `json:"success"`
}

// --- rate limits -----------------------------------------------------------

// RateLimitsResponse answers GET and PUT /api/ratelimits (PUT with a
// message).
type RateLimitsResponse struct {
	Message string           `json:"message,omitempty"`
	Rules   []ratelimit.Rule `json:"rules"`
	Success bool             `json:"success"`
}

// RateLimitSaved answers POST /api/ratelimits.
type RateLimitSaved struct {
	Message string          `json:"message"`
	Rule    *ratelimit.Rule `json:"rule"`
	Success bool            `json:"success"`
}

// RateLimitDeleted answers DELETE /api/ratelimits/{id}.
type RateLimitDeleted struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Success bool   `json:"success"`
}

// --- tenant secrets --------------------------------------------------------

// SecretItem is POST /api/import/secrets and an item of the batch. The
// fields are read as any so that a wrong JSON kind is named by its path.
type SecretItem struct {
	TenantSlug any `json:"tenantSlug"`
	Kind       any `json:"kind"`
	Payload    any `json:"payload"`
}

// SecretBatchRequest is POST /api/import/secrets/batch; items are read one
// by one, so one that is not an object fails alone.
type SecretBatchRequest struct {
	Secrets []json.RawMessage `json:"secrets"`
}

// SecretBatchResponse answers the batch; the control plane reads
// results[].{tenantSlug, kind, success}.
type SecretBatchResponse struct {
	Results []SecretResult `json:"results"`
	Success bool           `json:"success"`
}

// SecretResult is one item's outcome.
type SecretResult struct {
	TenantSlug string `json:"tenantSlug"`
	Kind       string `json:"kind"`
	Success    bool   `json:"success"`
	Error      string `json:"error,omitempty"`
}

// SecretListResponse answers GET /api/import/secrets: ciphertext only.
type SecretListResponse struct {
	Secrets []SecretRow `json:"secrets"`
	Success bool        `json:"success"`
}

// SecretRow is one stored blob.
type SecretRow struct {
	TenantSlug string `json:"tenantSlug"`
	Kind       string `json:"kind"`
	Payload    string `json:"payload"`
	UpdatedAt  string `json:"updatedAt,omitempty"`
}

// SecretDeleted answers DELETE /api/import/secrets.
type SecretDeleted struct {
	Deleted bool `json:"deleted"`
	Success bool `json:"success"`
}

// DecodeAnswer decodes an answer of the engine into ok, the route's
// success body, and returns it decoded as an Error as well: the engine
// answers one or the other, and a caller reads success from ok (both
// carry it) and error and details from the Error.
func DecodeAnswer(raw []byte, ok any) (Error, error) {
	var fail Error
	if err := json.Unmarshal(raw, ok); err != nil {
		return fail, err
	}
	err := json.Unmarshal(raw, &fail)
	return fail, err
}

// PageAuthRequest is a JSON sign-in or sign-up (P6: POST
// /api/page-auth/login and /signup); the gated page's form posts the same
// names as form fields (isEmbed as "true").
type PageAuthRequest struct {
	Email        string `json:"email"`
	Password     string `json:"password"`
	RedirectTo   string `json:"redirectTo"`
	IsEmbed      bool   `json:"isEmbed"`
	FormID       string `json:"formId"`
	CaptchaToken string `json:"captchaToken"`
}

// PageAuthSignedIn answers a JSON sign-in or sign-up that opened a session.
type PageAuthSignedIn struct {
	Success     bool          `json:"success"`
	User        pageauth.User `json:"user"`
	RedirectURL string        `json:"redirectUrl"`
}

// PageAuthMe answers GET /api/page-auth/me: the user, or null with 401.
type PageAuthMe struct {
	Success bool           `json:"success"`
	User    *pageauth.User `json:"user"`
}

// PageAuthError is a refused JSON sign-in, sign-up or a route of page
// auth without a provider: the TypeScript engine's {"error"} alone.
type PageAuthError struct {
	Error string `json:"error"`
}
