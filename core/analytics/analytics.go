// Package analytics counts page views: views, unique visitors (a
// HyperLogLog per page and day), referrer hosts, device classes and
// countries, with bots counted apart. A view is buffered in Redis with one
// pipelined call (or in process without Redis) and moved to the state
// store by Flush, which the scheduled tick and `frontbase flush` run.
//
// No raw IP is stored anywhere: a visitor is a hash of IP, user agent and
// a salt that changes every day.
package analytics

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frontbase/edge/core"
)

// Kinds of counter rows.
const (
	KindViews    = "v" // page views (value "")
	KindBots     = "b" // views by bots (value "")
	KindUniques  = "u" // unique visitors, an estimate (value ""); stored as a maximum, not a sum
	KindReferrer = "r" // value: referrer host
	KindDevice   = "d" // value: desktop, mobile, tablet
	KindCountry  = "c" // value: ISO country code
)

// Row is one counter of one page on one day (UTC, YYYY-MM-DD).
type Row struct {
	Tenant, Day, Slug, Kind, Value string
	N                              int64
}

// View is one counted page view.
type View struct {
	Tenant, Slug string
	Day          string
	Visitor      string // hash of IP + user agent + the day's salt
	Bot          bool
	Referrer     string // host, "" when none or the site itself
	Device       string
	Country      string
}

// countryHeaders are where platforms put the visitor's country.
var countryHeaders = []string{"CloudFront-Viewer-Country", "X-Vercel-IP-Country", "X-Appengine-Country", "CF-IPCountry"}

// NewView reads what is counted from a request. secret (the day's salt,
// see Salts) salts the visitor hash together with the day, so hashes of
// different days cannot be linked; with an empty secret the view has no
// visitor and counts toward no unique.
func NewView(r *http.Request, tenant, slug string, now time.Time, secret string) View {
	day := now.UTC().Format(time.DateOnly)
	ua := r.Header.Get("User-Agent")
	v := View{Tenant: tenant, Slug: slug, Day: day, Bot: IsBot(ua)}
	if v.Bot {
		return v
	}
	ip := r.RemoteAddr
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	if secret != "" { // no salt at hand (Salts): counted without a visitor
		h := sha256.New()
		for _, part := range []string{secret, day, ip, ua} {
			h.Write([]byte(part))
			h.Write([]byte{0})
		}
		v.Visitor = hex.EncodeToString(h.Sum(nil)[:12])
	}
	v.Device = Device(ua)
	if ref := r.Header.Get("Referer"); ref != "" {
		if u, err := url.Parse(ref); err == nil && u.Host != "" && !strings.EqualFold(u.Hostname(), hostOnly(r.Host)) {
			v.Referrer = strings.ToLower(u.Hostname())
		}
	}
	for _, name := range countryHeaders {
		if c := strings.ToUpper(strings.TrimSpace(r.Header.Get(name))); len(c) == 2 && c != "XX" {
			v.Country = c
			break
		}
	}
	return v
}

func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return h
}

var botWords = []string{"bot", "crawl", "spider", "slurp", "curl/", "wget", "python-requests", "go-http-client", "headless", "lighthouse", "facebookexternalhit", "preview"}

