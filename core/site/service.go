// Package site holds the rules of serving and publishing a tenant's pages:
// routing a public path to a page, the L1 tier in front of the state store,
// and the publish flow that keeps the two consistent.
package site

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/cache"
	"github.com/frontbase/edge/core/render"
)

// Options configure a Service.
type Options struct {
	Tenant     string        // the tenant the public routes serve
	L1TTL      time.Duration // freshness of L1 entries and of the generation
	L1MaxBytes int64
	Cache      core.Cache    // the shared L2; nil for none
	L2TTL      time.Duration // of a generation's L2 entries; default 24h
	// CacheWait is the least a request waits for an L2 call before going
	// on without it (see l2.wait); default 25ms.
	CacheWait time.Duration
	Logger    *slog.Logger
	// Source names who publishes through this service in the site
	// versions it writes: "api" (the default) or the CLI's "cli:local".
	Source string
	// Headers are the engine-wide security headers of pages (policy.go).
	Headers HeaderDefaults
	// MaxPageBytes is the most rendered HTML a published or previewed page
	// may have (size.go); 0: DefaultMaxPageBytes.
	MaxPageBytes int64
}

// Store is the part of the state database the site rules use: reading
// pages, publishing them and the site's kept versions.
type Store interface {
	core.PageReader
	core.Publisher
	core.SiteHistory
}

// Service serves and publishes one engine's pages.
type Service struct {
	store  Store
	render func(render.Input) (render.Result, error) // the renderer's RenderPage; tests replace it
	l1     *cache.L1[*Response]
	newest *newestCopies // the newest copy this process made of each path (stale.go)
	l2     *l2           // nil without a shared cache
	health storeHealth
	tenant string
	source string
	ttl    time.Duration
	log    *slog.Logger
	// maxPage bounds the rendered HTML of a page at publish (size.go).
	maxPage int64

	// The publish generation this instance serves, re-read from the store at
	// most once per TTL so that a publish made by another process reaches us
	// without a store read per request.
	generation  atomic.Int64
	checkedAt   atomic.Int64 // unix nanos of the last generation read
	checks      atomic.Int64 // generation reads so far
	checkingGen sync.Mutex

	// The base URLs this process recorded in the shared cache (keep.go).
	bases baseRecorder
	// The paths of private pages, per generation (private.go).
	private privateSlugs

	// The IP blocklist and security headers of the current generation
	// (policy.go).
	policy  policyCache
	headers HeaderDefaults

	// Preview drafts kept in process when there is no shared cache
	// (preview.go).
	draftsOnce sync.Once
	drafts     *drafts
}

// New makes a Service over store.
func New(store Store, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Tenant == "" {
		opts.Tenant = core.DefaultTenant
	}
	if opts.Source == "" {
		opts.Source = "api"
	}
	if opts.MaxPageBytes <= 0 {
		opts.MaxPageBytes = DefaultMaxPageBytes
	}
	return &Service{
		store:   store,
		render:  render.New(opts.Logger).RenderPage,
		l1:      cache.NewL1[*Response](opts.L1MaxBytes, opts.L1TTL),
		newest:  newNewestCopies(opts.L1MaxBytes),
		l2:      newL2(opts.Cache, opts.L2TTL, opts.CacheWait, opts.Logger),
		tenant:  opts.Tenant,
		source:  opts.Source,
		ttl:     opts.L1TTL,
		log:     opts.Logger,
		headers: opts.Headers,
		maxPage: opts.MaxPageBytes,
	}
}

// Close stops the L1 cache's clean-up goroutine (see cache.L1.Close); the
// Service still serves after it.
func (s *Service) Close() { s.l1.Close() }

// CacheStats reports the L1 tier for the health endpoint.
func (s *Service) CacheStats() cache.Stats { return s.l1.Stats() }

// currentGeneration returns the generation to key cache entries with. Only
// one request per TTL window pays for a read; the others (and every request
// while nothing can be read) use the last known value. The read goes to the
// shared cache, where publishers announce generations, and to the state
// store when the cache cannot answer, and also every few windows in case a
// publisher died between writing the store and announcing.
func (s *Service) currentGeneration(ctx context.Context) int64 {
	if time.Now().UnixNano()-s.checkedAt.Load() < int64(s.ttl) || !s.checkingGen.TryLock() {
		return s.generation.Load()
	}
	defer s.checkingGen.Unlock()
	n := s.checks.Add(1)
	var g int64
	found := false
	if s.l2 != nil {
		g, found = s.l2.generation(ctx)
	}
	if !found || n%dbCheckEveryNth == 0 {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		fromStore, err := s.store.Generation(ctx)
		s.health.observe(err)
		switch {
		case err == nil:
			g, found = max(g, fromStore), true
			if s.l2 != nil {
				s.l2.repair(ctx, g) // a flushed or lagging key
			}
		case !found:
			// Try again next window, not on the next request: a store that
			// hangs must not cost every request its timeout.
			s.checkedAt.Store(time.Now().UnixNano())
			s.log.WarnContext(ctx, "generation check failed; serving the last known generation", "err", err)
			return s.generation.Load()
		}
	}
	s.generation.Store(g)
	s.checkedAt.Store(time.Now().UnixNano())
	return g
}

