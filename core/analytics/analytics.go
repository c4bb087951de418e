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
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frontbase/edge/core/clientip"
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

// countryHeaders are where platforms put the visitor's country, in
// canonical form so that reading them is a map lookup.
var countryHeaders = []string{
	textproto.CanonicalMIMEHeaderKey("CloudFront-Viewer-Country"), textproto.CanonicalMIMEHeaderKey("X-Vercel-IP-Country"),
	textproto.CanonicalMIMEHeaderKey("X-Appengine-Country"), textproto.CanonicalMIMEHeaderKey("CF-IPCountry"),
}

func header(h http.Header, canonical string) string {
	if v := h[canonical]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// NewView reads what is counted from a request. secret (the day's salt,
// see Salts) salts the visitor hash together with the day, so hashes of
// different days cannot be linked; with an empty secret the view has no
// visitor and counts toward no unique. The visitor's address is the
// connection's (no trusted proxies).
func NewView(r *http.Request, tenant, slug string, now time.Time, secret string) View {
	return NewViewSalted(r, nil, tenant, slug, now, func(string) string { return secret })
}

// NewViewSalted is NewView with the salt asked for only when the view is
// a browser's (salt gets the day, "2026-11-22"), and the visitor's address
// read as rate limits read it (clientip.Of): behind one of the trusted
// proxies, from X-Forwarded-For.
func NewViewSalted(r *http.Request, trusted []netip.Prefix, tenant, slug string, now time.Time, salt func(day string) string) View {
	day := dayOf(now)
	ua := header(r.Header, "User-Agent")
	class := classify(ua)
	v := View{Tenant: tenant, Slug: slug, Day: day, Bot: class.bot}
	if v.Bot {
		return v
	}
	ip := clientip.Of(r, trusted)
	if secret := salt(day); secret != "" { // no salt at hand (Salts): counted without a visitor
		var stack [512]byte
		buf := stack[:0]
		for _, part := range []string{secret, day, ip, ua} {
			buf = append(append(buf, part...), 0)
		}
		sum := sha256.Sum256(buf)
		v.Visitor = hex.EncodeToString(sum[:12])
	}
	v.Device = class.device
	if ref := header(r.Header, "Referer"); ref != "" {
		if host := refererHost(ref); host != "" && !strings.EqualFold(host, hostOnly(r.Host)) {
			v.Referrer = strings.ToLower(host)
		}
	}
	for _, name := range countryHeaders {
		if c := strings.TrimSpace(header(r.Header, name)); len(c) == 2 && !strings.EqualFold(c, "XX") {
			v.Country = strings.ToUpper(c)
			break
		}
	}
	return v
}

// refererHost is the host name of an absolute http(s) URL, "" for
// anything else.
func refererHost(ref string) string {
	var rest string
	switch {
	case len(ref) > 8 && strings.EqualFold(ref[:8], "https://"):
		rest = ref[8:]
	case len(ref) > 7 && strings.EqualFold(ref[:7], "http://"):
		rest = ref[7:]
	default:
		return ""
	}
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		rest = rest[:end]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	if strings.HasPrefix(rest, "[") { // [IPv6]:port
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return ""
		}
		return rest[1:end]
	}
	if colon := strings.LastIndexByte(rest, ':'); colon >= 0 {
		rest = rest[:colon]
	}
	return rest
}

// dayOf formats now's UTC day, cached for the second: every view asks.
func dayOf(now time.Time) string {
	sec := now.Unix()
	if d := lastDay.Load(); d != nil && d.sec == sec {
		return d.day
	}
	d := &dayCache{sec: sec, day: now.UTC().Format(time.DateOnly)}
	lastDay.Store(d)
	return d.day
}

type dayCache struct {
	sec int64
	day string
}

var lastDay atomic.Pointer[dayCache]

// uaClass is what a user agent says: bot or browser, and which device.
type uaClass struct {
	bot    bool
	device string
}

// classify sorts a user agent, remembering the answers for the most
// common ones (a bounded map, cleared when full).
func classify(ua string) uaClass {
	uaCache.RLock()
	c, ok := uaCache.m[ua]
	uaCache.RUnlock()
	if ok {
		return c
	}
	lower := strings.ToLower(ua)
	c = uaClass{bot: isBotLower(ua, lower), device: deviceLower(lower)}
	if len(ua) <= 512 {
		uaCache.Lock()
		if len(uaCache.m) >= 4096 {
			clear(uaCache.m)
		}
		uaCache.m[ua] = c
		uaCache.Unlock()
	}
	return c
}

var uaCache = struct {
	sync.RWMutex
	m map[string]uaClass
}{m: map[string]uaClass{}}

func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return h
}

var botWords = []string{"bot", "crawl", "spider", "slurp", "curl/", "wget", "python-requests", "go-http-client", "headless", "lighthouse", "facebookexternalhit", "preview"}

// IsBot tells crawlers and scripts from browsers by user agent; an empty
// user agent is a bot.
func IsBot(ua string) bool { return isBotLower(ua, strings.ToLower(ua)) }

func isBotLower(ua, lower string) bool {
	if ua == "" {
		return true
	}
	for _, w := range botWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// Device classes a browser's user agent.
func Device(ua string) string { return deviceLower(strings.ToLower(ua)) }

func deviceLower(l string) string {
	switch {
	case strings.Contains(l, "ipad") || strings.Contains(l, "tablet") || (strings.Contains(l, "android") && !strings.Contains(l, "mobile")):
		return "tablet"
	case strings.Contains(l, "mobi") || strings.Contains(l, "iphone"):
		return "mobile"
	}
	return "desktop"
}

// appendRows appends the view's rows to out (callers pass a stack array).
func (v View) appendRows(out []Row) []Row {
	base := Row{Tenant: v.Tenant, Day: v.Day, Slug: v.Slug, N: 1}
	if v.Bot {
		base.Kind = KindBots
		return append(out, base)
	}
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
	var buf [4]Row
	rows := v.appendRows(buf[:0])
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
