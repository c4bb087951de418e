package ratelimit

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
)

// compiled is a rule ready to match: its pattern split at '*'.
type compiled struct {
	Rule
	parts    []string // the pattern split at '*'; one part means an exact path
	literals int      // bytes of the pattern that are not '*'
	methods  uint8    // bit set of methodBits; 0: every method
	header   string   // canonical header name for "header:<Name>" keys
}

var methodBits = map[string]uint8{http.MethodGet: 1, http.MethodHead: 2, http.MethodPost: 4,
	http.MethodPut: 8, http.MethodPatch: 16, http.MethodDelete: 32, http.MethodOptions: 64}

// compile orders rules from the most specific to the least: an exact path
// before any pattern, then more literal characters first, then fewer
// wildcards, then by id. The first rule that matches a request is the one
// that applies, so "/api/webhook/orders" can have its own limit beside a
// catch-all "/api/webhook/*" without spending both budgets.
func compile(rules []Rule) []compiled {
	out := make([]compiled, 0, len(rules))
	for _, r := range rules {
		c := compiled{Rule: r, parts: strings.Split(r.PathPattern, "*")}
		c.literals = len(r.PathPattern) - (len(c.parts) - 1)
		for _, m := range r.Methods {
			c.methods |= methodBits[m]
		}
		if name, ok := strings.CutPrefix(r.Key, KeyHeader); ok {
			c.header = http.CanonicalHeaderKey(name)
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b compiled) int {
		if ea, eb := len(a.parts) == 1, len(b.parts) == 1; ea != eb {
			if ea {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(b.literals, a.literals), cmp.Compare(len(a.parts), len(b.parts)), strings.Compare(a.ID, b.ID))
	})
	return out
}

// match finds the rule for a request, or nil. It allocates nothing.
func match(rules []compiled, method, path string) *compiled {
	var bit uint8
	for i := range rules {
		c := &rules[i]
		if c.methods != 0 {
			if bit == 0 {
				bit = methodBits[method]
				if bit == 0 {
					bit = 128 // an unknown method matches only rules for every method
				}
			}
			if c.methods&bit == 0 {
				continue
			}
		}
		if globMatch(c.parts, path) {
			return c
		}
	}
	return nil
}

// globMatch reports whether path matches the pattern split at '*' into
// parts; '*' matches any run of characters, '/' included.
func globMatch(parts []string, path string) bool {
	if len(parts) == 1 {
		return parts[0] == path
	}
	first, last := parts[0], parts[len(parts)-1]
	if len(path) < len(first)+len(last) || !strings.HasPrefix(path, first) || !strings.HasSuffix(path, last) {
		return false
	}
	rest := path[len(first) : len(path)-len(last)]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return true
}

// workflowPrefixes are the public routes that run a workflow by id.
var workflowPrefixes = []string{"/api/webhook/", "/api/public/execute/"}

// WorkflowID returns the workflow id a public workflow route names, or "".
func WorkflowID(path string) string {
	for _, p := range workflowPrefixes {
		if id, ok := strings.CutPrefix(path, p); ok && id != "" && !strings.Contains(id, "/") {
			return id
		}
	}
	return ""
}
