package workflow

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
)

// node runs one node and returns its outputs.
func (st *run) node(n *Node, input any) (any, error) {
	if triggerTypes[n.Type] != "" {
		return input, nil
	}
	if st.secretsErr != nil {
		return nil, st.secretsErr
	}
	sc := st.scope(input)
	switch n.Type {
	case "http_request":
		return st.httpRequest(n, sc)
	case "transform":
		return st.transform(n, input, sc)
	case "condition":
		return st.condition(n, input, sc)
	case "log":
		msg, err := st.inputStr(n, "message", sc)
		if err != nil {
			return nil, err
		}
		level := cmp.Or(str(n.Inputs["level"]), "info")
		st.exec.Logs = append(st.exec.Logs, core.LogLine{NodeID: n.ID, Level: level, Message: msg, At: time.Now().UTC()})
		return input, nil
	case "set_variable":
		key, err := st.inputStr(n, "key", sc)
		if err != nil {
			return nil, err
		}
		value, err := st.input(n, "value", sc)
		if err != nil {
			return nil, err
		}
		scope := cmp.Or(str(n.Inputs["scope"]), "local")
		st.vars[key] = value
		st.exec.VariableMutations = append(st.exec.VariableMutations, core.Mutation{Scope: scope, Key: key, Value: value})
		st.exec.Effects = append(st.exec.Effects, core.Effect{"type": "setVariable", "name": key, "value": value, "scope": runtimeScope(scope)})
		return input, nil
	case "toast":
		e := core.Effect{"type": "toast"}
		for _, name := range []string{"title", "message", "variant", "duration"} {
			v, err := st.input(n, name, sc)
			if err != nil {
				return nil, err
			}
			if v != nil && v != "" {
				e[name] = v
			}
		}
		if e["message"] == nil {
			e["message"] = e["title"]
		}
		st.exec.Effects = append(st.exec.Effects, e)
		return input, nil
	case "redirect":
		url, err := st.inputStr(n, "url", sc)
		if err != nil {
			return nil, err
		}
		e := core.Effect{"type": "redirect", "url": url, "mode": cmp.Or(str(n.Inputs["mode"]), "same")}
		if truthy(n.Inputs["preserveParams"]) {
			e["preserveParams"] = true
		}
		st.exec.Effects = append(st.exec.Effects, e)
		return input, nil
	case "refresh":
		st.exec.Effects = append(st.exec.Effects, core.Effect{"type": "refresh", "hardRefresh": truthy(n.Inputs["hardRefresh"])})
		return input, nil
	case "http_response":
		return st.httpResponse(n, sc)
	case "data_request":
		return st.dataRequest(n, sc)
	}
	return nil, fmt.Errorf("node type %q cannot run", n.Type)
}

// runtimeScope maps set_variable scopes to the page runtime's names.
func runtimeScope(s string) string {
	if s == "cookies" {
		return "cookie"
	}
	return s
}

func (st *run) httpResponse(n *Node, sc scope) (any, error) {
	status := 200
	if v, err := st.input(n, "statusCode", sc); err != nil {
		return nil, err
	} else if v != nil && v != "" {
		code, err := strconv.Atoi(strings.TrimSpace(str(v)))
		if err != nil || code < 100 || code > 599 {
			return nil, fmt.Errorf("statusCode %q is not an HTTP status (100-599)", str(v))
		}
		status = code
	}
	ct := cmp.Or(str(n.Inputs["contentType"]), "application/json")
	var body any
	var err error
	if strings.Contains(ct, "json") {
		body, err = st.document(n, "body", sc)
	} else {
		body, err = st.input(n, "body", sc)
	}
	if err != nil {
		return nil, err
	}
	text, ok := body.(string)
	if !ok && body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("body cannot be encoded as JSON: %v", err)
		}
		text = string(b)
	}
	resp := &core.HTTPResponse{Status: status, ContentType: ct, Body: text}
	if truthy(n.Inputs["sendHeaders"]) || n.Inputs["headers"] != nil {
		hs, err := st.pairs(n, "headers", sc)
		if err != nil {
			return nil, err
		}
		resp.Headers = map[string]string{}
		for _, kv := range hs {
			resp.Headers[kv[0]] = kv[1]
		}
	}
	if st.exec.Response == nil {
		st.exec.Response = resp
	}
	return map[string]any{"statusCode": status, "contentType": ct, "body": text}, nil
}

