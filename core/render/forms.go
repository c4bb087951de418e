package render

import (
	"strconv"

	"github.com/frontbase/edge/core"
)

// formComponents are the form and the inputs placed on their own.
var formComponents = map[string]renderFunc{
	"Form":       leaf((*state).form),
	"Switch":     leaf((*state).checkbox),
	"Checkbox":   leaf((*state).checkbox),
	"Radio":      leaf((*state).radio),
	"RadioGroup": leaf((*state).radio),
}

// checkbox renders a Checkbox, or a Switch (a checkbox with the switch
// role), inside its label.
func (s *state) checkbox(c *core.Component) {
	b := &s.body
	s.fixed |= fixedForm
	s.open(c, "label", "fb-check", "", s.rule(c, nil))
	b.WriteString(`><input type="checkbox"`)
	if c.Type == "Switch" {
		b.WriteString(` role="switch"`)
	}
	if n := idToken(propString(c.Props, "name")); n != "" {
		writeAttr(b, "name", n)
	}
	if v, _ := c.Props["checked"].(bool); v {
		b.WriteString(" checked")
	} else if v, _ := c.Props["defaultChecked"].(bool); v {
		b.WriteString(" checked")
	}
	b.WriteString("> <span>")
	escape(b, s.labelOf(c.Props))
	b.WriteString("</span></label>")
}

// radio renders a group of radio buttons in a fieldset, the one whose
// value is the value prop checked.
func (s *state) radio(c *core.Component) {
	b := &s.body
	s.fixed |= fixedForm
	s.open(c, "fieldset", "fb-radio", "", s.rule(c, nil))
	b.WriteString("><legend>")
	escape(b, s.labelOf(c.Props))
	b.WriteString("</legend>")
	name := idToken(propString(c.Props, "name"))
	if name == "" {
		name = "radio-" + strconv.Itoa(s.nextID())
	}
	def := propString(c.Props, "value")
	for _, o := range listOf(c.Props["options"]) {
		v := propString(o, "value")
		b.WriteString(`<label class="fb-check"><input type="radio"`)
		writeAttr(b, "name", name)
		writeAttr(b, "value", v)
		if v != "" && v == def {
			b.WriteString(" checked")
		}
		b.WriteString("> <span>")
		l := s.text(o, "label")
		if l == "" {
			l = v
		}
		escape(b, l)
		b.WriteString("</span></label>")
	}
	b.WriteString("</fieldset>")
}

// form renders a real HTML form from its fields. The runtime submits it to
// its workflow; without the runtime it posts to the same URL.
func (s *state) form(c *core.Component) {
	b := &s.body
	s.fixed |= fixedForm | fixedButton
	acts := s.actionsOf(c.Props["actionBindings"])
	for i := range acts {
		if acts[i].Type == "runWorkflow" && acts[i].Trigger == "" {
			acts[i].Trigger = "submit"
		}
	}
	formID := "fb-form-" + strconv.Itoa(s.nextID())
	s.open(c, "form", "fb-form", "", s.rule(c, nil))
	b.WriteString(` method="post"`)
	var run *action
	for i := range acts {
		if acts[i].Type == "runWorkflow" {
			run = &acts[i]
			writeAttr(b, "action", "/api/public/execute/"+run.Workflow)
			break
		}
	}
	s.writeActions(b, acts)
	b.WriteByte('>')
	if t := s.text(c.Props, "title"); t != "" {
		b.WriteString("<h2>")
		escape(b, t)
		b.WriteString("</h2>")
	}
	if run != nil {
		s.formOutcome(c, run, formID)
	}
	for i, f := range listOf(c.Props["fields"]) {
		s.formField(f, formID, i)
	}
	label := s.text(c.Props, "submitLabel")
	if label == "" {
		label = "Submit"
	}
	b.WriteString(`<button type="submit" class="fb-button fb-button-default fb-button-md">`)
	escape(b, label)
	b.WriteString("</button></form>")
}

// formOutcome writes the hidden fields a post without JavaScript needs
// and the notes its answer shows: the engine answers with a 303 back
// here, to #<formID>-done or #<formID>-failed (core/api/forms.go).
func (s *state) formOutcome(c *core.Component, run *action, formID string) {
	b := &s.body
	b.WriteString(`<input type="hidden" name="_fb_page"`)
	writeAttr(b, "value", s.in.Path)
	b.WriteString(`><input type="hidden" name="_fb_form" value="` + formID + `">`)
	if c.ID != "" {
		b.WriteString(`<input type="hidden" name="_fb_component"`)
		writeAttr(b, "value", c.ID)
		b.WriteByte('>')
	}
	done := "Thanks, we received it."
	for _, e := range run.OnSuccess {
		if e.Type == "toast" {
			done = e.Message
			break
		}
	}
	b.WriteString(`<p class="fb-form-msg" id="` + formID + `-done" role="status">`)
	escape(b, done)
	b.WriteString(`</p><p class="fb-form-msg fb-form-failed" id="` + formID + `-failed" role="alert">Something went wrong. Please try again.</p>`)
}

// formField writes the i-th field f of a form, with its label; a field
// without a usable name is left out.
func (s *state) formField(f map[string]any, formID string, i int) {
	b := &s.body
	name := idToken(propString(f, "name"))
	if name == "" {
		return
	}
	id := formID + "-" + strconv.Itoa(i)
	typ := propString(f, "type")
	label := s.text(f, "label")
	if label == "" {
		label = name
	}
	req, _ := f["required"].(bool)
	if typ == "checkbox" {
		b.WriteString(`<label class="fb-check"><input type="checkbox"`)
		writeAttr(b, "name", name)
		if req {
			b.WriteString(" required")
		}
		b.WriteString("> <span>")
		escape(b, label)
		b.WriteString("</span></label>")
		return
	}
	b.WriteString(`<div class="fb-field"><label for="` + id + `">`)
	escape(b, label)
	b.WriteString("</label>")
	switch typ {
	case "textarea":
		b.WriteString(`<textarea id="` + id + `"`)
	case "select":
		b.WriteString(`<select id="` + id + `"`)
	default:
		switch typ {
		case "email", "tel", "number", "url", "password", "date", "time", "datetime-local", "search":
		default:
			typ = "text"
		}
		b.WriteString(`<input type="` + typ + `" id="` + id + `"`)
	}
	writeAttr(b, "name", name)
	if ph := s.text(f, "placeholder"); ph != "" {
		writeAttr(b, "placeholder", ph)
	}
	if req {
		b.WriteString(" required")
	}
	switch typ {
	case "textarea":
		b.WriteString(` rows="4"></textarea>`)
	case "select":
		b.WriteByte('>')
		for _, o := range optionsOf(f["options"]) {
			b.WriteString("<option")
			writeAttr(b, "value", o[0])
			b.WriteByte('>')
			escape(b, o[1])
			b.WriteString("</option>")
		}
		b.WriteString("</select>")
	default:
		b.WriteByte('>')
	}
	b.WriteString("</div>")
}

// optionsOf reads select options: strings or {value, label}.
func optionsOf(v any) [][2]string {
	list, _ := v.([]any)
	var out [][2]string
	for _, o := range list {
		switch x := o.(type) {
		case string:
			out = append(out, [2]string{x, x})
		case map[string]any:
			val, lab := propString(x, "value"), propString(x, "label")
			if lab == "" {
				lab = val
			}
			out = append(out, [2]string{val, lab})
		}
	}
	return out
}
