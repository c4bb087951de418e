package api

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/core/analytics"
	"github.com/frontbase/edge/core/site"
)

// rowsReader answers every query with fixed rows, filtered by day and page
// as the store would.
type rowsReader []analytics.Row

func (rr rowsReader) Counts(_ context.Context, _, from, to, slug string) ([]analytics.Row, error) {
	var out []analytics.Row
	for _, r := range rr {
		if r.Day >= from && r.Day <= to && (slug == "" || r.Slug == slug) {
			out = append(out, r)
		}
	}
	return out, nil
}

const (
	hostileSlug = `/"><script>alert(1)</script>`
	hostileRef  = `evil.example"><img src=x onerror=alert(2)>`
)

var dashboardRows = rowsReader{
	{Day: "2026-11-20", Slug: "/", Kind: analytics.KindViews, N: 40},
	{Day: "2026-11-20", Slug: "/", Kind: analytics.KindUniques, N: 12},
	{Day: "2026-11-21", Slug: "/pricing", Kind: analytics.KindViews, N: 25},
	{Day: "2026-11-21", Slug: hostileSlug, Kind: analytics.KindViews, N: 7},
	{Day: "2026-11-21", Slug: "/", Kind: analytics.KindReferrer, Value: hostileRef, N: 5},
	{Day: "2026-11-21", Slug: "/", Kind: analytics.KindDevice, Value: "mobile", N: 30},
	{Day: "2026-11-21", Slug: "/", Kind: analytics.KindCountry, Value: "DE", N: 9},
	{Day: "2026-11-22", Slug: "/", Kind: analytics.KindBots, N: 3},
}

func dashboardHandler(key string) http.Handler {
	now := func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }
	return New(site.New(&settingsStore{}, site.Options{}), Options{SystemKey: key, Analytics: Analytics{Reader: dashboardRows, Now: now}})
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestDashboardAuth(t *testing.T) {
	tests := []struct {
		name string
		key  string
		hdr  map[string]string
		want int
	}{
		{"nothing", testKey, nil, http.StatusUnauthorized},
		{"basic, key as password", testKey, map[string]string{"Authorization": basic("admin", testKey)}, http.StatusOK},
		{"basic, any user", testKey, map[string]string{"Authorization": basic("", testKey)}, http.StatusOK},
		{"basic, wrong password", testKey, map[string]string{"Authorization": basic("admin", testKey+"x")}, http.StatusUnauthorized},
		{"basic, key as user", testKey, map[string]string{"Authorization": basic(testKey, "")}, http.StatusUnauthorized},
		{"bearer", testKey, map[string]string{"Authorization": "Bearer " + testKey}, http.StatusOK},
		{"x-system-key", testKey, map[string]string{"X-System-Key": testKey}, http.StatusOK},
		{"wrong bearer", testKey, map[string]string{"Authorization": "Bearer nope"}, http.StatusUnauthorized},
		{"no key configured", "", map[string]string{"Authorization": basic("admin", "")}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		rec := do(dashboardHandler(tt.key), "GET", "/_frontbase/analytics", "", tt.hdr)
		if rec.Code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, rec.Code, tt.want)
		}
		if tt.want == http.StatusUnauthorized {
			if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, `Basic realm="frontbase"`) {
				t.Errorf("%s: WWW-Authenticate %q", tt.name, got)
			}
			if strings.Contains(rec.Body.String(), "Top pages") {
				t.Errorf("%s: the 401 shows data", tt.name)
			}
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", tt.name, rec.Header().Get("Cache-Control"))
		}
	}
}

var svgRE = regexp.MustCompile(`(?s)<svg .*?</svg>`)

func TestDashboardRendersChartsAndEscapesLabels(t *testing.T) {
	h := dashboardHandler(testKey)
	rec := do(h, "GET", "/_frontbase/analytics?from=2026-11-20&to=2026-11-22", "", map[string]string{"Authorization": basic("me", testKey)})
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s", rec.Code, rec.Header())
	}
	for _, bad := range []string{"<script", "<img", "onerror=alert"} {
		if strings.Contains(strings.ToLower(body), bad) && !strings.Contains(body, "&lt;") {
			t.Errorf("raw %q in the page", bad)
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "<img src") {
		t.Error("a hostile label is in the page unescaped")
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(body, "&lt;img src=x onerror=alert(2)&gt;") {
		t.Error("the hostile labels are not shown escaped")
	}
	// The page link of the hostile slug is a relative, encoded query.
	if !strings.Contains(body, `href="?from=2026-11-20&amp;page=%2F%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E&amp;to=2026-11-22"`) {
		t.Error("the hostile page's link is not an encoded query")
	}
	svgs := svgRE.FindAllString(body, -1)
	if len(svgs) != 5 { // daily + 4 lists
		t.Fatalf("%d charts, want 5", len(svgs))
	}
	for i, svg := range svgs {
		// Every chart is well-formed XML: escaping held inside SVG.
		dec := xml.NewDecoder(strings.NewReader(svg))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("chart %d is not well-formed: %v\n%s", i, err, svg)
			}
		}
	}
	if n := strings.Count(svgs[0], `<rect class="bar"`); n != 3 {
		t.Errorf("daily chart has %d bars, want one per day (3)", n)
	}
	for _, want := range []string{`id="total-views">72<`, `id="total-uniques">12<`, `id="total-bots">3<`, "2026-11-20: 40 views, 12 unique visitors", "mobile", "DE"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}

	// One page, and a bad range: still the page, with a 400 and the error.
	rec = do(h, "GET", "/_frontbase/analytics?from=2026-11-20&to=2026-11-22&page=%2Fpricing", "", keyHdr)
	if !strings.Contains(rec.Body.String(), `id="total-views">25<`) {
		t.Error("the page filter is not applied")
	}
	rec = do(h, "GET", "/_frontbase/analytics?from=%3Cb%3E", "", keyHdr)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `role="alert"`) || !strings.Contains(rec.Body.String(), `got &#34;&lt;b&gt;&#34;`) || strings.Contains(rec.Body.String(), `"<b>"`) {
		t.Errorf("bad from: %d", rec.Code)
	}
}

// TestDashboardAxisInWholeViews: the daily chart's axis labels are whole
// numbers of views, whatever the busiest day.
func TestDashboardAxisInWholeViews(t *testing.T) {
	for _, most := range []int64{0, 1, 2, 3, 7, 10, 13, 40, 99, 150, 999, 12345} {
		top := niceCeil(max(most, 1))
		div := axisDivisions(top)
		if top%div != 0 || div < 1 || div > 5 && div != top {
			t.Errorf("busiest day %d: axis to %d in %d steps", most, top, div)
		}
	}
	h := dashboardHandler(testKey)
	rec := do(h, "GET", "/_frontbase/analytics?from=2026-11-20&to=2026-11-22", "", map[string]string{"Authorization": basic("me", testKey)})
	body := rec.Body.String()
	labels := regexp.MustCompile(`text-anchor="end" dominant-baseline="middle">([^<]*)<`).FindAllStringSubmatch(body, -1)
	if len(labels) < 2 {
		t.Fatalf("axis labels: %v", labels)
	}
	for _, l := range labels {
		if _, err := strconv.Atoi(l[1]); err != nil {
			t.Errorf("axis label %q is not a whole number", l[1])
		}
	}
	if !strings.Contains(body, `id="flush-note"`) {
		t.Error("no line saying views appear after the next flush")
	}
}
