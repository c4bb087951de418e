package site

import (
	"context"
	"fmt"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/render"
)

// DefaultMaxPageBytes is the most rendered HTML a page may have when
// Options.MaxPageBytes is not set: under the smallest response limit of
// the platforms the engine runs on (Vercel 4.5 MB, Lambda 6 MB, API
// Gateway 10 MB) even when the response is sent uncompressed.
const DefaultMaxPageBytes = 4 << 20

// MaxPageEnv names the setting of the limit in the errors that cite it.
const MaxPageEnv = "FRONTBASE_MAX_PAGE_BYTES"

// checkSizes renders every page of a publish as a visitor without cookies
// would first see it (pages with per-request data have a static rendering
// too) and refuses the publish, naming each page by its index (pages[2]),
// when one renders to more HTML than the limit: such a page would publish
// but its every response would be over a platform's limit, a 502. A page
// the renderer fails on is left to the serving path, as before.
//
// Pages render with the settings of the publish; when it has none, the
// stored settings are read only for pages that come within
// settingsMargin of the limit without them, so that the usual publish of
// small pages costs no store read more.
func (s *Service) checkSizes(ctx context.Context, tenant string, reqs []*core.ImportRequest, settings *core.Settings, baseURL string, preview bool) error {
	size := func(req *core.ImportRequest, settings *core.Settings) (int64, bool) {
		path := core.SlugPath(req.Page.Slug)
		if req.Page.IsHomepage {
			path = "/"
		}
		res, err := s.renderSafely(ctx, render.Input{Page: req.Page, Settings: settings, Path: path, BaseURL: siteBase(settings, baseURL), Preview: preview})
		if err != nil {
			s.log.WarnContext(ctx, "a published page cannot be rendered; its size is not checked", "slug", req.Page.Slug, "err", err)
			return 0, false
		}
		return int64(len(res.HTML)), true
	}
	var details []core.FieldError
	stored, read := settings, settings != nil
	for i, req := range reqs {
		n, ok := size(req, stored)
		if ok && !read && n > s.maxPage-settingsMargin(s.maxPage) {
			got, err := s.store.Settings(ctx, tenant)
			if err != nil {
				return err
			}
			stored, read = got, true
			n, ok = size(req, stored)
		}
		if ok && n > s.maxPage {
			details = append(details, core.FieldError{Path: fmt.Sprintf("pages[%d]", i),
				Message: fmt.Sprintf("rendered HTML is %s, over the %s limit (%s): split the page or move large data out of it", sizeOf(n), sizeOf(s.maxPage), MaxPageEnv)})
		}
	}
	if len(details) == 0 {
		return nil
	}
	msg := "page too large: " + details[0].String()
	if n := len(details) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return &core.Error{Code: core.ETOOLARGE, Message: msg, Details: details}
}

// settingsMargin is more than a site's settings can add to a page (their
// custom head HTML is at most core.MaxCustomHeadHTML; the rest is a few
// tags): a page this far under the limit without them is under it with
// them.
func settingsMargin(limit int64) int64 {
	return max(limit/4, 4*core.MaxCustomHeadHTML)
}

// sizeOf writes a byte count for people: whole units when exact, else one
// decimal (binary units, as FRONTBASE_MAX_PAGE_BYTES takes them).
func sizeOf(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB (%d bytes)", float64(n)/(1<<20), n)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB (%d bytes)", float64(n)/(1<<10), n)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
