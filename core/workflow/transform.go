package workflow

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// transform runs the data operations. List operations work on the input
// when it is a list, else on its data (or items) list; field operations
// work on the input object, or on each object of a list.
func (st *run) transform(n *Node, input any, sc scope) (any, error) {
	op := str(n.Inputs["operation"])
	var data any
	var err error
	switch op {
	case "setFields":
		data, err = st.setFields(n, input, sc)
	case "extractField":
		data, err = st.extractField(n, input, sc)
	case "renameFields":
		data, err = st.renameFields(n, input, sc)
	case "keepFields", "removeFields":
		data, err = st.selectFields(n, op, input, sc)
	case "filterItems":
		data, err = st.filterItems(n, input, sc)
	case "sortItems":
		data, err = st.sortItems(n, input, sc)
	case "limitItems":
		data, err = st.limitItems(n, input, sc)
	case "customCode":
		data, err = st.customCode(n, input, sc) // customcode.go
	default:
		return nil, fmt.Errorf("operation %q is not supported", op)
	}
	if err != nil {
		return nil, err
	}
	count := 1
	switch t := data.(type) {
	case []any:
		count = len(t)
	case nil:
		count = 0
	}
	return map[string]any{"data": data, "count": count}, nil
}

// setFields sets fieldsToSet on every object of input.
func (st *run) setFields(n *Node, input any, sc scope) (any, error) {
	fields, err := st.pairsAny(n, "fieldsToSet", sc)
	if err != nil {
		return nil, err
	}
	return eachObject(input, func(m map[string]any) map[string]any {
		for _, kv := range fields {
			m[kv.k] = kv.v
		}
		return m
	}), nil
}

// extractField is the value at extractPath ($input. or $json. optional).
func (st *run) extractField(n *Node, input any, sc scope) (any, error) {
	path, err := st.inputStr(n, "extractPath", sc)
	if err != nil {
		return nil, err
	}
	return Lookup(input, strings.TrimPrefix(strings.TrimPrefix(path, "$input."), "$json.")), nil
}

// renameFields renames the fields of fieldsToRename (from, to) on every
// object of input that has them.
func (st *run) renameFields(n *Node, input any, sc scope) (any, error) {
	pairs, err := st.pairs(n, "fieldsToRename", sc)
	if err != nil {
		return nil, err
	}
	return eachObject(input, func(m map[string]any) map[string]any {
		for _, kv := range pairs {
			if v, ok := m[kv[0]]; ok {
				delete(m, kv[0])
				m[kv[1]] = v
			}
		}
		return m
	}), nil
}

// selectFields keeps (op keepFields) or removes (removeFields) the listed
// fields of every object of input; the list is the op's input, else fields.
func (st *run) selectFields(n *Node, op string, input any, sc scope) (any, error) {
	list, err := st.inputStr(n, op, sc)
	if err != nil {
		return nil, err
	}
	if list == "" {
		list, _ = st.inputStr(n, "fields", sc)
	}
	names := splitList(list)
	return eachObject(input, func(m map[string]any) map[string]any {
		for k := range m {
			if slices.Contains(names, k) != (op == "keepFields") {
				delete(m, k)
			}
		}
		return m
	}), nil
}

// filterItems keeps the items whose filterField compares to filterValue
// with filterOperator (equals by default).
func (st *run) filterItems(n *Node, input any, sc scope) (any, error) {
	field, err := st.inputStr(n, "filterField", sc)
	if err != nil {
		return nil, err
	}
	want, err := st.input(n, "filterValue", sc)
	if err != nil {
		return nil, err
	}
	operator := cmp.Or(str(n.Inputs["filterOperator"]), "equals")
	var out []any
	for _, item := range itemsOf(input) {
		ok, err := compare(operator, Lookup(item, field), want)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, item)
		}
	}
	return orEmpty(out), nil
}

