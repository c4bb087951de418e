// Package ratelimit holds the rate-limit rules an operator publishes and
// their enforcement: which rule a request falls under, whose budget it
// spends (its key), and the counting, atomic across instances in Redis (one
// Lua script, GCRA) or per instance in memory when no Redis is configured.
//
// The rules live in the state store and change like settings do: a write
// bumps the publish generation, and every instance reloads its rules once
// per generation, never per request.
package ratelimit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/frontbase/edge/core"
)

// Limits of a rule.
const (
	MaxRules         = 200
	MaxLimit         = 1_000_000
	MaxWindowSeconds = 7 * 24 * 3600
	maxIDLength      = 64
	maxPatternLength = 512
	maxFieldErrors   = 50
)

// Key kinds: whose budget a request spends.
const (
	KeyIP       = "ip"       // the client address (see clientip.Of)
	KeyPath     = "path"     // the request path: one budget per path, shared by everyone
	KeyWorkflow = "workflow" // the workflow id of a webhook or public execute, else the path
	KeyHeader   = "header:"  // "header:<Name>": the header's value (absent: one shared budget)
)

// Rule is one rate limit as published.
type Rule struct {
	ID            string   `json:"id"`
	PathPattern   string   `json:"pathPattern"`
	Methods       []string `json:"methods"`
	Limit         int64    `json:"limit"`
	WindowSeconds int64    `json:"windowSeconds"`
	Key           string   `json:"key"`
	FailClosed    bool     `json:"failClosed"`
}

// DecodeRule parses and validates one rule (the body of POST
// /api/ratelimits). Every problem is reported with its JSON path.
func DecodeRule(data []byte) (*Rule, error) {
	root, err := decodeGeneric(data)
	if err != nil {
		return nil, err
	}
	v := &validator{}
	r := v.rule("", root)
	if len(v.errs) > 0 {
		return nil, v.invalid()
	}
	return r, nil
}

// DecodeRules parses and validates a whole rule set: {"rules": [Rule...]}
// or a bare array, as a publish directory's ratelimits.json holds it.
// Ids must be distinct.
func DecodeRules(data []byte) ([]Rule, error) {
	root, err := decodeGeneric(data)
	if err != nil {
		return nil, err
	}
	v := &validator{}
	path := "$"
	if root == nil {
		// null is not an empty rule set: replacing every rule takes
		// {"rules": []}, said in so many words.
		v.add(path, `must be {"rules": [...]} or an array of rules (send {"rules": []} to remove every rule)`)
		return nil, v.invalid()
	}
	if obj, ok := root.(map[string]any); ok {
		for k := range obj {
			if k != "rules" {
				v.add(k, "unknown field (expected only rules)")
			}
		}
		root, path = obj["rules"], "rules"
		if root == nil {
			v.add("rules", "required")
		}
	}
	list, ok := root.([]any)
	if !ok && root != nil {
		v.add(path, "must be an array of rules")
	}
	if len(list) > MaxRules {
		v.add(path, fmt.Sprintf("at most %d rules", MaxRules))
		list = list[:MaxRules]
	}
	rules := make([]Rule, 0, len(list))
	seen := map[string]int{}
	for i, item := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		if path == "$" {
			p = fmt.Sprintf("[%d]", i)
		}
		r := v.rule(p, item)
		if r == nil {
			continue
		}
		if j, dup := seen[r.ID]; dup {
			v.add(p+".id", fmt.Sprintf("duplicate id %q (also at index %d)", r.ID, j))
			continue
		}
		seen[r.ID] = i
		rules = append(rules, *r)
	}
	if len(v.errs) > 0 {
		return nil, v.invalid()
	}
	return rules, nil
}

func decodeGeneric(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, &core.Error{Code: core.EINVALID, Message: "invalid JSON: " + err.Error()}
	}
	if dec.More() {
		return nil, core.Errorf(core.EINVALID, "invalid JSON: more than one value")
	}
	return root, nil
}

type validator struct{ errs []core.FieldError }

func (v *validator) add(path, msg string) {
	if len(v.errs) < maxFieldErrors {
		v.errs = append(v.errs, core.FieldError{Path: path, Message: msg})
	}
}

