package render

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Request is what templates may know of the request being answered.
type Request struct {
	Query   map[string]string // url.*: the first value of each query parameter
	Cookies map[string]string // cookies.*
	Visitor Visitor           // visitor.*
	Now     time.Time         // system.*; zero means time.Now()
}

// Visitor describes who asks, as far as the platform tells.
type Visitor struct {
	Device   string // "mobile", "tablet" or "desktop"
	Language string // primary language tag, lower case ("en", "fr-ca")
	Referrer string
	Country  string // ISO code from the platform's geo header, when there is one
}

func (in *Input) now() time.Time {
	if in.Request != nil && !in.Request.Now.IsZero() {
		return in.Request.Now.UTC()
	}
	return time.Now().UTC()
}

// Deps is what a rendered page's output depends on beyond the page itself:
// the request-scope names its templates read. A page with no Deps can be
// cached for every request; otherwise Key names the variant a request
// gets.
type Deps struct {
	Query, Cookies, Visitor []string // names read, sorted, without duplicates
	AllQuery, AllCookies    bool     // the whole scope is read (a loop, an index by variable)
	AllVisitor              bool
	Date                    bool // system.date/year/month/day
	Clock                   bool // system.time/timestamp (or all of system): output changes every second
	Client                  bool // has conditions the browser decides (local., session.)
}

// Static reports whether the output is the same for every request of a
// day. (Callers that cache key entries by UTC day, as core/site does, so
// that system.date and system.year need no variants.)
func (d *Deps) Static() bool {
	return len(d.Query) == 0 && len(d.Cookies) == 0 && len(d.Visitor) == 0 &&
		!d.AllQuery && !d.AllCookies && !d.AllVisitor && !d.Clock
}

// PerVisitor reports whether the output depends on who asks, not only on
// the URL: a shared cache (CDN) must not keep it.
func (d *Deps) PerVisitor() bool {
	return len(d.Cookies) > 0 || len(d.Visitor) > 0 || d.AllCookies || d.AllVisitor || d.Clock
}

// Key is the variant of the output rq gets: two requests with the same
// Key get the same bytes (for the same page, settings and generation).
// It holds exactly the values the templates read.
func (d *Deps) Key(rq *Request) string {
	if d.Static() {
		return ""
	}
	if rq == nil {
		rq = &Request{}
	}
	var b strings.Builder
	if d.Clock {
		b.WriteString("t=")
		b.WriteString(strconv.FormatInt(nowOf(rq).Unix(), 10))
	}
	writeScope(&b, "q", d.Query, d.AllQuery, rq.Query)
	writeScope(&b, "c", d.Cookies, d.AllCookies, rq.Cookies)
	v := map[string]string{"device": rq.Visitor.Device, "language": rq.Visitor.Language,
		"referrer": rq.Visitor.Referrer, "country": rq.Visitor.Country}
	writeScope(&b, "v", d.Visitor, d.AllVisitor, v)
	return b.String()
}

func nowOf(rq *Request) time.Time {
	if !rq.Now.IsZero() {
		return rq.Now.UTC()
	}
	return time.Now().UTC()
}

// writeScope writes ";p:name=value" for each name read, quoting values so
// that no two different requests share a key.
func writeScope(b *strings.Builder, prefix string, names []string, all bool, values map[string]string) {
	if all {
		names = make([]string, 0, len(values))
		for k := range values {
			names = append(names, k)
		}
		slices.Sort(names)
		b.WriteString(";" + prefix + "*")
	}
	for _, n := range names {
		v, ok := values[n]
		b.WriteByte(';')
		b.WriteString(prefix)
		b.WriteByte(':')
		b.WriteString(strconv.Quote(n))
		if ok {
			b.WriteByte('=')
			b.WriteString(strconv.Quote(v))
		}
	}
}

// scan records the scopes a template source reads. It looks only inside
// {{ }} and {% %} and outside string literals; it over-approximates (a
// name that is assigned locally still counts), never under-approximates.
func (d *Deps) scan(src string) {
	for i := 0; i+1 < len(src); i++ {
		if src[i] != '{' || (src[i+1] != '{' && src[i+1] != '%') {
			continue
		}
		closing := "}}"
		if src[i+1] == '%' {
			closing = "%}"
		}
		end := strings.Index(src[i+2:], closing)
		if end < 0 {
			d.scanCode(src[i+2:])
			return
		}
		d.scanCode(src[i+2 : i+2+end])
		i += end + 3
	}
}

// scanCode finds scope references in Liquid code.
func (d *Deps) scanCode(code string) {
	// The date filter reads the clock itself: 'now' | date: ...
	if indexFold(code, "'now'") >= 0 || indexFold(code, `"now"`) >= 0 || indexFold(code, "'today'") >= 0 || indexFold(code, `"today"`) >= 0 {
		d.Clock = true
	}
	var quote byte
	for i := 0; i < len(code); i++ {
		c := code[i]
		if quote != 0 {
			if c == quote {
				quote = 0
			}
			continue
		}
		if c == '"' || c == '\'' {
			quote = c
			continue
		}
		if !isIdentStart(c) || (i > 0 && (isIdentByte(code[i-1]) || code[i-1] == '.')) {
			continue
		}
		j := i
		for j < len(code) && isIdentByte(code[j]) {
			j++
		}
		word := code[i:j]
		name, whole := member(code[j:])
		switch word {
		case "url":
			d.Query, d.AllQuery = addName(d.Query, name, whole, d.AllQuery)
		case "cookies":
			d.Cookies, d.AllCookies = addName(d.Cookies, name, whole, d.AllCookies)
		case "visitor":
			d.Visitor, d.AllVisitor = addName(d.Visitor, name, whole, d.AllVisitor)
		case "system":
			switch name {
			case "date", "year", "month", "day":
				d.Date = true
			default:
				d.Clock = true
			}
		case "local", "session":
			d.Client = true
		}
		i = j - 1
	}
}

// member reads ".name" or "['name']" after a scope word; whole is true when
// the scope is used some other way (all of it may matter).
func member(rest string) (name string, whole bool) {
	switch {
	case strings.HasPrefix(rest, "."):
		j := 1
		for j < len(rest) && (isIdentByte(rest[j]) || rest[j] == '-') {
			j++
		}
		if j > 1 {
			return rest[1:j], false
		}
	case strings.HasPrefix(rest, "['") || strings.HasPrefix(rest, `["`):
		q := rest[1]
		if end := strings.IndexByte(rest[2:], q); end >= 0 && strings.HasPrefix(rest[2+end+1:], "]") {
			return rest[2 : 2+end], false
		}
	}
	return "", true
}

func addName(names []string, name string, whole, all bool) ([]string, bool) {
	if whole {
		return names, true
	}
	i, found := slices.BinarySearch(names, name)
	if !found {
		names = slices.Insert(names, i, name)
	}
	return names, all
}

func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isIdentByte(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' }
