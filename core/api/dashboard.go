package api

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/analytics"
)

// The analytics dashboard: GET /_frontbase/analytics?from&to&page, one
// server-rendered HTML page with inline SVG charts of the same summary
// GET /api/analytics answers. No script: the charts are drawn here, the
// filters are a plain GET form. Every label (page paths, referrer hosts)
// comes from visitors, so everything goes through html/template.
//
// It takes the system key like the API (x-system-key, Bearer) and, so that
// a browser can open it, HTTP Basic with the key as the password (any
// user name).

//go:embed dashboard.html
var dashboardFS embed.FS

// dashboardTmpl is parsed on the first dashboard request, not at package
// init: a function's cold start (Lambda) rarely serves it.
var dashboardTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("dashboard.html").ParseFS(dashboardFS, "dashboard.html"))
})

// dashboardAuthorized accepts the API's headers or Basic auth whose
// password is the system key, compared in constant time.
func (h *handler) dashboardAuthorized(r *http.Request) bool {
	if h.opts.SystemKey == "" {
		return false
	}
	if _, pass, ok := r.BasicAuth(); ok {
		return h.isSystemKey(pass)
	}
	return h.authorize(r) == nil
}

func (h *handler) dashboard(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Robots-Tag", "noindex")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	if !h.dashboardAuthorized(r) {
		hdr.Set("WWW-Authenticate", `Basic realm="frontbase", charset="UTF-8"`)
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		msg := "Sign in with the engine's system key as the password (any user name)."
		if h.opts.SystemKey == "" {
			msg = "The dashboard is closed: set FRONTBASE_SYSTEM_KEY on the engine."
		}
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body><h1>Analytics</h1><p>%s</p></body></html>`, msg)
		return
	}
	s, err := h.analyticsSummary(r)
	view := newDashboardView(s, r)
	status := http.StatusOK
	if err != nil {
		status = statusOf(core.ErrorCode(err))
		if status >= 500 {
			logger(r).ErrorContext(r.Context(), "analytics dashboard failed", "err", err)
		}
		view.Error = core.ErrorMessage(err)
	}
	var buf bytes.Buffer
	if err := dashboardTmpl().Execute(&buf, view); err != nil {
		logger(r).ErrorContext(r.Context(), "analytics dashboard template failed", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH = 760, 220
	padL, padR     = 48, 12
	padT, padB     = 12, 28
	rowH, barMaxW  = 34, 440.0 // the lists' rows: a label line, then a bar
)

type dashboardView struct {
	analytics.Summary
	Error       string
	From, To    string // the form's values, as given
	Page        string
	W, H        int
	Bars        []dayBar
	UniquesLine string // SVG points
	YTicks      []tick
	XLabels     []tick
	Lists       []list
	HasData     bool
	PlotBottom  int
	PlotLeft    int
	PlotRight   int
	MaxDayViews int64
}

type dayBar struct {
	X, Y, W, H float64
	Day        string
	Views      int64
	Uniques    int64
	Bots       int64
}

type tick struct {
	X, Y  float64
	Label string
}

type list struct {
	Title, ID string
	Items     []item
	Height    int
}

type item struct {
	Key, Short string // Short: at most 40 characters, for the chart
	Count      int64
	Y, BarY    int
	BarW       float64
	Href       string // pages: the dashboard of that page alone
}

func newDashboardView(s analytics.Summary, r *http.Request) dashboardView {
	q := r.URL.Query()
	v := dashboardView{Summary: s, From: q.Get("from"), To: q.Get("to"), Page: q.Get("page"), W: chartW, H: chartH,
		PlotBottom: chartH - padB, PlotLeft: padL, PlotRight: chartW - padR}
	if v.From == "" {
		v.From = s.From
	}
	if v.To == "" {
		v.To = s.To
	}
	var top int64 = 1
	for _, d := range s.Days {
		top = max(top, d.Views, d.Uniques)
	}
	top = niceCeil(top)
	v.MaxDayViews = top
	n := len(s.Days)
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	var points []string
	if n > 0 {
		slot := plotW / float64(n)
		barW := max(slot*0.7, 1)
		labelEvery := max(1, (n+7)/8)
		for i, d := range s.Days {
			x := padL + float64(i)*slot
			h := plotH * float64(d.Views) / float64(top)
			v.Bars = append(v.Bars, dayBar{X: x + (slot-barW)/2, Y: padT + plotH - h, W: barW, H: h, Day: d.Day, Views: d.Views, Uniques: d.Uniques, Bots: d.Bots})
			points = append(points, fmt.Sprintf("%.1f,%.1f", x+slot/2, padT+plotH-plotH*float64(d.Uniques)/float64(top)))
			if i%labelEvery == 0 {
				v.XLabels = append(v.XLabels, tick{X: x + slot/2, Y: chartH - 8, Label: d.Day[min(5, len(d.Day)):]}) // MM-DD
			}
			if d.Views > 0 {
				v.HasData = true
			}
		}
	}
	v.UniquesLine = strings.Join(points, " ")
	div := axisDivisions(top)
	for i := int64(0); i <= div; i++ {
		v.YTicks = append(v.YTicks, tick{X: padL - 6, Y: padT + plotH - plotH*float64(i)/float64(div), Label: strconv.FormatInt(top/div*i, 10)})
	}
	lists := []struct {
		title, id string
		items     []analytics.KeyCount
		linked    bool
	}{
		{"Top pages", "pages", s.TopPages, true},
		{"Top referrers", "referrers", s.TopReferrers, false},
		{"Devices", "devices", s.Devices, false},
		{"Countries", "countries", s.Countries, false},
	}
	for _, l := range lists {
		var most int64 = 1
		for _, it := range l.items {
			most = max(most, it.Count)
		}
		out := list{Title: l.title, ID: l.id, Height: max(1, len(l.items)) * rowH}
		for i, it := range l.items {
			short := []rune(it.Key)
			if len(short) > 40 {
				short = append(short[:39], '…')
			}
			e := item{Key: it.Key, Short: string(short), Count: it.Count, Y: i * rowH, BarY: i*rowH + 19, BarW: barMaxW * float64(it.Count) / float64(most)}
			if l.linked {
				e.Href = "?" + url.Values{"page": {it.Key}, "from": {s.From}, "to": {s.To}}.Encode()
			}
			out.Items = append(out.Items, e)
		}
		v.Lists = append(v.Lists, out)
	}
	return v
}

// axisDivisions splits an axis from 0 to top (a niceCeil value) into
// steps of whole views: 4 or 5 of them where top allows (0, 2, 4, ... 10),
// else one per view.
func axisDivisions(top int64) int64 {
	for _, d := range []int64{4, 5} {
		if top >= d && top%d == 0 {
			return d
		}
	}
	return max(top, 1)
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten, so the axis
// reads well.
func niceCeil(n int64) int64 {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= n {
				return m * p
			}
		}
	}
}