// published records a write made through this instance: its own L1 must
// change at once, and every other instance learns the generation from the
// shared cache within its TTL (or from the store, if the cache is down).
// L2 needs no invalidation: its keys carry the generation. plan, when not
// nil, says which pages the write left as they were: their L2 entries of
// the previous generation are copied to the new one before the
// announcement (keep.go). It returns how many entries were copied.
func (s *Service) published(ctx context.Context, generation int64, plan *keepPlan) int {
	s.generation.Store(generation)
	s.checkedAt.Store(time.Now().UnixNano())
	s.l1.InvalidateAll()
	if s.l2 == nil {
		return 0
	}
	if plan != nil && (len(plan.paths) > 0 || plan.others) {
		n, err := s.keep(ctx, generation-1, generation, plan)
		if err == nil {
			s.log.DebugContext(ctx, "kept the shared-cache entries of unchanged pages", "entries", n, "generation", generation)
			return n
		}
		s.log.WarnContext(ctx, "could not keep the shared-cache entries of unchanged pages; they will be rendered again", "err", err)
	}
	if err := s.l2.announce(ctx, generation); err != nil {
		s.log.WarnContext(ctx, "could not announce the new generation in the shared cache; instances will read it from the state store", "err", err)
	}
	return 0
}

// Serve answers a public GET for path. baseURL ("https://host") is used
// for absolute URLs when the settings name no appUrl.
func (s *Service) Serve(ctx context.Context, baseURL, path string) (*Response, cache.Tier, error) {
	if len(path) > 1 && strings.HasSuffix(path, "/") {
		return redirect(http.StatusPermanentRedirect, (&url.URL{Path: strings.TrimRight(path, "/")}).EscapedPath(), 24*time.Hour), cache.TierL1Hit, nil
	}
	gen := s.currentGeneration(ctx)
	// The UTC day is in the key because pages may show system.date/year
	// (request.go): a day's first request renders afresh.
	key := cacheKey(gen, utcDay(), s.tenant, baseURL, path)
	resp, tier, err := s.l1.Get(ctx, key, func(ctx context.Context) (*Response, error) {
		return s.loadThroughTiers(ctx, key, baseURL, path)
	})
	resp, tier, err = s.forRequest(ctx, key, resp, tier, err) // request.go
	switch {
	case err != nil:
	case resp.Source == cache.TierStale:
		tier = cache.TierStale
	case tier == cache.TierMiss:
		tier = resp.Source
	case tier == cache.TierL1Stale && s.health.down.Load():
		tier = cache.TierStale // past freshness, and the store cannot refresh it
	}
	return resp, tier, err
}

// loadFromStore renders path from the state store (L3).
func (s *Service) loadFromStore(ctx context.Context, baseURL, path string) (resp *Response, err error) {
	defer func() {
		if errors.Is(err, errRenderPanicked) {
			s.health.observe(nil) // the store answered; the renderer failed
			return
		}
		s.health.observe(err)
	}()
	switch path {
	case "/sitemap.xml":
		return s.sitemap(ctx, baseURL)
	case "/robots.txt":
		return s.robots(ctx, baseURL)
	case "/llms.txt":
		return s.llmsTxt(ctx, baseURL)
	}
	q := core.PageQuery{Tenant: s.tenant, Homepage: path == "/"}
	if !q.Homepage {
		q.Slug = strings.TrimPrefix(path, "/")
		if core.ValidSlug(q.Slug) != "" {
			// No page can have this slug; don't ask the store.
			return s.notFound(ctx, nil, baseURL, path)
		}
	}
	b, err := s.store.LoadPage(ctx, q)
	if err != nil {
		return nil, err
	}
	if b.Page == nil || !b.Page.Page.Public() {
		return s.notFound(ctx, b, baseURL, path)
	}
	if !q.Homepage && b.Page.Page.IsHomepage {
		return redirect(http.StatusMovedPermanently, "/", time.Hour), nil
	}
	return s.renderPage(ctx, render.Input{Page: b.Page.Page, Settings: &b.Settings, Path: path, BaseURL: siteBase(&b.Settings, baseURL)}, http.StatusOK, cachePolicy(s.ttl))
}

