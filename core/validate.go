package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits that keep one hostile or broken document from costing the engine
// more than a normal page would.
const (
	MaxSlugLength      = 100 // characters: the control plane's pages.slug column
	MaxComponentDepth  = 64
	MaxComponents      = 10000
	MaxCSSBundleLength = 2 << 20
	maxFieldErrors     = 50
)

// ImportRequest is the body of POST /api/import.
type ImportRequest struct {
	Page     *Page
	Document json.RawMessage // the page exactly as sent, unknown fields included
	Force    bool
	// CheckVersion: an older page.version than the stored one conflicts
	// unless forced, as in the TypeScript engine's POST /api/import.
	CheckVersion bool
}

// DecodeImport parses and validates a publish request. Every problem is
// reported with its JSON path, not just the first one.
func DecodeImport(data []byte) (*ImportRequest, error) {
	root, err := decodeGeneric(data)
	if err != nil {
		return nil, err
	}
	v := &validator{}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, invalid([]FieldError{{Path: "$", Message: "must be an object"}})
	}
	if f, present := obj["force"]; present {
		v.boolean("force", f)
	}
	if p, present := obj["page"]; !present || p == nil {
		v.add("page", "required")
	} else if _, ok := p.(map[string]any); !ok {
		v.add("page", "must be an object")
	} else {
		// Paths are relative to the page, as the control plane names its
		// fields: layoutData.content[3].children[0].type.
		v.page("", p)
	}
	if len(v.errs) > 0 {
		return nil, invalid(v.errs)
	}
	var body struct {
		Page  json.RawMessage `json:"page"`
		Force bool            `json:"force"`
	}
	req := &ImportRequest{Page: &Page{}}
	err = json.Unmarshal(data, &body)
	if err == nil {
		err = json.Unmarshal(body.Page, req.Page)
	}
	if err != nil {
		// The generic walk accepted it, so this is a shape the walk missed.
		return nil, &Error{Code: EINVALID, Message: "page does not match the expected shape", Err: err}
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, body.Page); err != nil {
		return nil, &Error{Code: EINVALID, Message: "page cannot be re-encoded", Err: err}
	}
	req.Document, req.Force = compact.Bytes(), body.Force
	if req.Page.TenantSlug == "" {
		req.Page.TenantSlug = DefaultTenant
	}
	return req, nil
}

// ValidSlug reports why a page slug is unacceptable, or "" when it is fine.
// The builder's slug field is free text and the control plane stores up to
// 100 characters of it, so a slug may be in any script and hold spaces
// ("über-uns", "my page"): it is served at its percent-encoded path
// (SlugPath). Slugs are path segments joined by "/" (nested pages such as
// docs/getting-started); nothing in them may climb, hide or break a path:
// no empty, "." or ".." segments, no control characters, no bidirectional
// overrides, and no more characters than the builder can produce.
func ValidSlug(slug string) string {
	switch {
	case slug == "":
		return "required"
	case !utf8.ValidString(slug):
		return "not valid UTF-8"
	case utf8.RuneCountInString(slug) > MaxSlugLength:
		return fmt.Sprintf("longer than %d characters", MaxSlugLength)
	case strings.HasPrefix(slug, "/") || strings.HasSuffix(slug, "/"):
		return "must not start or end with /"
	case strings.TrimSpace(slug) == "":
		return "must not be blank"
	}
	for _, r := range slug {
		if unicode.IsControl(r) || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == utf8.RuneError {
			return fmt.Sprintf("must not contain control characters (found %U)", r)
		}
	}
	for _, seg := range strings.Split(slug, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "must not contain empty, . or .. segments"
		}
	}
	return ""
}

// SlugPath is the URL path a page with this slug is served at, each
// segment percent-encoded: "über uns" is "/%C3%BCber%20uns".
func SlugPath(slug string) string {
	var b strings.Builder
	b.Grow(len(slug) + 8)
	for _, seg := range strings.Split(slug, "/") {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(seg))
	}
	return b.String()
}

func decodeGeneric(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, invalidJSON(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, Errorf(EINVALID, "invalid JSON: unexpected data after the top-level value")
	}
	return root, nil
}

func invalidJSON(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return &Error{Code: EINVALID, Message: fmt.Sprintf("invalid JSON at byte %d: %s", syn.Offset, syn.Error())}
	}
	return &Error{Code: EINVALID, Message: "invalid JSON: " + err.Error()}
}

func invalid(errs []FieldError) error { return Invalid(errs) }

// Invalid is the validation error of errs (at least one): the message
// names the first problem and how many others the details list.
func Invalid(errs []FieldError) *Error {
	msg := errs[0].String()
	switch n := len(errs) - 1; {
	case n == 1:
		msg += " (and 1 more problem)"
	case n > 1:
		msg = fmt.Sprintf("%s (and %d more problems)", msg, n)
	}
	return &Error{Code: EINVALID, Message: "validation failed: " + msg, Details: errs}
}

type validator struct {
	errs  []FieldError
	count int // components seen so far
}

func (v *validator) add(path, msg string) {
	if len(v.errs) < maxFieldErrors {
		v.errs = append(v.errs, FieldError{Path: path, Message: msg})
	}
}

func (v *validator) str(path string, val any) (string, bool) {
	s, ok := val.(string)
	if !ok {
		v.add(path, "must be a string")
	}
	return s, ok
}

func (v *validator) boolean(path string, val any) {
	if _, ok := val.(bool); !ok && val != nil {
		v.add(path, "must be a boolean")
	}
}

func (v *validator) object(path string, val any) (map[string]any, bool) {
	m, ok := val.(map[string]any)
	if !ok && val != nil {
		v.add(path, "must be an object")
	}
	return m, ok
}

