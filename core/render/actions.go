package render

import (
	"bytes"
	"encoding/json"
	"strings"
)

// action is one actionBinding as the browser runtime receives it: only
// known fields, with URLs and names already checked. The runtime checks
// again before it acts.
type action struct {
	Trigger   string   `json:"on,omitempty"` // click (default), submit, load
	Type      string   `json:"type"`
	URL       string   `json:"url,omitempty"`    // openPage, redirect
	NewTab    bool     `json:"newTab,omitempty"` // openPage
	Target    string   `json:"target,omitempty"` // scrollToSection: element id; openModal: modal id
	Workflow  string   `json:"workflow,omitempty"`
	Var       *varSet  `json:"var,omitempty"` // setVariable
	OnSuccess []effect `json:"onSuccess,omitempty"`
}

type varSet struct {
	Name  string `json:"name"`
	Value any    `json:"value,omitempty"`
	Scope string `json:"scope"` // local, session, cookie, url
}

type effect struct {
	Type    string  `json:"type"` // toast, redirect, setVariable
	Message string  `json:"message,omitempty"`
	URL     string  `json:"url,omitempty"`
	Var     *varSet `json:"var,omitempty"`
}

// maxActions bounds the bindings of one element.
const maxActions = 16

// actionsOf reads actionBindings into what the runtime needs. Unknown
// action types and unsafe targets are dropped.
func (s *state) actionsOf(v any) []action {
	list, _ := v.([]any)
	var out []action
	for _, item := range list {
		if len(out) == maxActions {
			break
		}
		m, _ := item.(map[string]any)
		if m == nil {
			continue
		}
		cfg, _ := m["config"].(map[string]any)
		get := func(keys ...string) any {
			for _, k := range keys {
				if v, ok := cfg[k]; ok && v != nil {
					return v
				}
				if v, ok := m[k]; ok && v != nil {
					return v
				}
			}
			return nil
		}
		str := func(keys ...string) string {
			switch v := get(keys...).(type) {
			case string:
				return s.liquidText(v)
			}
			return ""
		}
		a := action{Trigger: trigger(propString(m, "trigger")), Type: propString(m, "actionType")}
		switch a.Type {
		case "openPage":
			u, ok := safeHref(str("pageUrl", "url", "href"))
			if !ok {
				continue
			}
			a.URL = u
			a.NewTab, _ = get("openInNewTab", "newTab").(bool)
		case "scrollToSection":
			a.Target = anchorToken(str("sectionId", "section", "target", "anchor", "elementId"))
			if a.Target == "" {
				continue
			}
		case "openModal":
			a.Target = anchorToken(str("modalId", "modal", "target"))
			if a.Target == "" {
				continue
			}
		case "runWorkflow":
			a.Workflow = idToken(str("workflowId", "workflow", "id"))
			if a.Workflow == "" {
				continue
			}
		case "setVariable":
			a.Var = s.varOf(get("variable", "variableName", "name"), get("value"), get("scope", "storage", "target"))
			if a.Var == nil {
				continue
			}
		default:
			continue
		}
		for _, e := range listOf(m["onSuccess"]) {
			if ef, ok := s.effectOf(e); ok {
				a.OnSuccess = append(a.OnSuccess, ef)
			}
		}
		if cfgSuccess := listOf(cfg["onSuccess"]); len(a.OnSuccess) == 0 {
			for _, e := range cfgSuccess {
				if ef, ok := s.effectOf(e); ok {
					a.OnSuccess = append(a.OnSuccess, ef)
				}
			}
		}
		out = append(out, a)
	}
	return out
}

// listOf accepts one object or a list of objects.
func listOf(v any) []map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return []map[string]any{x}
	case []any:
		var out []map[string]any
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

func (s *state) effectOf(m map[string]any) (effect, bool) {
	e := effect{Type: propString(m, "type")}
	switch e.Type {
	case "toast":
		e.Message = s.liquidText(propString(m, "message"))
		return e, e.Message != ""
	case "redirect":
		u, ok := safeHref(s.liquidText(firstString(m, "url", "pageUrl", "href")))
		e.URL = u
		return e, ok
	case "setVariable":
		e.Var = s.varOf(firstNonNil(m, "variable", "variableName", "name"), m["value"], firstNonNil(m, "scope", "storage"))
		return e, e.Var != nil
	}
	return e, false
}

func (s *state) varOf(name, value, scope any) *varSet {
	n, _ := name.(string)
	n = idToken(n)
	if n == "" {
		return nil
	}
	sc, _ := scope.(string)
	switch sc {
	case "local", "session", "cookie", "url":
	case "localStorage":
		sc = "local"
	case "sessionStorage":
		sc = "session"
	default:
		sc = "local"
	}
	switch x := value.(type) {
	case string:
		value = s.liquidText(x)
	case float64, bool, nil:
	default:
		value = nil
	}
	return &varSet{Name: n, Value: value, Scope: sc}
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := m[k].(string); ok && v != "" {
			return v
		}
	}
	return ""
}

func firstNonNil(m map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			return v
		}
	}
	return nil
}

func trigger(t string) string {
	switch strings.ToLower(strings.TrimPrefix(t, "on")) {
	case "submit":
		return "submit"
	case "load":
		return "load"
	}
	return ""
}

// idToken keeps [A-Za-z0-9_.-] of an id or variable name, up to 128 bytes,
// or returns "" when anything else is in it.
func idToken(v string) string {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 128 {
		return ""
	}
	for i := 0; i < len(v); i++ {
		if !isAnchorByte(v[i]) && v[i] != '.' {
			return ""
		}
	}
	return v
}

// anchorToken turns "#pricing" or "pricing" into an element id, as
// writeAnchor writes it.
func anchorToken(v string) string {
	v = strings.TrimPrefix(strings.TrimSpace(v), "#")
	var b strings.Builder
	for i := 0; i < len(v) && b.Len() < 128; i++ {
		if isAnchorByte(v[i]) {
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// writeActions writes data-fb-actions with the JSON of list.
func (s *state) writeActions(b *bytes.Buffer, list []action) {
	if len(list) == 0 {
		return
	}
	s.runtime = true
	for _, a := range list {
		if a.Type == "runWorkflow" || len(a.OnSuccess) > 0 {
			s.toast = true
		}
	}
	data, err := json.Marshal(list)
	if err != nil {
		return
	}
	writeAttr(b, "data-fb-actions", string(data))
}
