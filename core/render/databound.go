package render

import (
	"encoding/json"

	"github.com/frontbase/edge/core"
)

// dataComponents show data from a binding. Each entry is one call, so that
// a component's server-side rendering replaces its placeholder in one line.
var dataComponents = map[string]renderFunc{
	"DataTable": func(s *state, c *core.Component, _ int) { s.dataTable(c) }, // datatable.go
	"InfoList":  func(s *state, c *core.Component, _ int) { s.dataPlaceholder(c, "list") },
	"Chart":     func(s *state, c *core.Component, _ int) { s.dataPlaceholder(c, "chart") },
	"KPICard":   func(s *state, c *core.Component, _ int) { s.dataPlaceholder(c, "figure") },
	"Repeater":  func(s *state, c *core.Component, _ int) { s.dataPlaceholder(c, "list of items") },
}

// dataPlaceholder renders a data component whose data loads later: a
// well-formed, labelled region that says what will be there.
func (s *state) dataPlaceholder(c *core.Component, what string) {
	b := &s.body
	s.fixed |= fixedData
	s.open(c, "section", "fb-data", "", s.rule(c, nil))
	writeAttr(b, "data-fb-type", c.Type)
	b.WriteString(` aria-busy="true">`)
	s.dataTitle(c)
	b.WriteString(`<p class="fb-muted">`)
	msg := "This " + what + " shows live data"
	if src := bindingSource(c.Binding); src != "" {
		msg += " from " + src
	}
	escape(b, msg+"; it loads when data binding is available.")
	b.WriteString("</p></section>")
}

// bindingSource names the table or data source of a binding, if it says.
func bindingSource(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	for _, k := range [...]string{"tableName", "table", "dataSource", "source", "collection"} {
		if v, ok := m[k].(string); ok && v != "" && len(v) <= 64 {
			return v
		}
	}
	return ""
}

// dataTitle writes a data component's title (its label) as the region's
// heading, when it has one, and returns it.
func (s *state) dataTitle(c *core.Component) string {
	title := s.labelOf(c.Props)
	if title != "" {
		s.body.WriteString("<h3>")
		escape(&s.body, title)
		s.body.WriteString("</h3>")
	}
	return title
}
