package core

import (
	"context"
	"time"
)

// The state database is the source of truth. Every write is atomic and
// bumps the publish generation, so caches keyed by generation can never
// serve a mix of old and new state. Its ports below are split by what each
// consumer needs; a service takes only those (site.Store, workflow.Store),
// so a test fake implements only what it is asked for.
//
// Implementations return *Error with ENOTFOUND for missing things and
// EUNAVAILABLE when the database cannot be reached.

// Store is the whole state database: every port in this file. Adapters
// implement it (a compile-time check in each) and run the shared contract
// suite (adapters/sqlstore/storetest) against it.
type Store interface {
	PageReader
	Publisher
	SiteHistory
	WorkflowStore
	ExecutionStore
	Close() error
}

// PageReader reads what serving and managing pages needs.
type PageReader interface {
	// LoadPage returns everything serving one public path needs, in one
	// round trip: the page (or the homepage) whether public or not, the
	// tenant's "404" page when visitors cannot see that page, the settings
	// and the generation they belong to.
	LoadPage(ctx context.Context, q PageQuery) (*PageBundle, error)
	// Page returns a page whether or not it is public (management use).
	Page(ctx context.Context, tenant, slug string) (*StoredPage, error)
	ListPages(ctx context.Context, tenant string) ([]PageSummary, error)
	// Settings returns the tenant's settings, empty when none were saved.
	Settings(ctx context.Context, tenant string) (*Settings, error)
	// Generation is the publish generation: a counter every write bumps.
	Generation(ctx context.Context) (int64, error)
}

// Publisher writes pages and settings.
type Publisher interface {
	// PublishPage stores a page in one transaction: it replaces any page of
	// the same tenant that has the same slug or the same id, and when the
	// page is the homepage it clears the flag of every other page. Without
	// Force, a page whose content hash equals the stored one is left alone
	// (Unchanged, no generation bump).
	PublishPage(ctx context.Context, in PublishPageInput) (*PublishResult, error)
	// PublishPages stores several pages of one tenant, and the settings
	// when given, in ONE atomic batch that bumps the generation once. It
	// first reads, in one query, what is stored for those slugs: pages
	// whose content is unchanged (as PublishPage decides it) and settings
	// equal to the stored ones are skipped, and when nothing is left
	// nothing is written (Changed false, generation as it was).
	PublishPages(ctx context.Context, in PublishPagesInput) (*PublishPagesResult, error)
	// DeletePage unpublishes a page: ENOTFOUND when there is none.
	DeletePage(ctx context.Context, tenant, slug string) (generation int64, err error)
	SaveSettings(ctx context.Context, tenant string, s *Settings) (generation int64, err error)
	// MergeSettings changes only the members a settings push names (null
	// clears one) in one atomic write, and returns the settings after it.
	MergeSettings(ctx context.Context, tenant string, patch *SettingsPatch) (generation int64, settings *Settings, err error)
}

// SiteHistory keeps and restores a tenant's site versions.
type SiteHistory interface {
	// Versions lists the tenant's kept site versions, newest first. Every
	// write that changes pages or settings (publish, unpublish, settings,
	// rollback) adds one in the same batch; only the last N are kept.
	Versions(ctx context.Context, tenant string) ([]SiteVersion, error)
	// Rollback makes the tenant's pages and settings what they were at a
	// kept version, in ONE batch that bumps the generation and adds a new
	// version; ENOTFOUND when that version is not kept.
	Rollback(ctx context.Context, in RollbackInput) (*RollbackResult, error)
}

