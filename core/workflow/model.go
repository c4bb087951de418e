// Package workflow is the actions engine: it parses the workflows the
// builder deploys (docs/workflow-format.md), validates them at deploy time,
// and executes them as a DAG with branch pruning, bounded expressions and
// an SSRF-guarded HTTP client.
package workflow

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/frontbase/edge/core"
)

// Node is one parsed node: its type, label and inputs by name.
type Node struct {
	ID     string
	Type   string
	Label  string
	Inputs map[string]any
	path   string // "nodes[i]", for errors
	index  int
}

// Edge connects two nodes; Handle is the source output (a condition's
// route name or "else"), empty for a plain edge.
type Edge struct {
	Source, Target, Handle string
}

// Graph is a parsed, validated workflow ready to run. Every template in
// it is compiled once, when the graph is built.
type Graph struct {
	Workflow *core.Workflow
	Nodes    []*Node
	Trigger  *Node
	Settings map[string]any
	Opts     Settings // Settings read, with the builder's defaults (settings.go)
	byID     map[string]*Node
	in, out  map[string][]Edge
	order    []*Node // topological
	tmpl     map[string]*template
	plan     *plan // the scheduler's index of order (parallel.go)
}

type rawNode struct {
	ID     string          `json:"id"`
	Type   string          `json:"type"`
	Inputs json.RawMessage `json:"inputs"`
	Data   *struct {
		Label  string          `json:"label"`
		Type   string          `json:"type"`
		Inputs json.RawMessage `json:"inputs"`
	} `json:"data"`
}

type rawEdge struct {
	Source       string `json:"source"`
	Target       string `json:"target"`
	SourceHandle string `json:"sourceHandle"`
	SourceOutput string `json:"sourceOutput"`
}

// decodeInputs reads a node's inputs: a list of {name, type, value}, or
// (tolerated) an object of name to value.
func decodeInputs(raw json.RawMessage) (map[string]any, error) {
	out := map[string]any{}
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	var list []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	}
	if err := json.Unmarshal(raw, &list); err == nil {
		for _, in := range list {
			if in.Name != "" {
				out[in.Name] = in.Value
			}
		}
		return out, nil
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("expected a list of {name, type, value}")
	}
	return out, nil
}

// Issues collects problems found in a workflow, by JSON path.
type Issues struct {
	Errors   []core.FieldError
	Warnings []core.FieldError
}

func (is *Issues) errorf(path, format string, args ...any) {
	is.Errors = append(is.Errors, core.FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (is *Issues) warnf(path, format string, args ...any) {
	is.Warnings = append(is.Warnings, core.FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

// Err returns the errors as one EINVALID error, or nil.
func (is *Issues) Err() error {
	if len(is.Errors) == 0 {
		return nil
	}
	return &core.Error{Code: core.EINVALID, Message: "the workflow is not valid: " + is.Errors[0].String(), Details: is.Errors}
}

// str reads an input as a string (numbers and booleans as their JSON).
func str(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case float64, bool, int, int64, json.Number:
		b, _ := json.Marshal(t)
		return string(b)
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

func truthy(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		s := strings.ToLower(strings.TrimSpace(t))
		return s == "true" || s == "1" || s == "yes" || s == "on"
	case float64:
		return t != 0
	}
	return false
}
