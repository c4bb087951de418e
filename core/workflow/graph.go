package workflow

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/frontbase/edge/core"
)

// triggerTypes maps trigger node types to the workflow triggerType each
// stands for.
var triggerTypes = map[string]string{
	"trigger":             "manual",
	"manual_trigger":      "manual",
	"webhook_trigger":     "http_webhook",
	"schedule_trigger":    "scheduled",
	"data_change_trigger": "data_change",
	"ui_event_trigger":    "ui_event",
}

// actionTypes are the node types this engine runs.
var actionTypes = map[string]bool{
	"http_request": true, "transform": true, "condition": true, "log": true,
	"set_variable": true, "toast": true, "redirect": true, "refresh": true, "http_response": true,
	"data_request": true,
}

// unsupported are node types of the builder's catalogue this engine does
// not run yet: refused at deploy with a clear message.
var unsupported = map[string]string{}

var triggerKinds = []string{"manual", "http_webhook", "scheduled", "data_change", "ui_event"}

// Parse decodes and validates a workflow. It returns the graph, ready to
// run, when there are no errors; warnings never block.
func Parse(w *core.Workflow) (*Graph, *Issues) {
	is := &Issues{}
	g := &Graph{Workflow: w, byID: map[string]*Node{}, in: map[string][]Edge{}, out: map[string][]Edge{}, tmpl: map[string]*template{}}
	g.parseHeader(w, is)
	g.parseNodes(w, is)
	g.parseEdges(w, is)
	g.sort(is)
	if len(g.order) == len(g.Nodes) {
		g.plan = g.buildPlan()
	}
	if g.Trigger != nil && len(is.Errors) == 0 {
		g.warnUnreachable(is)
	}
	return g, is
}

// parseHeader checks the workflow's id and trigger kinds and reads its
// settings.
func (g *Graph) parseHeader(w *core.Workflow, is *Issues) {
	if w.ID == "" {
		is.errorf("id", "required")
	}
	for i, kind := range strings.Split(w.TriggerType, ",") {
		if kind = strings.TrimSpace(kind); kind != "" && !slices.Contains(triggerKinds, kind) {
			is.errorf("triggerType", "item %d: %q is not one of %s", i, kind, strings.Join(triggerKinds, ", "))
		}
	}
	if raw := normalizeSettings(w.Settings); raw != nil {
		if err := json.Unmarshal(raw, &g.Settings); err != nil {
			is.errorf("settings", "expected an object, or a JSON string holding one")
		}
	}
	g.Opts = parseSettings(g.Settings, is) // settings.go
}

// parseNodes decodes the nodes, adds those with a new id to g and checks
// that there is exactly one trigger.
func (g *Graph) parseNodes(w *core.Workflow, is *Issues) {
	var nodes []rawNode
	if err := json.Unmarshal(orNull(w.Nodes), &nodes); err != nil {
		is.errorf("nodes", "expected a list of nodes")
	}
	for i, rn := range nodes {
		g.addNode(i, rn, is)
	}
	if len(nodes) > 0 && g.Trigger == nil {
		is.errorf("nodes", "a workflow needs one trigger node (%s)", strings.Join(sortedKeys(triggerTypes), ", "))
	} else if len(nodes) == 0 {
		is.errorf("nodes", "a workflow needs at least a trigger node")
	}
}