// WorkflowStore keeps deployed workflows and their kept versions.
type WorkflowStore interface {
	// SaveWorkflow stores a workflow; re-saving bumps its version.
	SaveWorkflow(ctx context.Context, w *Workflow) (version int64, err error)
	Workflow(ctx context.Context, id string) (*StoredWorkflow, error)
	ListWorkflows(ctx context.Context) ([]WorkflowSummary, error)
	// DeleteWorkflow removes a workflow and its versions (its executions
	// stay); ENOTFOUND when there is none.
	DeleteWorkflow(ctx context.Context, id string) error
	// SetWorkflowActive sets the isActive flag of the workflow's current
	// document if it is still at version; ECONFLICT when it moved on.
	SetWorkflowActive(ctx context.Context, id string, version int64, active bool) error
	// RollbackWorkflow makes version's document current again, as a new
	// version; ENOTFOUND when that version does not exist.
	RollbackWorkflow(ctx context.Context, id string, version int64) (newVersion int64, err error)
	// WorkflowVersions lists a workflow's kept versions, newest first;
	// WorkflowVersion reads one (ENOTFOUND when it is not kept).
	WorkflowVersions(ctx context.Context, id string, limit int) ([]StoredWorkflow, error)
	WorkflowVersion(ctx context.Context, id string, version int64) (*StoredWorkflow, error)
	// DeleteWorkflowVersion forgets a kept version: ENOTFOUND when there is
	// none, ECONFLICT for the current one (it is what runs).
	DeleteWorkflowVersion(ctx context.Context, id string, version int64) error
}

// ExecutionStore keeps workflow execution records.
type ExecutionStore interface {
	// SaveExecution writes a finished execution record in one statement.
	SaveExecution(ctx context.Context, e *Execution) error
	// ClaimExecution writes e (status started) unless an execution with
	// its id exists, and reports whether this call wrote it: scheduled runs
	// use a deterministic id per slot, so overlapping ticks run it once.
	ClaimExecution(ctx context.Context, e *Execution) (bool, error)
	Execution(ctx context.Context, id string) (*Execution, error)
	// ListExecutions returns executions newest first: of one workflow, or
	// of all when q.WorkflowID is empty.
	ListExecutions(ctx context.Context, q ExecutionQuery) ([]Execution, error)
	// ExecutionStats counts the kept execution records per workflow.
	ExecutionStats(ctx context.Context, tenant string) ([]ExecutionStat, error)
}

// PageQuery names the page a public request wants: by slug, or the
// tenant's homepage.
type PageQuery struct {
	Tenant   string
	Slug     string
	Homepage bool
}

// PageBundle is what one round trip to the store returns for a page view.
type PageBundle struct {
	Page       *StoredPage // nil when no page has the slug
	NotFound   *StoredPage // the tenant's "404" page, when Page is missing or not public
	Settings   Settings
	Generation int64
}

// NotFoundSlug is the slug of the page shown for unknown paths.
const NotFoundSlug = "404"

// PublishPageInput is a validated page ready to store.
type PublishPageInput struct {
	Page        *Page
	Document    []byte // the page's JSON as stored, unknown fields included
	ContentHash string
	Force       bool
	// CheckVersion: refuse the page (ECONFLICT) when it is not forced and
	// its version is older than the stored page's (POST /api/import).
	CheckVersion bool
}

// PublishResult says what a publish did.
type PublishResult struct {
	Version     int64  // the slug's engine-assigned version after the write
	Generation  int64  // the publish generation after the write
	Unchanged   bool   // same content as stored and not forced: nothing written
	ReplacedID  string // the id of a different page that had this slug, if any
	PublishedAt time.Time
}

// PublishPagesInput is a validated site (or part of one) ready to store:
// pages of Tenant with distinct slugs and ids and at most one homepage.
type PublishPagesInput struct {
	Tenant   string
	Pages    []PublishPageInput
	Settings *Settings // nil: the stored settings are left alone
	// Source says who published, for the site version the write adds
	// ("api", "cli:local", "cli:turso"); default "api".
	Source string
}

// PublishPagesResult says what PublishPages did.
type PublishPagesResult struct {
	Pages           []PublishResult // in input order
	SettingsChanged bool
	Changed         bool      // something was written (and the generation bumped once)
	Generation      int64     // the publish generation after the call
	Settings        *Settings // the tenant's settings after the call
}

