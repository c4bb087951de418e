package analytics

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestNewView(t *testing.T) {
	day := time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC)
	tests := []struct {
		name    string
		ua      string
		headers map[string]string
		want    View // Visitor is checked apart
	}{
		{"desktop with a referrer and CloudFront's country", "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
			map[string]string{"Referer": "https://News.Example:8443/a?b", "CloudFront-Viewer-Country": "de"},
			View{Device: "desktop", Referrer: "news.example", Country: "DE"}},
		{"phone, Vercel's country, own site as referrer", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148",
			map[string]string{"Referer": "https://site.test/other", "X-Vercel-IP-Country": "JP"},
			View{Device: "mobile", Country: "JP"}},
		{"android tablet, App Engine's country", "Mozilla/5.0 (Linux; Android 14; SM-X710) Safari/537.36",
			map[string]string{"X-Appengine-Country": "BR"}, View{Device: "tablet", Country: "BR"}},
		{"Cloudflare's unknown country is none", "Mozilla/5.0 (Macintosh) Safari/605",
			map[string]string{"CF-IPCountry": "XX", "Referer": "not a url"}, View{Device: "desktop"}},
		{"bots are only counted as bots", "Mozilla/5.0 (compatible; Googlebot/2.1)",
			map[string]string{"Referer": "https://x.example/", "CF-IPCountry": "US"}, View{Bot: true}},
		{"no user agent is a bot", "", nil, View{Bot: true}},
		{"curl is a bot", "curl/8.5.0", nil, View{Bot: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://site.test/p", nil)
			r.RemoteAddr = "203.0.113.9:1234"
			r.Header.Set("User-Agent", tt.ua)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			v := NewView(r, "t", "/p", day, "secret")
			if (v.Visitor == "") != tt.want.Bot || strings.Contains(v.Visitor, "203.0.113") {
				t.Errorf("visitor %q for bot=%v", v.Visitor, tt.want.Bot)
			}
			v.Visitor = ""
			tt.want.Tenant, tt.want.Slug, tt.want.Day = "t", "/p", "2026-03-01"
			if v != tt.want {
				t.Errorf("got %+v\nwant %+v", v, tt.want)
			}
		})
	}
}

func TestVisitorHashRotatesDaily(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "198.51.100.7:1"
	r.Header.Set("User-Agent", "Mozilla/5.0 Firefox")
	d1 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	a, b := NewView(r, "t", "/", d1, "s"), NewView(r, "t", "/", d1.Add(time.Hour), "s")
	c, d := NewView(r, "t", "/", d1.Add(24*time.Hour), "s"), NewView(r, "t", "/", d1, "other")
	if a.Visitor != b.Visitor || a.Visitor == c.Visitor || a.Visitor == d.Visitor {
		t.Fatalf("same day %q %q, next day %q, other secret %q", a.Visitor, b.Visitor, c.Visitor, d.Visitor)
	}
	if e := NewView(r, "t", "/", d1, ""); e.Visitor != "" || e.Device == "" {
		t.Errorf("without a salt the view has visitor %q (want none) and device %q", e.Visitor, e.Device)
	}
}

func TestMemoryDrainAndRestore(t *testing.T) {
	m := NewMemory()
	ctx := context.Background()
	v := View{Tenant: "t", Slug: "/", Day: "2026-03-01", Visitor: "a", Device: "desktop"}
	m.Record(ctx, v)
	m.Record(ctx, v)
	v.Visitor = "b"
	m.Record(ctx, v)
	rows := m.drain("2026-03-01")
	got := map[string]int64{}
	for _, r := range rows {
		got[r.Kind+r.Value] = r.N
	}
	if got["v"] != 3 || got["ddesktop"] != 3 || got["u"] != 2 || len(got) != 3 {
		t.Fatalf("drained %v", got)
	}
	if again := m.drain("2026-03-01"); len(again) != 0 {
		t.Fatalf("a second drain gave %v", again)
	}
	m.restore(rows)
	if back := m.drain("2026-03-01"); len(back) != 3 {
		t.Fatalf("restored %v", back)
	}
	// a visitor seen again is not a new unique; a new one is
	m.Record(ctx, v)
	v.Visitor = "c"
	m.Record(ctx, v)
	for _, r := range m.drain("2026-03-02") {
		if r.Kind == KindUniques && r.N != 3 {
			t.Fatalf("uniques = %d, want 3", r.N)
		}
	}
	if len(m.uniques) != 1 {
		t.Fatalf("yesterday's visitors were dropped too early or today's kept: %d sets", len(m.uniques))
	}
	m.drain("2026-03-05")
	if len(m.uniques) != 0 {
		t.Fatalf("old visitor sets kept: %d", len(m.uniques))
	}
}

func TestSummarize(t *testing.T) {
	rows := []Row{
		{Day: "2026-03-01", Slug: "/", Kind: KindViews, N: 5},
		{Day: "2026-03-01", Slug: "/", Kind: KindUniques, N: 3},
		{Day: "2026-03-03", Slug: "/a", Kind: KindViews, N: 7},
		{Day: "2026-03-03", Slug: "/a", Kind: KindBots, N: 2},
		{Day: "2026-03-03", Slug: "/a", Kind: KindCountry, Value: "DE", N: 7},
	}
	s := Summarize(rows, "2026-03-01", "2026-03-03", "")
	if s.Views != 12 || s.Uniques != 3 || s.Bots != 2 || len(s.Days) != 3 || s.Days[1].Views != 0 || s.Days[2].Views != 7 {
		t.Fatalf("%+v", s)
	}
	if len(s.TopPages) != 2 || s.TopPages[0].Key != "/a" || s.Countries[0] != (KeyCount{"DE", 7}) {
		t.Fatalf("top %+v %+v", s.TopPages, s.Countries)
	}
}

// BenchmarkCountInProcess is what counting a browser's view costs a page
// without Redis: reading the request, the visitor hash, the buffer.
func BenchmarkCountInProcess(b *testing.B) {
	r := httptest.NewRequest("GET", "http://site.test/p", nil)
	r.RemoteAddr = "203.0.113.9:1234"
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")
	r.Header.Set("Referer", "https://news.example/a")
	m := NewMemory()
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		m.Record(context.Background(), NewView(r, "t", "/p", now, "secret"))
	}
}

func TestRefererHost(t *testing.T) {
	tests := map[string]string{
		"https://news.example/story?x=1":   "news.example",
		"HTTP://News.Example:8080/":        "News.Example",
		"https://user:pw@host.example/p":   "host.example",
		"https://[2001:db8::1]:443/x":      "2001:db8::1",
		"https://host.example#frag":        "host.example",
		"https://host.example?q=a/b":       "host.example",
		"android-app://com.example.app/":   "",
		"javascript:alert(1)":              "",
		"//host.example/":                  "",
		"https://":                         "",
		"https://[broken":                  "",
		"https://a.example/@b.example/":    "a.example",
		"https://xn--bcher-kva.example/%2": "xn--bcher-kva.example",
	}
	for in, want := range tests {
		if got := refererHost(in); got != want {
			t.Errorf("refererHost(%q) = %q, want %q", in, got, want)
		}
	}
}