// notFound renders the tenant's published "404" page when there is a public
// one, and a plain page otherwise. b may be nil when the store was not asked.
func (s *Service) notFound(ctx context.Context, b *core.PageBundle, baseURL, path string) (*Response, error) {
	policy := cachePolicy(min(s.ttl, 10*time.Second))
	if b != nil && b.NotFound != nil && b.NotFound.Page.Public() {
		return s.renderPage(ctx, render.Input{Page: b.NotFound.Page, Settings: &b.Settings, Path: path, BaseURL: siteBase(&b.Settings, baseURL)}, http.StatusNotFound, policy)
	}
	return newBodyResponse(http.StatusNotFound, htmlType, policy, []byte(defaultNotFoundHTML)), nil
}

// siteBase prefers the configured public URL of the site over the host
// the request happened to use.
func siteBase(settings *core.Settings, requestBase string) string {
	if settings != nil && settings.AppURL != "" {
		return settings.AppURL
	}
	return requestBase
}

const defaultNotFoundHTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Page not found</title><style>body{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:100vh;margin:0;color:#0f172a}main{text-align:center}a{color:#4f46e5}</style></head><body><main><h1>Page not found</h1><p>There is no page at this address.</p><p><a href="/">Go to the home page</a></p></main></body></html>`

// UnavailableHTML is shown when a page is in no tier and the store is down.
const UnavailableHTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Temporarily unavailable</title></head><body><h1>Temporarily unavailable</h1><p>Please try again in a moment.</p></body></html>`

// ImportResult is what a publish reports back to the control plane.
type ImportResult struct {
	Slug       string
	Version    int64
	Generation int64
	Unchanged  bool
	ReplacedID string
	PreviewURL string
	// LiveEverywhereBy is when every warm instance serves the change at
	// the latest: each re-reads the generation once per L1 TTL.
	LiveEverywhereBy time.Time
}

// Import publishes one validated page: PublishSite with one page.
func (s *Service) Import(ctx context.Context, req *core.ImportRequest, baseURL string) (*ImportResult, error) {
	checked := *req
	checked.CheckVersion = true
	res, err := s.PublishSite(ctx, []*core.ImportRequest{&checked}, nil, baseURL)
	if err != nil {
		return nil, err
	}
	return &res.Pages[0], nil
}

// contentHash identifies what visitors would see of a page document. It
// leaves out what changes on every publish without changing the page
// (version, publishedAt), so a republish of the same design is recognised
// as unchanged.
func contentHash(doc []byte) (string, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		return "", &core.Error{Code: core.EINVALID, Message: "page is not a JSON object", Err: err}
	}
	delete(top, "version")
	delete(top, "publishedAt")
	delete(top, "contentHash")
	canonical, err := json.Marshal(top) // map keys come out sorted
	if err != nil {
		return "", &core.Error{Code: core.EINTERNAL, Message: "page cannot be hashed", Err: err}
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:]), nil
}

// DeletePage unpublishes a page of the service's tenant. Unpublishing a
// page that is not published succeeds (found false), as the TypeScript
// engine answers it: the control plane unpublishes from every target, and
// a page may never have reached this one.
func (s *Service) DeletePage(ctx context.Context, slug string) (found bool, err error) {
	if msg := core.ValidSlug(slug); msg != "" {
		return false, &core.Error{Code: core.EINVALID, Message: "slug: " + msg, Details: []core.FieldError{{Path: "slug", Message: msg}}}
	}
	gen, err := s.store.DeletePage(ctx, s.tenant, slug)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// Every other page is as it was, unless the not-found page went.
	s.published(ctx, gen, &keepPlan{tenant: s.tenant, others: slug != core.NotFoundSlug, changed: map[string]bool{slug: true}})
	return true, nil
}

// Page returns a stored page for management, public or not.
func (s *Service) Page(ctx context.Context, slug string) (*core.StoredPage, error) {
	if msg := core.ValidSlug(slug); msg != "" {
		return nil, core.Errorf(core.ENOTFOUND, "no page with slug %q", slug)
	}
	return s.store.Page(ctx, s.tenant, slug)
}

// Pages lists the tenant's pages for management.
func (s *Service) Pages(ctx context.Context) ([]core.PageSummary, error) {
	return s.store.ListPages(ctx, s.tenant)
}

// Settings returns the tenant's project settings.
func (s *Service) Settings(ctx context.Context) (*core.Settings, error) {
	return s.store.Settings(ctx, s.tenant)
}

// SaveSettings applies a settings push to the tenant's project settings:
// the members it names change, the others stay (core.SettingsPatch). It
// returns the settings after the push.
func (s *Service) SaveSettings(ctx context.Context, patch *core.SettingsPatch) (*core.Settings, error) {
	gen, settings, err := s.store.MergeSettings(ctx, s.tenant, patch)
	if err != nil {
		return nil, err
	}
	s.published(ctx, gen, nil) // every page shows the settings
	return settings, nil
}