// addNode decodes the i-th node (its inputs from data.inputs when the
// builder put them there), refuses a missing or duplicate id, and checks
// its type and inputs.
func (g *Graph) addNode(i int, rn rawNode, is *Issues) {
	path := fmt.Sprintf("nodes[%d]", i)
	n := &Node{ID: rn.ID, Type: rn.Type, path: path, index: i}
	raw := rn.Inputs
	if rn.Data != nil {
		n.Label = rn.Data.Label
		if rn.Data.Type != "" {
			n.Type = rn.Data.Type
		}
		if len(rn.Data.Inputs) > 0 && string(rn.Data.Inputs) != "null" || len(raw) == 0 || string(raw) == "null" {
			raw = rn.Data.Inputs
			path += ".data"
		}
	}
	inputs, err := decodeInputs(raw)
	if err != nil {
		is.errorf(path+".inputs", "%v", err)
	}
	n.Inputs = inputs
	switch {
	case n.ID == "":
		is.errorf(fmt.Sprintf("nodes[%d].id", i), "required")
		return
	case g.byID[n.ID] != nil:
		is.errorf(fmt.Sprintf("nodes[%d].id", i), "duplicate node id %q", n.ID)
		return
	}
	g.byID[n.ID] = n
	g.Nodes = append(g.Nodes, n)
	n.path = path
	switch {
	case n.Type == "":
		is.errorf(fmt.Sprintf("nodes[%d].type", i), "required")
	case triggerTypes[n.Type] != "":
		if g.Trigger != nil {
			is.errorf(fmt.Sprintf("nodes[%d].type", i), "a workflow has exactly one trigger; %q is already the trigger", g.Trigger.ID)
		} else {
			g.Trigger = n
		}
	case unsupported[n.Type] != "":
		is.errorf(fmt.Sprintf("nodes[%d].type", i), "%s", unsupported[n.Type])
	case !actionTypes[n.Type]:
		is.errorf(fmt.Sprintf("nodes[%d].type", i), "unknown node type %q", n.Type)
	}
	g.checkInputs(n, is)
}

// parseEdges decodes the edges and links the nodes they join; an edge to
// a node that does not exist, into the trigger or from a condition route
// that does not exist is an error.
func (g *Graph) parseEdges(w *core.Workflow, is *Issues) {
	var edges []rawEdge
	if err := json.Unmarshal(orNull(w.Edges), &edges); err != nil {
		is.errorf("edges", "expected a list of edges")
	}
	for i, re := range edges {
		path := fmt.Sprintf("edges[%d]", i)
		e := Edge{Source: re.Source, Target: re.Target, Handle: re.SourceHandle}
		if e.Handle == "" {
			e.Handle = re.SourceOutput
		}
		src, tgt := g.byID[e.Source], g.byID[e.Target]
		if src == nil {
			is.errorf(path+".source", "no node has id %q", e.Source)
		}
		if tgt == nil {
			is.errorf(path+".target", "no node has id %q", e.Target)
		}
		if src == nil || tgt == nil {
			continue
		}
		if tgt == g.Trigger {
			is.errorf(path+".target", "the trigger %q cannot have incoming edges", tgt.ID)
		}
		if src.Type == "condition" && e.Handle != "" && e.Handle != "else" && !slices.Contains(routeHandles(src), e.Handle) {
			is.errorf(path+".sourceHandle", "condition %q has no route %q (routes: %s, else)", src.ID, e.Handle, strings.Join(routeHandles(src), ", "))
		}
		g.out[e.Source] = append(g.out[e.Source], e)
		g.in[e.Target] = append(g.in[e.Target], e)
	}
}

// warnUnreachable warns of every node the trigger does not lead to.
func (g *Graph) warnUnreachable(is *Issues) {
	seen := map[string]bool{}
	g.reach(g.Trigger.ID, seen)
	for _, n := range g.Nodes {
		if !seen[n.ID] {
			is.warnf(fmt.Sprintf("nodes[%d]", n.index), "node %q is not reachable from the trigger and will never run", n.ID)
		}
	}
}