func (v *validator) array(path string, val any) ([]any, bool) {
	a, ok := val.([]any)
	if !ok && val != nil {
		v.add(path, "must be an array")
	}
	return a, ok
}

func (v *validator) requiredString(path string, obj map[string]any, key string) string {
	val, present := obj[key]
	if !present || val == nil {
		v.add(join(path, key), "required")
		return ""
	}
	s, ok := v.str(join(path, key), val)
	if ok && strings.TrimSpace(s) == "" {
		v.add(join(path, key), "required")
	}
	return s
}

func (v *validator) page(path string, val any) {
	p, ok := v.object(path, val)
	if !ok {
		return
	}
	if id := v.requiredString(path, p, "id"); len(id) > 128 {
		v.add(join(path, "id"), "longer than 128 bytes")
	}
	if slug, ok := p["slug"].(string); ok {
		if msg := ValidSlug(slug); msg != "" {
			v.add(join(path, "slug"), msg)
		}
	} else {
		v.requiredString(path, p, "slug")
	}
	if t, present := p["tenantSlug"]; present && t != nil {
		if s, ok := v.str(join(path, "tenantSlug"), t); ok && s != "" && !validTenant(s) {
			v.add(join(path, "tenantSlug"), "must be 1-64 letters, digits, '-' or '_'")
		}
	}
	for _, k := range []string{"name", "title", "description", "publishedAt", "contentHash"} {
		if val, present := p[k]; present && val != nil {
			v.str(join(path, k), val)
		}
	}
	if css, present := p["cssBundle"]; present && css != nil {
		if s, ok := v.str(join(path, "cssBundle"), css); ok && len(s) > MaxCSSBundleLength {
			v.add(join(path, "cssBundle"), fmt.Sprintf("longer than %d bytes", MaxCSSBundleLength))
		}
	}
	for _, k := range []string{"isPublic", "isHomepage"} {
		if val, present := p[k]; present {
			v.boolean(join(path, k), val)
		}
	}
	if ver, present := p["version"]; present && ver != nil {
		if _, ok := ver.(json.Number); !ok {
			v.add(join(path, "version"), "must be a number")
		}
	}
	if seo, present := p["seoData"]; present && seo != nil {
		v.seo(join(path, "seoData"), seo)
	}
	if ds, present := p["datasources"]; present {
		v.array(join(path, "datasources"), ds)
	}
	layoutPath := join(path, "layoutData")
	layout, present := p["layoutData"]
	if !present || layout == nil {
		v.add(layoutPath, "required")
		return
	}
	l, ok := v.object(layoutPath, layout)
	if !ok {
		return
	}
	if root, present := l["root"]; present {
		v.object(join(layoutPath, "root"), root)
	}
	content, present := l["content"]
	if !present || content == nil {
		v.add(join(layoutPath, "content"), "required")
		return
	}
	v.components(join(layoutPath, "content"), content, 1)
}

func (v *validator) seo(path string, val any) {
	seo, ok := v.object(path, val)
	if !ok {
		return
	}
	for _, k := range []string{"title", "description", "ogImage", "canonical"} {
		if val, present := seo[k]; present && val != nil {
			v.str(join(path, k), val)
		}
	}
	if kw, present := seo["keywords"]; present && kw != nil {
		if list, ok := v.array(join(path, "keywords"), kw); ok {
			for i, k := range list {
				v.str(index(join(path, "keywords"), i), k)
			}
		}
	}
}

func (v *validator) components(path string, val any, depth int) {
	list, ok := v.array(path, val)
	if !ok {
		return
	}
	if depth > MaxComponentDepth {
		v.add(path, fmt.Sprintf("components nested deeper than %d levels", MaxComponentDepth))
		return
	}
	for i, c := range list {
		v.component(index(path, i), c, depth)
	}
}

func (v *validator) component(path string, val any, depth int) {
	v.count++
	if v.count == MaxComponents+1 {
		v.add(path, fmt.Sprintf("more than %d components in one page", MaxComponents))
	}
	if v.count > MaxComponents {
		return
	}
	c, ok := val.(map[string]any)
	if !ok {
		v.add(path, "must be an object")
		return
	}
	v.requiredString(path, c, "type")
	if id, present := c["id"]; present && id != nil {
		v.str(join(path, "id"), id)
	}
	if props, present := c["props"]; present {
		v.object(join(path, "props"), props)
	}
	for _, k := range []string{"styles", "stylesData"} {
		if s, present := c[k]; present && s != nil {
			v.style(join(path, k), s)
		}
	}
	if vis, present := c["visibility"]; present && vis != nil {
		if m, ok := v.object(join(path, "visibility"), vis); ok {
			for _, d := range []string{"mobile", "tablet", "desktop"} {
				if b, present := m[d]; present {
					v.boolean(join(join(path, "visibility"), d), b)
				}
			}
		}
	}
	if children, present := c["children"]; present && children != nil {
		v.components(join(path, "children"), children, depth+1)
	}
}

func (v *validator) style(path string, val any) {
	s, ok := v.object(path, val)
	if !ok {
		return
	}
	if values, present := s["values"]; present {
		v.object(join(path, "values"), values)
	}
	if active, present := s["activeProperties"]; present {
		v.array(join(path, "activeProperties"), active)
	}
	if mode, present := s["stylingMode"]; present && mode != nil {
		v.str(join(path, "stylingMode"), mode)
	}
	if vo, present := s["viewportOverrides"]; present && vo != nil {
		if m, ok := v.object(join(path, "viewportOverrides"), vo); ok {
			for k, o := range m {
				v.object(join(join(path, "viewportOverrides"), k), o)
			}
		}
	}
}

func validTenant(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
