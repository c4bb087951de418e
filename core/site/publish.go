package site

import (
	"context"
	"slices"
	"time"

	"github.com/frontbase/edge/core"
)

// SiteResult says what PublishSite did.
type SiteResult struct {
	Pages           []ImportResult // in the order of the requests
	SettingsChanged bool
	Changed         bool  // anything was written: the generation moved once
	Generation      int64 // the publish generation after the publish
	// CacheKept is how many shared-cache entries of unchanged pages were
	// carried to the new generation (keep.go).
	CacheKept int
}

// PublishSite is the one publish path, used by POST /api/import (one
// page) and by the command line's direct strategies (a whole directory):
// every page is content-hashed, pages and settings equal to the stored
// ones are skipped, and the rest is written in ONE atomic store batch that
// bumps the generation once; then the generation is announced once (L1
// dropped, L2 told through SetMax; L2 keys carry the generation, so
// nothing is deleted there, and the entries of pages left unchanged are
// copied to the new generation first when the settings did not change). Requests must be validated (core.DecodeImport)
// and belong to one tenant. settings may be nil. A page whose rendered
// HTML is over the limit (size.go) refuses the whole publish with
// ETOOLARGE, before anything is written.
func (s *Service) PublishSite(ctx context.Context, reqs []*core.ImportRequest, settings *core.Settings, baseURL string) (*SiteResult, error) {
	return s.PublishSiteAs(ctx, "", reqs, settings, baseURL)
}

// PublishSiteAs is PublishSite recording source, when not empty, instead
// of the service's own in the site version (POST /api/import/site names
// the publisher that called it).
func (s *Service) PublishSiteAs(ctx context.Context, source string, reqs []*core.ImportRequest, settings *core.Settings, baseURL string) (*SiteResult, error) {
	if source == "" {
		source = s.source
	}
	tenant := s.tenant
	in := core.PublishPagesInput{Settings: settings, Pages: make([]core.PublishPageInput, len(reqs))}
	for i, req := range reqs {
		if req == nil || req.Page == nil {
			return nil, core.Errorf(core.EINVALID, "page %d is missing", i)
		}
		if i == 0 {
			tenant = req.Page.Tenant()
		}
		hash, err := contentHash(req.Document)
		if err != nil {
			return nil, err
		}
		in.Pages[i] = core.PublishPageInput{Page: req.Page, Document: req.Document, ContentHash: hash, Force: req.Force, CheckVersion: req.CheckVersion}
	}
	in.Tenant, in.Source = tenant, source
	if err := s.checkSizes(ctx, tenant, reqs, settings, baseURL, false); err != nil {
		return nil, err
	}
	res, err := s.store.PublishPages(ctx, in)
	if err != nil {
		return nil, err
	}
	kept := 0
	if res.Changed {
		kept = s.published(ctx, res.Generation, keptPlan(tenant, reqs, res))
	}
	out := &SiteResult{Pages: make([]ImportResult, len(reqs)), SettingsChanged: res.SettingsChanged, Changed: res.Changed, Generation: res.Generation, CacheKept: kept}
	live := time.Now().Add(s.ttl).UTC().Truncate(time.Second)
	for i, req := range reqs {
		r := res.Pages[i]
		path := core.SlugPath(req.Page.Slug)
		if req.Page.IsHomepage {
			path = "/"
		}
		out.Pages[i] = ImportResult{
			Slug: req.Page.Slug, Version: r.Version, Generation: res.Generation, Unchanged: r.Unchanged,
			ReplacedID: r.ReplacedID, PreviewURL: siteBase(res.Settings, baseURL) + path, LiveEverywhereBy: live,
		}
	}
	return out, nil
}

// Versions lists the kept site versions of the service's tenant, newest
// first.
func (s *Service) Versions(ctx context.Context) ([]core.SiteVersion, error) {
	return s.store.Versions(ctx, s.tenant)
}

// Rollback restores a kept site version of the service's tenant in one
// store batch, which adds a new version, and announces the new
// generation exactly as a publish does.
func (s *Service) Rollback(ctx context.Context, version int64) (*core.RollbackResult, error) {
	res, err := s.store.Rollback(ctx, core.RollbackInput{Tenant: s.tenant, Version: version, Source: s.source})
	if err != nil {
		return nil, err
	}
	// Every page the rollback changed is named (restored or removed), so
	// the others are as they were, unless the settings changed.
	var plan *keepPlan
	if !res.SettingsChanged {
		plan = &keepPlan{tenant: s.tenant, others: true, changed: map[string]bool{}}
		for _, slug := range slices.Concat(res.Restored, res.Removed) {
			plan.changed[slug] = true
			if slug == core.NotFoundSlug {
				plan.others = false
			}
		}
	}
	s.published(ctx, res.Generation, plan)
	return res, nil
}
