package workflow

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// Expression bounds: a template's source, the nodes of one expression's
// syntax tree, and the memory one evaluation may allocate (expr's budget
// counts allocations by range, map, filter and the like, so loops over
// huge ranges stop early).
const (
	maxTemplateBytes = 16 << 10
	maxExprNodes     = 2000
	exprMemoryBudget = 200_000
)

// template is a compiled string input: literal text and expressions.
type template struct {
	parts []part
	lone  bool // exactly one {{ expr }}: the value keeps its type
}

type part struct {
	text string
	prog *vm.Program
	src  string
}

// patcher makes every member access optional (a missing path is null, as
// `?.` would be) and renames $env, which expr reserves for the whole
// environment, to a plain variable.
type patcher struct{}

func (patcher) Visit(n *ast.Node) {
	switch m := (*n).(type) {
	case *ast.MemberNode:
		if !m.Optional {
			m.Optional = true
			ast.Patch(n, &ast.ChainNode{Node: m})
		}
	case *ast.IdentifierNode:
		if m.Value == "$env" {
			m.Value = "__env"
		}
	}
}

// hasTemplate reports whether s holds a {{ ... }} expression.
func hasTemplate(s string) bool { return strings.Contains(s, "{{") }

// compileTemplate compiles s. Text without {{ is a literal.
func compileTemplate(s string) (*template, error) {
	if len(s) > maxTemplateBytes {
		return nil, fmt.Errorf("template is longer than %d bytes", maxTemplateBytes)
	}
	t := &template{}
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.parts = append(t.parts, part{text: rest})
			}
			break
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("unclosed {{ at offset %d", len(s)-len(rest)+i)
		}
		if i > 0 {
			t.parts = append(t.parts, part{text: rest[:i]})
		}
		src := strings.TrimSpace(rest[i+2 : i+2+j])
		if src == "" {
			return nil, fmt.Errorf("empty expression {{ }}")
		}
		prog, err := expr.Compile(src, expr.Patch(patcher{}), expr.MaxNodes(maxExprNodes))
		if err != nil {
			return nil, fmt.Errorf("expression %q: %s", src, firstLine(err.Error()))
		}
		t.parts = append(t.parts, part{prog: prog, src: src})
		rest = rest[i+2+j+2:]
	}
	// Lone: exactly one expression and nothing but space around it.
	progs := 0
	for _, p := range t.parts {
		if p.prog != nil {
			progs++
		} else if strings.TrimSpace(p.text) != "" {
			progs = 2
		}
	}
	if progs == 1 {
		for _, p := range t.parts {
			if p.prog != nil {
				t.parts, t.lone = []part{p}, true
			}
		}
	}
	return t, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// scope is what expressions see.
type scope map[string]any

func newScope(input, trigger any, nodes map[string]any, vars map[string]any, env map[string]any, now time.Time) scope {
	return scope{
		"$input": input, "$trigger": trigger, "$json": trigger, "$node": nodes,
		"$vars": vars, "__env": env, "$now": now,
	}
}

// eval runs the template: a lone expression keeps its type, anything else
// becomes a string.
func (t *template) eval(sc scope) (any, error) {
	if t.lone {
		return runProg(t.parts[0], sc)
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.prog == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := runProg(p, sc)
		if err != nil {
			return nil, err
		}
		b.WriteString(textOf(v))
	}
	return b.String(), nil
}

func runProg(p part, sc scope) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("expression %q: %v", p.src, r)
		}
	}()
	machine := vm.VM{MemoryBudget: exprMemoryBudget}
	v, err = machine.Run(p.prog, map[string]any(sc))
	if err != nil {
		return nil, fmt.Errorf("expression %q: %s", p.src, firstLine(err.Error()))
	}
	return v, nil
}

// textOf is how a value reads inside text: null is empty, strings as they
// are, anything else as JSON.
func textOf(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case time.Time:
		return t.UTC().Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