// sortItems sorts the items by sortField, stably: numbers by value when
// both are numbers, anything else by its text.
func (st *run) sortItems(n *Node, input any, sc scope) (any, error) {
	field, err := st.inputStr(n, "sortField", sc)
	if err != nil {
		return nil, err
	}
	desc := strings.EqualFold(str(n.Inputs["sortOrder"]), "desc") || strings.EqualFold(str(n.Inputs["sortOrder"]), "descending")
	out := slices.Clone(itemsOf(input))
	slices.SortStableFunc(out, func(a, b any) int {
		x, y := Lookup(a, field), Lookup(b, field)
		var c int
		if fx, ok := number(x); ok {
			if fy, ok := number(y); ok {
				c = cmp.Compare(fx, fy)
			} else {
				c = strings.Compare(textOf(x), textOf(y))
			}
		} else {
			c = strings.Compare(textOf(x), textOf(y))
		}
		if desc {
			return -c
		}
		return c
	})
	return orEmpty(out), nil
}

// limitItems skips skipCount items and keeps at most limitCount of the
// rest (all when limitCount is negative or unset).
func (st *run) limitItems(n *Node, input any, sc scope) (any, error) {
	limit, err := st.intInput(n, "limitCount", sc, -1)
	if err != nil {
		return nil, err
	}
	skip, err := st.intInput(n, "skipCount", sc, 0)
	if err != nil {
		return nil, err
	}
	items := itemsOf(input)
	skip = min(max(skip, 0), len(items))
	items = items[skip:]
	if limit >= 0 && limit < len(items) {
		items = items[:limit]
	}
	return orEmpty(items), nil
}

func orEmpty(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

func (st *run) intInput(n *Node, name string, sc scope, def int) (int, error) {
	v, err := st.input(n, name, sc)
	if err != nil {
		return 0, err
	}
	if v == nil || v == "" {
		return def, nil
	}
	f, ok := number(v)
	if !ok {
		return 0, fmt.Errorf("input %s: %q is not a number", name, str(v))
	}
	return int(f), nil
}

type kv struct {
	k string
	v any
}

// pairsAny is pairs keeping each value's type.
func (st *run) pairsAny(n *Node, name string, sc scope) ([]kv, error) {
	v, err := st.input(n, name, sc)
	if err != nil {
		return nil, err
	}
	var out []kv
	switch t := v.(type) {
	case []any:
		for _, item := range t {
			m, _ := item.(map[string]any)
			if k := cmp.Or(str(m["name"]), str(m["key"])); k != "" {
				out = append(out, kv{k, m["value"]})
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(t) {
			out = append(out, kv{k, t[k]})
		}
	case nil:
	case string:
		if t != "" {
			return nil, fmt.Errorf("input %s: expected fields as an object or a list of {name, value}", name)
		}
	default:
		return nil, fmt.Errorf("input %s: expected fields as an object or a list of {name, value}", name)
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// itemsOf is the list a list operation works on.
func itemsOf(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case map[string]any:
		for _, k := range []string{"data", "items", "rows", "body"} {
			if l, ok := t[k].([]any); ok {
				return l
			}
		}
	}
	return nil
}

// eachObject applies f to a copy of the input object, or of each object in
// a list; anything else becomes an empty object first.
func eachObject(v any, f func(map[string]any) map[string]any) any {
	if l, ok := v.([]any); ok {
		out := make([]any, len(l))
		for i, item := range l {
			m, _ := item.(map[string]any)
			out[i] = f(cloneMap(m))
		}
		return out
	}
	m, _ := v.(map[string]any)
	return f(cloneMap(m))
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return maps.Clone(m)
}

// boundedCache is a small concurrent map that forgets everything when full.
type boundedCache[V any] struct {
	mu  sync.RWMutex
	max int
	m   map[string]V
}

func newBoundedCache[V any](max int) *boundedCache[V] {
	return &boundedCache[V]{max: max, m: map[string]V{}}
}

func (c *boundedCache[V]) get(k string) (V, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *boundedCache[V]) put(k string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = v
}
