package api

import (
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/analytics"
)

// Analytics configures page-view counting and its report.
type Analytics struct {
	Recorder analytics.Recorder // counts a view; nil: nothing is counted
	Reader   analytics.Reader   // the stored counters; nil leaves GET /api/analytics out
	Tenant   string
	// TrustedProxies may set X-Forwarded-For (FRONTBASE_TRUSTED_PROXIES):
	// behind them a visitor is the address they report, as for rate limits.
	TrustedProxies []netip.Prefix
	// Salts gives the day's random visitor salt, shared by instances;
	// nil: Secret salts every day's hash (tests).
	Salts  *analytics.Salts
	Secret string
	Now    func() time.Time
}

func (h *handler) analyticsRoutes(mux *http.ServeMux) {
	if h.opts.Analytics.Reader != nil {
		mux.Handle("GET /api/analytics", h.managed(h.getAnalytics))
		mux.HandleFunc("GET /_frontbase/analytics", h.dashboard) // dashboard.go
	}
}

func (h *handler) now() time.Time {
	if h.opts.Analytics.Now != nil {
		return h.opts.Analytics.Now()
	}
	return time.Now()
}

// countView counts a served page, within the request (nothing runs after
// the response, so FaaS is safe). It is bounded by the recorder's own short
// timeout and never fails a page.
func (h *handler) countView(r *http.Request) {
	a := &h.opts.Analytics
	a.Recorder.Record(r.Context(), analytics.NewViewSalted(r, a.TrustedProxies, a.Tenant, r.URL.Path, h.now(), func(day string) string {
		if a.Salts == nil {
			return a.Secret
		}
		salt, _ := a.Salts.Salt(r.Context(), day)
		return salt
	}))
}

// getAnalytics answers GET /api/analytics?from=YYYY-MM-DD&to=YYYY-MM-DD&page=/path
// (default: the last 30 days, every page).
func (h *handler) getAnalytics(w http.ResponseWriter, r *http.Request) {
	s, err := h.analyticsSummary(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

// analyticsSummary runs the query of GET /api/analytics and of the
// dashboard: ?from&to (days, default the last 30) and ?page.
func (h *handler) analyticsSummary(r *http.Request) (analytics.Summary, error) {
	q := r.URL.Query()
	today := h.now().UTC()
	to, from := today, today.AddDate(0, 0, -29)
	var err error
	if v := q.Get("to"); v != "" {
		if to, err = time.Parse(time.DateOnly, v); err != nil {
			return analytics.Summary{}, core.Errorf(core.EINVALID, "to: expected a day such as 2026-01-31, got %q", v)
		}
		if q.Get("from") == "" {
			from = to.AddDate(0, 0, -29)
		}
	}
	if v := q.Get("from"); v != "" {
		if from, err = time.Parse(time.DateOnly, v); err != nil {
			return analytics.Summary{}, core.Errorf(core.EINVALID, "from: expected a day such as 2026-01-01, got %q", v)
		}
	}
	if from.After(to) || to.Sub(from) > 366*24*time.Hour {
		return analytics.Summary{}, core.Errorf(core.EINVALID, "from..to must be in order and span at most 366 days")
	}
	page, err := analyticsPage(q.Get("page"))
	if err != nil {
		return analytics.Summary{}, err
	}
	f, t := from.Format(time.DateOnly), to.Format(time.DateOnly)
	rows, err := h.opts.Analytics.Reader.Counts(r.Context(), h.opts.Analytics.Tenant, f, t, page)
	if err != nil {
		return analytics.Summary{}, err
	}
	return analytics.Summarize(rows, f, t, page), nil
}

// analyticsPage normalises ?page to the path views are counted under:
// "about", "/about" and "/about/" are all "/about"; "" is every page.
func analyticsPage(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if strings.Contains(v, "://") || strings.ContainsAny(v, "?#") {
		return "", core.Errorf(core.EINVALID, "page: expected a page path such as /about, got %q", v)
	}
	if !strings.HasPrefix(v, "/") {
		v = "/" + v
	}
	if len(v) > 1 {
		v = strings.TrimRight(v, "/")
		if v == "" {
			v = "/"
		}
	}
	return v, nil
}
