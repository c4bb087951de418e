package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/osteele/liquid"
	"github.com/osteele/liquid/expressions"
	"github.com/osteele/liquid/filters"
	lrender "github.com/osteele/liquid/render"
	"github.com/osteele/liquid/values"
)

// Bounds of the Liquid work one page render may do. A hostile template
// cannot hang or exhaust the instance: past a bound, the template that hit
// it renders as its raw text and the render goes on.
const (
	maxTemplateBytes = 8 << 10  // longer props are shown as written
	maxLiquidOutput  = 64 << 10 // output of one template
	maxLiquidString  = 16 << 10 // any string an assign, capture or filter makes
	maxLiquidArray   = 1024     // any array a filter makes
	maxIterations    = 10_000   // loop iterations, all templates of a render together
	maxCachedParses  = 4096
	maxCachedSource  = 1 << 20 // bytes of template source behind the cached parses
)

var (
	// liquidTimeBudget bounds the wall time of one render's templates. A
	// variable only so that tests of the other bounds can lift it: on a
	// loaded machine the clock would otherwise stop them first.
	liquidTimeBudget = 50 * time.Millisecond
	errLiquidBudget  = errors.New("liquid: work bound exceeded")
	errLiquidLarge   = errors.New("liquid: value too large")
)

// budgetKey names the per-render budget in the bindings; a template cannot
// spell a name holding a NUL byte, so it cannot read or replace it.
const budgetKey = "\x00budget"

// budget is the Liquid work left to one page render.
type budget struct {
	iterations int
	deadline   time.Time
	exhausted  bool
}

func (b *budget) step() error {
	b.iterations++
	if b.iterations > maxIterations || time.Now().After(b.deadline) {
		b.exhausted = true
		return errLiquidBudget
	}
	return nil
}

// engine is the one Liquid engine of the process. The standard for,
// tablerow, assign, capture and include tags are replaced (by rewriting
// template sources, see rewriteTags) with bounded versions; filters that
// can grow a value are replaced with versions that refuse to pass
// maxLiquidString. It is built on first use, not when the package loads.
var engine = sync.OnceValue(newEngine)

func newEngine() *liquid.Engine {
	e := liquid.NewEngine()
	e.RegisterBlock("fbfor", forBlock)
	e.RegisterTag("fbassign", assignTag)
	e.RegisterBlock("fbcapture", captureBlock)
	fs := filterSet{}
	filters.AddStandardFilters(fs)
	// Filters whose work or result can outgrow their inputs by more than a
	// constant factor check before they allocate.
	fs["append"] = func(s, suffix string) (string, error) { return boundedString(s + suffix) }
	fs["prepend"] = func(s, prefix string) (string, error) { return boundedString(prefix + s) }
	fs["replace"] = func(s, old, n string) (string, error) {
		if len(old) > 0 && len(n) > len(old) && len(s)+strings.Count(s, old)*(len(n)-len(old)) > maxLiquidString {
			return "", errLiquidLarge
		}
		if old == "" && len(s)+(utf8.RuneCountInString(s)+1)*len(n) > maxLiquidString {
			return "", errLiquidLarge
		}
		return boundedString(strings.ReplaceAll(s, old, n))
	}
	fs["replace_first"] = func(s, old, n string) (string, error) { return boundedString(strings.Replace(s, old, n, 1)) }
	fs["join"] = joinFilter
	fs["concat"] = func(a, b []any) ([]any, error) {
		if len(a)+len(b) > maxLiquidArray {
			return nil, errLiquidLarge
		}
		return append(append(make([]any, 0, len(a)+len(b)), a...), b...), nil
	}
	split := fs["split"]
	fs["split"] = func(s, sep string) (any, error) {
		// With " ", Liquid splits on runs of white space: the result is
		// measured afterwards (boundFilter), at most len(s)+1 elements.
		if sep != " " && strings.Count(s, sep)+1 > maxLiquidArray { // "": one more than the runes
			return nil, errLiquidLarge
		}
		return values.Call(reflect.ValueOf(split), []any{s, sep})
	}
	fs["uniq"] = uniqFilter
	fs["size"] = func(v any) int { // the standard one says 0 for a range
		if r, ok := v.(values.Range); ok {
			return max(r.Len(), 0)
		}
		return values.Length(v)
	}
	for name, fn := range fs {
		e.RegisterFilter(name, boundFilter(fn))
	}
	return e
}

// filterSet collects the library's standard filters by name, so that each
// can be registered again behind boundFilter.
type filterSet map[string]any

func (f filterSet) AddFilter(name string, fn any) { f[name] = fn }