func orNull(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (g *Graph) reach(id string, seen map[string]bool) {
	if seen[id] {
		return
	}
	seen[id] = true
	for _, e := range g.out[id] {
		g.reach(e.Target, seen)
	}
}

// sort orders the nodes topologically (Kahn, stable by declaration order)
// and reports a cycle.
func (g *Graph) sort(is *Issues) {
	indeg := map[string]int{}
	for _, n := range g.Nodes {
		indeg[n.ID] = len(g.in[n.ID])
	}
	var ready []*Node
	for _, n := range g.Nodes {
		if indeg[n.ID] == 0 {
			ready = append(ready, n)
		}
	}
	for len(ready) > 0 {
		n := ready[0]
		ready = ready[1:]
		g.order = append(g.order, n)
		for _, e := range g.out[n.ID] {
			if indeg[e.Target]--; indeg[e.Target] == 0 {
				ready = append(ready, g.byID[e.Target])
			}
		}
	}
	if len(g.order) < len(g.Nodes) {
		var stuck []string
		for _, n := range g.Nodes {
			if indeg[n.ID] > 0 {
				stuck = append(stuck, n.ID)
			}
		}
		is.errorf("edges", "the edges form a cycle through nodes %s", strings.Join(stuck, ", "))
	}
}

// routes are a condition node's routes.
type route struct {
	ID, Name, Field, Operator string
	Value                     any
}

func routesOf(n *Node) []route {
	list, _ := n.Inputs["conditions"].([]any)
	out := make([]route, 0, len(list))
	for _, item := range list {
		m, _ := item.(map[string]any)
		out = append(out, route{ID: str(m["id"]), Name: str(m["name"]), Field: str(m["field"]), Operator: str(m["operator"]), Value: m["value"]})
	}
	return out
}

func routeHandles(n *Node) []string {
	var hs []string
	for _, r := range routesOf(n) {
		for _, h := range []string{r.Name, r.ID} {
			if h != "" && !slices.Contains(hs, h) {
				hs = append(hs, h)
			}
		}
	}
	return hs
}

var operators = []string{"equals", "notEquals", "contains", "notContains", "greaterThan", "lessThan",
	"greaterThanOrEqual", "lessThanOrEqual", "isEmpty", "isNotEmpty", "startsWith", "endsWith", "regex"}

var filterOperators = []string{"equals", "notEquals", "contains", "greaterThan", "lessThan", "isEmpty", "isNotEmpty"}

var transformOps = []string{"setFields", "extractField", "renameFields", "keepFields", "removeFields", "filterItems", "sortItems", "limitItems"}

// checkInputs checks a node's required inputs and compiles every template.
func (g *Graph) checkInputs(n *Node, is *Issues) {
	p := n.path + ".inputs."
	c := inputCheck{n: n, p: p, is: is}
	switch n.Type {
	case "webhook_trigger":
		c.webhookTrigger()
	case "schedule_trigger":
		c.scheduleTrigger()
	case "http_request":
		c.httpRequest()
	case "transform":
		c.transform()
	case "condition":
		c.condition()
	case "log":
		c.oneOf("level", "info", "info", "warn", "error", "debug")
	case "set_variable":
		c.need("key")
		c.oneOf("scope", "local", "local", "session", "cookies", "url")
	case "redirect":
		c.need("url")
	case "data_request":
		checkDataRequest(n, p, is)
	case "data_change_trigger":
		checkDataChangeTrigger(n, p, is)
	}
	for _, name := range sortedKeys(n.Inputs) {
		if name == "code" && n.Type == "transform" {
			continue // JavaScript, not a template (customcode.go)
		}
		g.compileAll(n.Inputs[name], p+name, is)
	}
}

// inputCheck checks the inputs of one node at deploy, naming each error
// by the input's path (p is the node's "nodes[i].inputs.").
type inputCheck struct {
	n  *Node
	p  string
	is *Issues
}

// need reports each of names that is missing, null or empty.
func (c inputCheck) need(names ...string) {
	for _, name := range names {
		if v, ok := c.n.Inputs[name]; !ok || v == nil || v == "" {
			c.is.errorf(c.p+name, "required for %s", c.n.Type)
		}
	}
}

// oneOf returns input name, def when unset, reporting a value not in
// allowed.
func (c inputCheck) oneOf(name, def string, allowed ...string) string {
	v := str(c.n.Inputs[name])
	if v == "" {
		return def
	}
	if !slices.Contains(allowed, v) {
		c.is.errorf(c.p+name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	return v
}

func (c inputCheck) webhookTrigger() {
	c.oneOf("httpMethod", "POST", "GET", "POST", "PUT", "DELETE", "PATCH")
	switch c.oneOf("authentication", "none", "none", "header", "basic") {
	case "header":
		c.need("headerName", "headerValue")
	case "basic":
		c.need("username", "password")
	}
}

func (c inputCheck) scheduleTrigger() {
	mode := c.oneOf("mode", "interval", "interval", "cron")
	if _, err := parseSchedule(c.n); err != nil {
		field := map[string]string{"interval": "intervalSeconds", "cron": "cronExpression"}[mode]
		if strings.HasPrefix(err.Error(), "timezone") {
			field = "timezone"
		}
		c.is.errorf(c.p+field, "%v", err)
	}
}

func (c inputCheck) httpRequest() {
	c.need("url")
	c.oneOf("method", "GET", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")
	switch c.oneOf("authentication", "none", "none", "basicAuth", "bearerToken", "headerAuth") {
	case "basicAuth":
		c.need("username")
	case "bearerToken":
		c.need("bearerToken")
	case "headerAuth":
		c.need("headerAuthName")
	}
	c.oneOf("contentType", "json", "json", "form-data", "x-www-form-urlencoded", "raw")
}

func (c inputCheck) transform() {
	switch op := str(c.n.Inputs["operation"]); {
	case op == "":
		c.is.errorf(c.p+"operation", "required for transform")
	case op == "customCode":
		checkCustomCode(c.n, c.p, c.is) // customcode.go
	case !slices.Contains(transformOps, op):
		c.is.errorf(c.p+"operation", "%q is not one of %s", op, strings.Join(transformOps, ", "))
	case op == "extractField":
		c.need("extractPath")
	case op == "filterItems":
		c.need("filterField")
		c.oneOf("filterOperator", "equals", filterOperators...)
	case op == "sortItems":
		c.need("sortField")
	}
}

// condition checks every route (a name or id, a known operator, a regular
// expression that compiles unless it is a template) and the fallback.
func (c inputCheck) condition() {
	rs := routesOf(c.n)
	if len(rs) == 0 {
		c.is.errorf(c.p+"conditions", "a condition needs at least one route")
	}
	for i, r := range rs {
		rp := fmt.Sprintf("%sconditions[%d]", c.p, i)
		if r.Name == "" && r.ID == "" {
			c.is.errorf(rp+".name", "required")
		}
		if !slices.Contains(operators, r.Operator) {
			c.is.errorf(rp+".operator", "%q is not one of %s", r.Operator, strings.Join(operators, ", "))
		}
		if r.Operator == "regex" && !hasTemplate(str(r.Value)) {
			if _, err := regexp.Compile(str(r.Value)); err != nil {
				c.is.errorf(rp+".value", "not a valid regular expression: %v", err)
			}
		}
	}
	c.oneOf("fallbackBehavior", "else", "else", "stop", "error")
}

// compileAll compiles every template inside v.
func (g *Graph) compileAll(v any, path string, is *Issues) {
	switch t := v.(type) {
	case string:
		if !hasTemplate(t) || g.tmpl[t] != nil {
			return
		}
		tp, err := compileTemplate(t)
		if err != nil {
			is.errorf(path, "%v", err)
			return
		}
		g.tmpl[t] = tp
		if parsed, ok := jsonDoc(t); ok {
			g.compileAll(parsed, path, is)
		}
	case []any:
		for i, item := range t {
			g.compileAll(item, fmt.Sprintf("%s[%d]", path, i), is)
		}
	case map[string]any:
		for _, k := range sortedKeys(t) {
			g.compileAll(t[k], path+"."+k, is)
		}
	}
}

// jsonDoc parses s when it is a JSON object or list: templates inside its
// strings are then filled value by value, so a value can never break the
// document's syntax.
func jsonDoc(s string) (any, bool) {
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return nil, false
	}
	var v any
	if json.Unmarshal([]byte(t), &v) != nil {
		return nil, false
	}
	return v, true
}
