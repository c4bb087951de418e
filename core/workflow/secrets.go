package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/secrets"
)

// SecretSource resolves the engine tenant's secret blobs (core/secrets):
// expressions read them as $secrets.KIND..., e.g.
// {{ $secrets.integrations.acct_1.api_key }}.
type SecretSource interface {
	Resolve(ctx context.Context) (*secrets.Resolved, error)
}

// minRedacted is the shortest secret string redacted from records: shorter
// strings (a port, "true") would blank out ordinary output.
const minRedacted = 6

// redactedMark replaces a secret in execution records.
const redactedMark = "[redacted]"

// usesSecrets reports whether any expression of g mentions $secrets.
func (g *Graph) usesSecrets() bool {
	for src := range g.tmpl {
		if strings.Contains(src, "$secrets") {
			return true
		}
	}
	return false
}

// loadSecrets resolves $secrets for an execution of a graph that reads
// them. The values stay in this run's memory; every string among them is
// redacted from the record when the run ends. A failure to read them (or
// to open a kind the graph names) is kept as the error of the first node
// that runs, without any secret in it.
func (st *run) loadSecrets() {
	if st.r.Secrets == nil || !st.g.usesSecrets() {
		return
	}
	res, err := st.r.Secrets.Resolve(st.ctx)
	if err != nil {
		st.secretsErr = fmt.Errorf("tenant secrets could not be read: %s", core.ErrorMessage(err))
		return
	}
	st.secrets = deepCopy(res.Values).(map[string]any) // the cached values stay untouched
	for _, kind := range slices.Sorted(mapKeys(res.Failed)) {
		if st.g.namesKind(kind) {
			st.secretsErr = fmt.Errorf("tenant secret %q cannot be used: %v", kind, res.Failed[kind])
			break
		}
	}
	collectStrings(res.Values, &st.redact)
	slices.SortFunc(st.redact, func(a, b string) int { return len(b) - len(a) }) // longest first
	st.redact = slices.Compact(st.redact)
}

// namesKind reports whether an expression may read $secrets.kind: it
// names it ($secrets.kind, $secrets?.kind, $secrets["kind"]) or reads
// $secrets whole or by a computed key.
func (g *Graph) namesKind(kind string) bool {
	for src := range g.tmpl {
		for rest := src; ; {
			i := strings.Index(rest, "$secrets")
			if i < 0 {
				break
			}
			rest = rest[i+len("$secrets"):]
			after := strings.TrimLeft(rest, " ")
			switch {
			case strings.HasPrefix(after, "?."):
				after = after[2:]
			case strings.HasPrefix(after, "."):
				after = after[1:]
			case strings.HasPrefix(after, "["):
				after = strings.TrimLeft(after[1:], " ")
				if after == "" || (after[0] != '"' && after[0] != '\'') {
					return true // a computed key
				}
				after = after[1:]
			default:
				return true // $secrets whole
			}
			if strings.HasPrefix(after, kind) && (len(after) == len(kind) || !isIdentByte(after[len(kind)])) {
				return true
			}
		}
	}
	return false
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

func collectStrings(v any, out *[]string) {
	switch t := v.(type) {
	case string:
		if len(t) >= minRedacted {
			*out = append(*out, t)
		}
	case map[string]any:
		for _, x := range t {
			collectStrings(x, out)
		}
	case []any:
		for _, x := range t {
			collectStrings(x, out)
		}
	}
}

// redactRecord replaces every secret string in the record (node outputs
// and errors, logs, effects, variables, the result, the error) with
// [redacted]. The record is rewritten through its JSON only when a secret
// is in it.
func redactRecord(e *core.Execution, values []string) error {
	if len(values) == 0 {
		return nil
	}
	doc, err := json.Marshal(e)
	if err != nil {
		return err
	}
	text := string(doc)
	found := false
	for _, v := range values {
		q, _ := json.Marshal(v) // the secret as it appears inside a JSON string
		inner := string(q[1 : len(q)-1])
		if strings.Contains(text, inner) {
			text = strings.ReplaceAll(text, inner, redactedMark)
			found = true
		}
	}
	if !found {
		return nil
	}
	var clean core.Execution
	if err := json.Unmarshal([]byte(text), &clean); err != nil {
		return err
	}
	*e = clean
	return nil
}