// boundFilter wraps a filter so that the work of one application stays
// within the bounds whatever the template feeds it. The library converts a
// range such as (1..100000000) into an array of that many elements before
// a filter taking an array runs, so arguments are measured first: a range,
// array or map of more than maxLiquidArray elements is refused. A result
// may not pass maxLiquidArray elements, nor maxLiquidString bytes unless it
// is no longer than the longest string it was made from (a filter may
// transform a long page field; it may not grow one).
func boundFilter(fn any) func(any, ...any) (any, error) {
	f := reflect.ValueOf(fn)
	return func(in any, args ...any) (any, error) {
		all := append([]any{in}, args...)
		longest := 0
		for _, a := range all {
			n, err := argSize(a)
			if err != nil {
				return nil, err
			}
			longest = max(longest, n)
		}
		out, err := values.Call(f, all)
		if err != nil {
			return nil, err
		}
		switch v := out.(type) {
		case string:
			if len(v) > maxLiquidString && len(v) > longest {
				return nil, errLiquidLarge
			}
		case []byte:
			if len(v) > maxLiquidString && len(v) > longest {
				return nil, errLiquidLarge
			}
			return string(v), nil
		case nil:
		default:
			if rv := reflect.ValueOf(v); (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Map) && rv.Len() > maxLiquidArray {
				return nil, errLiquidLarge
			}
		}
		return out, nil
	}
}

// argSize returns the length of a string argument, and refuses a
// collection larger than maxLiquidArray.
func argSize(a any) (int, error) {
	switch v := a.(type) {
	case nil:
		return 0, nil
	case string:
		return len(v), nil
	case []byte:
		return len(v), nil
	case values.Range:
		if v.Len() > maxLiquidArray {
			return 0, errLiquidLarge
		}
		return 0, nil
	}
	switch rv := reflect.ValueOf(a); rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		if rv.Len() > maxLiquidArray {
			return 0, errLiquidLarge
		}
	}
	return 0, nil
}

// joinFilter is the standard join (nil elements left out) counting the
// bytes it writes.
func joinFilter(a []any, sep func(string) string) (string, error) {
	d := sep(" ")
	if len(a)*len(d) > maxLiquidString {
		return "", errLiquidLarge
	}
	var b strings.Builder
	for _, v := range a {
		if v == nil {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(d)
		}
		fmt.Fprint(&b, v)
		if b.Len() > maxLiquidString {
			return "", errLiquidLarge
		}
	}
	return b.String(), nil
}

// uniqFilter is the standard uniq without its quadratic case (and its
// panic on nil elements): elements that cannot be map keys are compared
// by their JSON text.
func uniqFilter(a []any) []any {
	seen := map[any]bool{}
	var out []any
	for _, v := range a {
		key := v
		if v != nil && !reflect.TypeOf(v).Comparable() {
			j, err := json.Marshal(v)
			if err != nil {
				j = []byte(fmt.Sprintf("%#v", v))
			}
			key = "\x00json:" + string(j)
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, v)
		}
	}
	return out
}

func boundedString(s string) (string, error) {
	if len(s) > maxLiquidString {
		return "", errLiquidLarge
	}
	return s, nil
}

