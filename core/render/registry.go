package render

import (
	"maps"
	"slices"

	"github.com/frontbase/edge/core"
)

// renderFunc writes one component (and its children, for those that hold
// any) at depth in the tree to s.body.
type renderFunc func(s *state, c *core.Component, depth int)

// registry maps every component type the renderer knows to its render
// function. It is filled once, when the package loads, from the families'
// tables (one file each) and only read after; a type in none of them
// renders as a placeholder (state.unknown).
var registry map[string]renderFunc

// families lists the tables registry is built from. Adding a component
// type is one entry in its family's table; adding a family is a table in
// a file of its own and a line here.
func families() []map[string]renderFunc {
	return []map[string]renderFunc{
		layoutComponents,      // layout.go
		textComponents,        // text.go
		mediaComponents,       // media.go
		interactiveComponents, // interactive.go
		formComponents,        // forms.go
		sectionComponents,     // sections.go
		dataComponents,        // databound.go
	}
}

// init builds registry. It is not the initialiser of registry because
// render functions reach registry again through state.children, which
// would be an initialisation cycle.
func init() {
	registry = map[string]renderFunc{}
	for _, family := range families() {
		for typ, render := range family {
			if _, dup := registry[typ]; dup {
				panic("render: component type " + typ + " registered twice")
			}
			registry[typ] = render
		}
	}
}

// leaf adapts the render method of a component that holds no children.
func leaf(render func(*state, *core.Component)) renderFunc {
	return func(s *state, c *core.Component, _ int) { render(s, c) }
}

// catalogueTypes lists every component type rendered (not as a
// placeholder), sorted, for tests and documentation.
func catalogueTypes() []string {
	return slices.Sorted(maps.Keys(registry))
}

// unknown renders a type the registry does not hold: a neutral
// placeholder that keeps its children, logged once per type.
func (s *state) unknown(c *core.Component, depth int) {
	b := &s.body
	s.r.warnUnknown(c.Type)
	s.fixed |= fixedPlaceholder
	s.open(c, "div", "fb-placeholder", "", s.rule(c, nil))
	writeAttr(b, "data-fb-type", c.Type)
	b.WriteByte('>')
	s.children(c, depth)
	b.WriteString("</div>")
}