// SiteVersion is one kept state of a tenant's site.
type SiteVersion struct {
	Version      int64         `json:"version"`
	Generation   int64         `json:"generation"` // the publish generation the write produced
	Action       string        `json:"action"`     // publish, unpublish, settings, rollback or migrate
	Source       string        `json:"source"`     // who wrote it: api, cli:local, cli:turso ...
	RestoredFrom int64         `json:"restoredFrom,omitempty"`
	CreatedAt    time.Time     `json:"createdAt"`
	Pages        []VersionPage `json:"pages"`
}

// VersionPage is a page as a site version names it.
type VersionPage struct {
	Slug        string `json:"slug"`
	ContentHash string `json:"contentHash"`
	IsHomepage  bool   `json:"isHomepage"`
}

// DefaultKeepVersions is how many site versions a tenant keeps by default.
const DefaultKeepVersions = 20

// RollbackInput names the version to restore.
type RollbackInput struct {
	Tenant  string
	Version int64
	Source  string // who asked, as in PublishPagesInput
}

// RollbackResult says what a rollback did.
type RollbackResult struct {
	Version      int64    // the new version the rollback added
	RestoredFrom int64    // the version it restored
	Generation   int64    // the publish generation after the write
	Restored     []string // slugs written again (changed since that version)
	Removed      []string // slugs unpublished (absent from that version)
	Unchanged    []string // slugs already as they were at that version
	// SettingsChanged: the settings written differ from the stored ones
	// (they are written either way).
	SettingsChanged bool
}

// StoredWorkflow is a workflow as stored, with its engine-assigned version.
// For a kept version, UpdatedAt is when that version was written.
type StoredWorkflow struct {
	Workflow  *Workflow
	Version   int64
	UpdatedAt time.Time
}

// ExecutionStat counts one workflow's kept execution records.
type ExecutionStat struct {
	WorkflowID     string `json:"workflowId"`
	TotalRuns      int64  `json:"totalRuns"`
	SuccessfulRuns int64  `json:"successfulRuns"`
	FailedRuns     int64  `json:"failedRuns"`
}

// SetMaxScript is the Lua script behind Cache.SetMax (KEYS[1] the key,
// ARGV[1] the number), one atomic command so racing publishers can never
// move a number backwards. Every cache adapter, and a publisher that
// announces a generation inside a larger pipeline, runs this one text.
const SetMaxScript = `local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
local n = tonumber(ARGV[1])
if n > cur then redis.call('SET', KEYS[1], ARGV[1]) return n end
return cur`

// Cache is the shared L2 tier: Redis over TCP or Upstash's REST API. It is
// disposable: everything in it can be rebuilt from the Store, so callers
// treat every error as a miss.
type Cache interface {
	// Get reads keys in one round trip; a missing key comes back nil.
	Get(ctx context.Context, keys ...string) ([][]byte, error)
	// Set writes entries in one round trip.
	Set(ctx context.Context, entries ...CacheEntry) error
	// SetMax stores n at key unless the key already holds a larger number,
	// so that racing publishers can never move a generation backwards.
	SetMax(ctx context.Context, key string, n int64) error
	// Incr adds delta to the counter at key and returns the new value, in
	// one atomic step; when ttl > 0 and the increment created the key, the
	// key expires after ttl. Guards (rate limits, cooldowns, concurrency)
	// count with it across instances.
	Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error)
	// Exec runs Redis commands (name first, then string or integer
	// arguments) in one pipelined round trip and returns each reply:
	// int64, string, nil, or []any of those (a hash reply is flattened to
	// field, value, ...). The first command error is returned as EINVALID;
	// an unreachable server as EUNAVAILABLE. The analytics buffer and its
	// flush (core/analytics) use it.
	Exec(ctx context.Context, cmds ...[]any) ([]any, error)
	Ping(ctx context.Context) error
	Close() error
}

// CacheEntry is one key to write; TTL 0 means no expiry.
type CacheEntry struct {
	Key   string
	Value []byte
	TTL   time.Duration
}