// tagRe finds the tags rewriteTags replaces.
var tagRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(\{%-?\s*)(end)?(for|tablerow|assign|capture|include|render|cycle)\b`)
})

// rewriteTags points the standard tags at their bounded versions. tablerow,
// include, render and cycle are not offered: they become an unknown tag, so
// the template fails to parse and shows as written.
func rewriteTags(src string) string {
	if !strings.Contains(src, "{%") {
		return src
	}
	return tagRe().ReplaceAllStringFunc(src, func(m string) string {
		sub := tagRe().FindStringSubmatch(m)
		switch sub[3] {
		case "for", "assign", "capture":
			return sub[1] + sub[2] + "fb" + sub[3]
		}
		return sub[1] + sub[2] + "fbunsupported" + sub[3]
	})
}

// forBlock is {% for x in collection limit:n offset:n reversed %}, with
// break and continue, counting every iteration against the render budget.
// (The else clause of the standard tag is not supported.)
func forBlock(ctx lrender.Context) (string, error) {
	b, _ := ctx.Get(budgetKey).(*budget)
	if b == nil {
		return "", errLiquidBudget
	}
	stmt, err := expressions.ParseStatement(expressions.LoopStatementSelector, ctx.TagArgs())
	if err != nil {
		return "", err
	}
	loop := stmt.Loop
	val, err := ctx.Evaluate(loop.Expr)
	if err != nil {
		return "", err
	}
	items, err := iterate(val)
	if err != nil {
		return "", err
	}
	n := items.Len()
	start := 0
	if loop.Offset != nil {
		v, err := ctx.Evaluate(loop.Offset)
		if err != nil {
			return "", err
		}
		if o, ok := v.(int); ok {
			start = min(max(o, 0), n)
		}
	}
	end := n
	if loop.Limit != nil {
		v, err := ctx.Evaluate(loop.Limit)
		if err != nil {
			return "", err
		}
		if l, ok := v.(int); ok {
			end = min(start+max(l, 0), n)
		}
	}
	count := end - start
	prevVar, prevLoop := ctx.Get(loop.Variable), ctx.Get("forloop")
	defer func() {
		ctx.Set(loop.Variable, prevVar)
		ctx.Set("forloop", prevLoop)
	}()
	var out limitedBuffer
	for i := 0; i < count; i++ {
		if err := b.step(); err != nil {
			return "", err
		}
		idx := start + i
		if loop.Reversed {
			idx = end - 1 - i
		}
		ctx.Set(loop.Variable, items.Index(idx))
		ctx.Set("forloop", map[string]any{
			"first": i == 0, "last": i == count-1, "index": i + 1, "index0": i,
			"rindex": count - i, "rindex0": count - i - 1, "length": count,
		})
		if rerr := ctx.RenderChildren(&out); rerr != nil {
			cause := rerr.Cause()
			if cause == nil {
				return "", rerr
			}
			switch cause.Error() { // the library's loop-control errors are unexported
			case "break outside a loop":
				return out.String(), nil
			case "continue outside a loop":
				continue
			}
			return "", rerr
		}
	}
	return out.String(), nil
}

// iterable is what a loop walks.
type iterable interface {
	Len() int
	Index(int) any
}

type sliceItems reflect.Value

func (s sliceItems) Len() int        { return reflect.Value(s).Len() }
func (s sliceItems) Index(i int) any { return reflect.Value(s).Index(i).Interface() }

type stringItems []string

func (s stringItems) Len() int        { return len(s) }
func (s stringItems) Index(i int) any { return s[i] }

func iterate(v any) (iterable, error) {
	switch x := v.(type) {
	case nil:
		return stringItems(nil), nil
	case values.Range:
		return x, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sortStrings(keys)
		return stringItems(keys), nil
	case map[string]string:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sortStrings(keys)
		return stringItems(keys), nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		return sliceItems(rv), nil
	}
	return stringItems(nil), nil
}

// assignTag is {% assign x = expression %} refusing oversized values.
func assignTag(ctx lrender.Context) (string, error) {
	stmt, err := expressions.ParseStatement(expressions.AssignStatementSelector, ctx.TagArgs())
	if err != nil {
		return "", err
	}
	v, err := ctx.Evaluate(stmt.Assignment.ValueFn)
	if err != nil {
		return "", err
	}
	if s, ok := v.(string); ok && len(s) > maxLiquidString {
		return "", errLiquidLarge
	}
	ctx.Set(stmt.Assignment.Variable, v)
	return "", nil
}

// captureBlock is {% capture x %}...{% endcapture %} refusing oversized values.
func captureBlock(ctx lrender.Context) (string, error) {
	name := strings.TrimSpace(ctx.TagArgs())
	var out limitedBuffer
	out.max = maxLiquidString
	if err := ctx.RenderChildren(&out); err != nil {
		return "", err
	}
	ctx.Set(name, out.String())
	return "", nil
}

// limitedBuffer fails writes past max bytes (maxLiquidOutput when 0).
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	limit := b.max
	if limit == 0 {
		limit = maxLiquidOutput
	}
	if b.Len()+len(p) > limit {
		return 0, errLiquidLarge
	}
	return b.Buffer.Write(p)
}

func (b *limitedBuffer) WriteString(s string) (int, error) { return b.Write([]byte(s)) }

// parsed caches parsed templates by source across renders: a page's
// templates are parsed once, not once per render. It is bounded by
// maxCachedParses entries and maxCachedSource bytes of source, and emptied
// when full.
var parsed = struct {
	sync.RWMutex
	m     map[string]parseResult
	bytes int
}{m: map[string]parseResult{}}

type parseResult struct {
	t   *liquid.Template
	err error
}

func parseTemplate(src string) (*liquid.Template, error) {
	parsed.RLock()
	r, ok := parsed.m[src]
	parsed.RUnlock()
	if ok {
		return r.t, r.err
	}
	t, serr := safeParse(rewriteTags(src))
	r = parseResult{t: t}
	if serr != nil {
		r = parseResult{err: serr}
	}
	parsed.Lock()
	if len(parsed.m) >= maxCachedParses || parsed.bytes+len(src) > maxCachedSource {
		clear(parsed.m)
		parsed.bytes = 0
	}
	parsed.m[strings.Clone(src)] = r
	parsed.bytes += len(src)
	parsed.Unlock()
	return r.t, r.err
}

// safeParse parses src, turning a panic inside the library into a parse
// error: its scanner panics on some input, such as an integer literal
// too large for an int ({{ 9999999999999999999999 }}).
func safeParse(src string) (t *liquid.Template, err error) {
	defer func() {
		if p := recover(); p != nil {
			t, err = nil, fmt.Errorf("liquid: template cannot be parsed: %v", p)
		}
	}()
	t, serr := engine().ParseString(src)
	if serr != nil {
		return nil, serr
	}
	return t, nil
}

// isTemplate reports whether a prop string holds Liquid markup.
func isTemplate(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%")
}

// liquidText evaluates a prop that may hold Liquid. Plain strings are
// returned as they are; a template that fails (syntax error, bound
// exceeded) is returned as written and logged once per render.
func (s *state) liquidText(src string) string {
	if !isTemplate(src) {
		return src
	}
	s.deps.scan(src)
	if len(src) > maxTemplateBytes {
		s.liquidFailed(errLiquidLarge, src)
		return src
	}
	b := s.bindings()
	if b.exhausted {
		return src
	}
	t, err := parseTemplate(src)
	if err != nil {
		s.liquidFailed(err, src)
		return src
	}
	var out limitedBuffer
	if err := safeRender(t, &out, s.binds); err != nil {
		s.liquidFailed(err, src)
		return src
	}
	if time.Now().After(b.deadline) {
		b.exhausted = true
	}
	return out.String()
}

// safeRender renders t, turning a panic inside the library (it panics on
// some write errors, such as a bound refusing a write) into an error.
func safeRender(t *liquid.Template, out *limitedBuffer, binds map[string]any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if e, ok := p.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("liquid: %v", p)
			}
		}
	}()
	if serr := t.FRender(out, binds); serr != nil {
		return serr
	}
	return nil
}

// liquidCondition decides a visibilityCondition on the server.
func (s *state) liquidCondition(cond string) bool {
	out := s.liquidText("{% if " + cond + " %}1{% else %}0{% endif %}")
	return out == "1"
}

func (s *state) liquidFailed(err error, src string) {
	if s.liquidLogged {
		return
	}
	s.liquidLogged = true
	if len(src) > 200 {
		src = src[:200]
	}
	s.r.log().Warn("render: Liquid template failed; shown as written", "err", err, "template", src)
}

// bindings builds the scopes of this render on first use.
func (s *state) bindings() *budget {
	if s.binds != nil {
		return s.binds[budgetKey].(*budget)
	}
	in := s.in
	now := in.now()
	b := &budget{deadline: time.Now().Add(liquidTimeBudget)}
	p := in.Page
	pageURL := in.Path
	if in.BaseURL != "" {
		pageURL = strings.TrimRight(in.BaseURL, "/") + in.Path
	}
	binds := map[string]any{
		budgetKey: b,
		"page": map[string]any{
			"id": p.ID, "title": p.Title, "slug": p.Slug, "url": pageURL, "path": in.Path,
			"description": p.Description, "name": p.Name,
		},
		"system": map[string]any{
			"date": now.Format(time.DateOnly), "time": now.Format(time.TimeOnly),
			"year": now.Year(), "month": int(now.Month()), "day": now.Day(), "timestamp": now.Unix(),
		},
		"app": appVariables(p.AppVariables),
	}
	settings := map[string]any{}
	if in.Settings != nil {
		settings = map[string]any{
			"siteName": in.Settings.SiteName, "siteDescription": in.Settings.SiteDescription,
			"appUrl": in.Settings.AppURL, "faviconUrl": in.Settings.FaviconURL, "logoUrl": in.Settings.LogoURL,
		}
	}
	binds["settings"] = settings
	url, cookies := map[string]any{}, map[string]any{}
	visitor := map[string]any{"device": "", "language": "", "referrer": "", "country": ""}
	if rq := in.Request; rq != nil {
		for k, v := range rq.Query {
			url[k] = v
		}
		for k, v := range rq.Cookies {
			cookies[k] = v
		}
		visitor = map[string]any{"device": rq.Visitor.Device, "language": rq.Visitor.Language,
			"referrer": rq.Visitor.Referrer, "country": rq.Visitor.Country}
	}
	binds["url"], binds["cookies"], binds["visitor"] = url, cookies, visitor
	s.binds = binds
	return b
}

func appVariables(v map[string]any) map[string]any {
	if v == nil {
		return map[string]any{}
	}
	return v
}

func sortStrings(s []string) { slices.Sort(s) }
