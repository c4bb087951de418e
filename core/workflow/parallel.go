package workflow

import (
	"strings"
)

// DefaultParallel is how many nodes of one execution may run at the same
// time when the Runner does not say (independent branches only: a node
// starts once every node it depends on has finished).
const DefaultParallel = 4

// plan is what the scheduler needs of a graph, indexed by topological
// position: each node's successors, how many distinct predecessors it has,
// and whether it reads state other nodes write.
type plan struct {
	rank    map[string]int
	succ    [][]int
	npred   []int
	barrier []bool
}

// pureTypes are node types whose run reads only their own input, the
// trigger, $env and $now (besides what their templates name): they may
// run next to any other node. Any other type (a type added later, custom
// code) is treated as reading everything.
var pureTypes = map[string]bool{
	"http_request": true, "transform": true, "condition": true, "log": true, "set_variable": true,
	"toast": true, "redirect": true, "refresh": true, "http_response": true,
}

// buildPlan indexes the topological order; g.order must hold every node.
func (g *Graph) buildPlan() *plan {
	n := len(g.order)
	p := &plan{rank: make(map[string]int, n), succ: make([][]int, n), npred: make([]int, n), barrier: make([]bool, n)}
	for i, node := range g.order {
		p.rank[node.ID] = i
	}
	for i, node := range g.order {
		for _, e := range g.out[node.ID] {
			j := p.rank[e.Target]
			if !containsInt(p.succ[i], j) {
				p.succ[i] = append(p.succ[i], j)
				p.npred[j]++
			}
		}
		p.barrier[i] = readsShared(node)
	}
	return p
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// readsShared reports whether a node reads what other nodes write: other
// nodes' outputs ($node) or variables ($vars), or is of a type that may.
// Such a node starts only once every node before it in topological order
// has finished and been recorded, so it sees exactly what a one-at-a-time
// run would show it.
func readsShared(n *Node) bool {
	if triggerTypes[n.Type] != "" {
		return false
	}
	if !pureTypes[n.Type] || (n.Type == "transform" && str(n.Inputs["operation"]) == "customCode") {
		return true
	}
	return mentionsShared(n.Inputs)
}

func mentionsShared(v any) bool {
	switch t := v.(type) {
	case string:
		return hasTemplate(t) && (strings.Contains(t, "$node") || strings.Contains(t, "$vars"))
	case []any:
		for _, item := range t {
			if mentionsShared(item) {
				return true
			}
		}
	case map[string]any:
		for _, item := range t {
			if mentionsShared(item) {
				return true
			}
		}
	}
	return false
}