// pairs reads a key/value input: a list of {name|key, value} or an object.
func (st *run) pairs(n *Node, name string, sc scope) ([][2]string, error) {
	v, err := st.input(n, name, sc)
	if err != nil {
		return nil, err
	}
	var out [][2]string
	switch t := v.(type) {
	case []any:
		for _, item := range t {
			m, _ := item.(map[string]any)
			k := cmp.Or(str(m["name"]), str(m["key"]))
			if k != "" {
				out = append(out, [2]string{k, str(m["value"])})
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(t) {
			out = append(out, [2]string{k, str(t[k])})
		}
	case string:
		if t == "" {
			return nil, nil
		}
		var m map[string]any
		if json.Unmarshal([]byte(t), &m) != nil {
			return nil, fmt.Errorf("input %s: expected key/value pairs", name)
		}
		for _, k := range sortedKeys(m) {
			out = append(out, [2]string{k, str(m[k])})
		}
	}
	return out, nil
}

// ---- condition

func (st *run) condition(n *Node, input any, sc scope) (any, error) {
	for i, r := range routesOf(n) {
		field, err := st.conditionField(r.Field, input, sc)
		if err != nil {
			return nil, fmt.Errorf("conditions[%d].field: %w", i, err)
		}
		want, err := st.resolve(r.Value, sc)
		if err != nil {
			return nil, fmt.Errorf("conditions[%d].value: %w", i, err)
		}
		ok, err := compare(r.Operator, field, want)
		if err != nil {
			return nil, fmt.Errorf("conditions[%d]: %w", i, err)
		}
		if ok {
			st.branch[n.ID] = cmp.Or(r.Name, r.ID)
			return input, nil
		}
	}
	switch str(n.Inputs["fallbackBehavior"]) {
	case "stop":
		st.branch[n.ID] = ""
	case "error":
		return nil, fmt.Errorf("no condition matched (fallbackBehavior: error)")
	default:
		st.branch[n.ID] = "else"
	}
	return input, nil
}

// conditionField is a template, or a dot path into the input.
func (st *run) conditionField(field string, input any, sc scope) (any, error) {
	if hasTemplate(field) {
		return st.resolve(field, sc)
	}
	return Lookup(input, field), nil
}

// Lookup follows a dot path (a.b.0.c) through maps and lists; missing is
// nil. The data proxy reads result paths with it too.
func Lookup(v any, path string) any {
	if path == "" {
		return v
	}
	for _, seg := range strings.Split(path, ".") {
		switch t := v.(type) {
		case map[string]any:
			v = t[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(t) {
				return nil
			}
			v = t[i]
		default:
			return nil
		}
	}
	return v
}

func empty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(t) == ""
	case []any:
		return len(t) == 0
	case map[string]any:
		return len(t) == 0
	}
	return false
}

func number(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		return f, err == nil
	case bool:
		return 0, false
	}
	return 0, false
}

// equal compares loosely: numbers as numbers, otherwise as text.
func equal(a, b any) bool {
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			return x == y
		}
	}
	if _, ok := a.(string); !ok {
		if _, ok := b.(string); !ok {
			return reflect.DeepEqual(a, b)
		}
	}
	return textOf(a) == textOf(b)
}

const maxRegexBytes = 1024

var regexCache = newBoundedCache[*regexp.Regexp](512)

func compare(op string, field, want any) (bool, error) {
	switch op {
	case "equals":
		return equal(field, want), nil
	case "notEquals":
		return !equal(field, want), nil
	case "contains", "notContains":
		var has bool
		if list, ok := field.([]any); ok {
			has = slices.ContainsFunc(list, func(x any) bool { return equal(x, want) })
		} else {
			has = field != nil && strings.Contains(textOf(field), textOf(want))
		}
		return has == (op == "contains"), nil
	case "greaterThan", "lessThan", "greaterThanOrEqual", "lessThanOrEqual":
		x, ok1 := number(field)
		y, ok2 := number(want)
		var c int
		switch {
		case ok1 && ok2:
			c = cmp.Compare(x, y)
		case field == nil:
			return false, nil
		default:
			c = strings.Compare(textOf(field), textOf(want))
		}
		switch op {
		case "greaterThan":
			return c > 0, nil
		case "lessThan":
			return c < 0, nil
		case "greaterThanOrEqual":
			return c >= 0, nil
		default:
			return c <= 0, nil
		}
	case "isEmpty":
		return empty(field), nil
	case "isNotEmpty":
		return !empty(field), nil
	case "startsWith":
		return field != nil && strings.HasPrefix(textOf(field), textOf(want)), nil
	case "endsWith":
		return field != nil && strings.HasSuffix(textOf(field), textOf(want)), nil
	case "regex":
		src := textOf(want)
		if len(src) > maxRegexBytes {
			return false, fmt.Errorf("regex is longer than %d bytes", maxRegexBytes)
		}
		re, ok := regexCache.get(src)
		if !ok {
			var err error
			if re, err = regexp.Compile(src); err != nil {
				return false, fmt.Errorf("not a valid regular expression: %v", err)
			}
			regexCache.put(src, re)
		}
		return field != nil && re.MatchString(textOf(field)), nil
	}
	return false, fmt.Errorf("unknown operator %q", op)
}