func (v *validator) invalid() error {
	return core.Invalid(v.errs)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var ruleFields = map[string]bool{"id": true, "pathPattern": true, "methods": true, "limit": true,
	"windowSeconds": true, "key": true, "failClosed": true}

// rule validates one rule at path and returns it, or nil when it has
// problems (they are in v.errs).
func (v *validator) rule(path string, val any) *Rule {
	before := len(v.errs)
	obj, ok := val.(map[string]any)
	if !ok {
		p := path
		if p == "" {
			p = "$"
		}
		v.add(p, "must be an object")
		return nil
	}
	for k := range obj {
		if !ruleFields[k] {
			v.add(join(path, k), "unknown field")
		}
	}
	r := &Rule{}
	r.ID = v.requiredString(path, obj, "id")
	if r.ID != "" && !validID(r.ID) {
		v.add(join(path, "id"), fmt.Sprintf("use 1 to %d letters, digits, '-', '_' or '.'", maxIDLength))
	}
	r.PathPattern = v.requiredString(path, obj, "pathPattern")
	if msg := validPattern(r.PathPattern); r.PathPattern != "" && msg != "" {
		v.add(join(path, "pathPattern"), msg)
	}
	r.Methods = []string{}
	if m, present := obj["methods"]; present && m != nil {
		list, ok := m.([]any)
		if !ok {
			v.add(join(path, "methods"), "must be an array of HTTP methods ([] for all)")
		}
		seen := map[string]bool{}
		for i, item := range list {
			p := fmt.Sprintf("%s[%d]", join(path, "methods"), i)
			s, ok := item.(string)
			if !ok {
				v.add(p, "must be a string")
				continue
			}
			s = strings.ToUpper(strings.TrimSpace(s))
			if !knownMethods[s] {
				v.add(p, fmt.Sprintf("%q is not an HTTP method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)", item))
				continue
			}
			if !seen[s] {
				seen[s] = true
				r.Methods = append(r.Methods, s)
			}
		}
	}
	r.Limit = v.integer(path, obj, "limit", 1, MaxLimit)
	r.WindowSeconds = v.integer(path, obj, "windowSeconds", 1, MaxWindowSeconds)
	r.Key = v.requiredString(path, obj, "key")
	if msg := validKey(r.Key); r.Key != "" && msg != "" {
		v.add(join(path, "key"), msg)
	}
	if f, present := obj["failClosed"]; present && f != nil {
		b, ok := f.(bool)
		if !ok {
			v.add(join(path, "failClosed"), "must be a boolean")
		}
		r.FailClosed = b
	}
	if len(v.errs) > before {
		return nil
	}
	return r
}

func (v *validator) requiredString(path string, obj map[string]any, key string) string {
	val, present := obj[key]
	if !present || val == nil {
		v.add(join(path, key), "required")
		return ""
	}
	s, ok := val.(string)
	if !ok {
		v.add(join(path, key), "must be a string")
		return ""
	}
	if s == "" {
		v.add(join(path, key), "must not be empty")
	}
	return s
}

func (v *validator) integer(path string, obj map[string]any, key string, lo, hi int64) int64 {
	val, present := obj[key]
	if !present || val == nil {
		v.add(join(path, key), "required")
		return 0
	}
	num, ok := val.(json.Number)
	if !ok {
		v.add(join(path, key), "must be a number")
		return 0
	}
	n, err := strconv.ParseInt(num.String(), 10, 64)
	if err != nil || n < lo || n > hi {
		v.add(join(path, key), fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
		return 0
	}
	return n
}

var knownMethods = map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodPost: true,
	http.MethodPut: true, http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true}

func validID(id string) bool {
	if len(id) > maxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// validPattern reports why a path pattern is unacceptable, or "".
func validPattern(p string) string {
	switch {
	case len(p) > maxPatternLength:
		return fmt.Sprintf("longer than %d bytes", maxPatternLength)
	case p != "*" && !strings.HasPrefix(p, "/"):
		return `must start with "/" (or be "*" for every path)`
	case strings.Contains(p, "**"):
		return `"**" is not needed: "*" already matches across "/"`
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x21 || p[i] > 0x7e || p[i] == '?' || p[i] == '#' {
			return "may hold only printable ASCII path characters (no spaces, '?' or '#')"
		}
	}
	return ""
}

// validKey reports why a key kind is unacceptable, or "".
func validKey(k string) string {
	switch k {
	case KeyIP, KeyPath, KeyWorkflow:
		return ""
	}
	if name, ok := strings.CutPrefix(k, KeyHeader); ok {
		if name == "" || len(name) > 128 || !headerToken(name) {
			return `"header:" must be followed by a header name, e.g. "header:X-Api-Key"`
		}
		return ""
	}
	return `must be "ip", "path", "workflow" or "header:<Name>"`
}

func headerToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