// IsBot tells crawlers and scripts from browsers by user agent; an empty
// user agent is a bot.
func IsBot(ua string) bool {
	if ua == "" {
		return true
	}
	l := strings.ToLower(ua)
	for _, w := range botWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// Device classes a browser's user agent.
func Device(ua string) string {
	l := strings.ToLower(ua)
	switch {
	case strings.Contains(l, "ipad") || strings.Contains(l, "tablet") || (strings.Contains(l, "android") && !strings.Contains(l, "mobile")):
		return "tablet"
	case strings.Contains(l, "mobi") || strings.Contains(l, "iphone"):
		return "mobile"
	}
	return "desktop"
}

// rows are the counter increments of one view.
func (v View) rows() []Row {
	base := Row{Tenant: v.Tenant, Day: v.Day, Slug: v.Slug, N: 1}
	if v.Bot {
		base.Kind = KindBots
		return []Row{base}
	}
	out := make([]Row, 0, 4)
	add := func(kind, value string) {
		r := base
		r.Kind, r.Value = kind, value
		out = append(out, r)
	}
	add(KindViews, "")
	if v.Referrer != "" {
		add(KindReferrer, v.Referrer)
	}
	if v.Device != "" {
		add(KindDevice, v.Device)
	}
	if v.Country != "" {
		add(KindCountry, v.Country)
	}
	return out
}

// Recorder counts views.
type Recorder interface {
	Record(ctx context.Context, v View)
}

// Redis keys. The buffer is one hash of field -> count; a flush renames it
// to claimedPrefix+batch and lists the batch in claimsKey, atomically.
const (
	bufferKey     = "fb:an:buf"
	claimedPrefix = "fb:an:claimed:"
	claimsKey     = "fb:an:claims"
	uniquesPrefix = "fb:an:u:"
	uniquesTTL    = 3 * 24 * time.Hour
	sep           = "\t"
)

func field(r Row) string {
	return r.Tenant + sep + r.Day + sep + r.Slug + sep + r.Kind + sep + r.Value
}

func parseField(f string, n int64) (Row, bool) {
	p := strings.Split(f, sep)
	if len(p) != 5 {
		return Row{}, false
	}
	return Row{Tenant: p[0], Day: p[1], Slug: p[2], Kind: p[3], Value: p[4], N: n}, true
}

func uniquesKey(tenant, day, slug string) string {
	return uniquesPrefix + tenant + sep + day + sep + slug
}

// RedisRecorder buffers views in the shared cache with one pipelined call
// per view, bounded by Timeout. Failures are swallowed (a lost count is
// better than a slow page) and logged at most once a minute.
type RedisRecorder struct {
	Cache   core.Cache
	Timeout time.Duration // default 50ms
	Logger  *slog.Logger
	lastLog atomic.Int64
	Dropped atomic.Int64 // views that could not be counted
}

func (rr *RedisRecorder) Record(ctx context.Context, v View) {
	timeout := rr.Timeout
	if timeout <= 0 {
		timeout = 50 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	rows := v.rows()
	cmds := make([][]any, 0, len(rows)+2)
	for _, r := range rows {
		cmds = append(cmds, []any{"HINCRBY", bufferKey, field(r), 1})
	}
	if v.Visitor != "" {
		k := uniquesKey(v.Tenant, v.Day, v.Slug)
		cmds = append(cmds, []any{"PFADD", k, v.Visitor}, []any{"PEXPIRE", k, uniquesTTL.Milliseconds()})
	}
	if _, err := rr.Cache.Exec(ctx, cmds...); err != nil {
		rr.Dropped.Add(1)
		now := time.Now().Unix()
		if last := rr.lastLog.Load(); now-last >= 60 && rr.lastLog.CompareAndSwap(last, now) && rr.Logger != nil {
			rr.Logger.Warn("analytics: a page view was not counted (logged at most once a minute)", "err", err, "dropped", rr.Dropped.Load())
		}
	}
}

// Memory aggregates views in process, for engines without Redis; Flush
// writes them to the state store. Unique visitors are exact within one
// process (a set of hashes per page and day, kept for today and
// yesterday), so with several instances they are a lower bound.
type Memory struct {
	mu      sync.Mutex
	counts  map[Row]int64 // Row with N zero as the key
	uniques map[Row]map[string]struct{}
	dirty   map[Row]bool // unique sets that grew since the last flush
	// MaxVisitors bounds each page-day's visitor set (default 100,000).
	MaxVisitors int
}

// NewMemory returns an empty in-process buffer.
func NewMemory() *Memory {
	return &Memory{counts: map[Row]int64{}, uniques: map[Row]map[string]struct{}{}, dirty: map[Row]bool{}}
}

func (m *Memory) Record(_ context.Context, v View) {
	rows := v.rows()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range rows {
		n := r.N
		r.N = 0
		m.counts[r] += n
	}
	if v.Visitor != "" {
		k := Row{Tenant: v.Tenant, Day: v.Day, Slug: v.Slug, Kind: KindUniques}
		set := m.uniques[k]
		if set == nil {
			set = map[string]struct{}{}
			m.uniques[k] = set
		}
		limit := m.MaxVisitors
		if limit <= 0 {
			limit = 100_000
		}
		if _, seen := set[v.Visitor]; !seen && len(set) < limit {
			set[v.Visitor] = struct{}{}
			m.dirty[k] = true
		}
	}
}

// drain takes the buffered rows; restore puts back rows that were not
// written.
func (m *Memory) drain(today string) []Row {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Row, 0, len(m.counts)+len(m.dirty))
	for r, n := range m.counts {
		r.N = n
		out = append(out, r)
	}
	clear(m.counts)
	for k := range m.dirty {
		r := k
		r.N = int64(len(m.uniques[k]))
		out = append(out, r)
	}
	clear(m.dirty)
	for k := range m.uniques {
		if k.Day < yesterday(today) {
			delete(m.uniques, k)
		}
	}
	return out
}

func (m *Memory) restore(rows []Row) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range rows {
		if r.Kind == KindUniques {
			r.N = 0
			m.dirty[r] = true
			continue
		}
		n := r.N
		r.N = 0
		m.counts[r] += n
	}
}

func yesterday(today string) string {
	t, err := time.Parse(time.DateOnly, today)
	if err != nil {
		return today
	}
	return t.AddDate(0, 0, -1).Format(time.DateOnly)
}
