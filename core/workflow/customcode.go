package workflow

import (
	"context"
	"fmt"
	"sync"
)

// CodeRunner runs the JavaScript of a transform node's customCode
// operation. The engine links one only where the binary size allows: the
// standalone server and its Docker image register core/workflow/jscode
// (goja, a pure-Go JavaScript engine); the Lambda, Cloud Functions and
// Vercel builds do not, and refuse such workflows at deploy.
type CodeRunner interface {
	// Check compiles code (the body of a function) without running it.
	Check(code string) error
	// Run calls code with env and returns what it returned, as JSON
	// values. It must honour ctx and its own time and memory bounds.
	Run(ctx context.Context, code string, env CodeEnv) (any, error)
}

// CodeEnv is what customCode sees: $input (the node's input), $json and
// $trigger (the trigger's payload), $node (earlier nodes' outputs by id and
// label) and $vars (the execution's variables), all as JSON values.
// $secrets and $env are not passed to user code.
type CodeEnv struct {
	Input   any `json:"input"`
	Trigger any `json:"trigger"`
	Node    any `json:"node"`
	Vars    any `json:"vars"`
}

var (
	codeMu     sync.RWMutex
	codeRunner CodeRunner
)

// RegisterCodeRunner makes r run customCode in this process.
func RegisterCodeRunner(r CodeRunner) {
	codeMu.Lock()
	codeRunner = r
	codeMu.Unlock()
}

func currentCodeRunner() CodeRunner {
	codeMu.RLock()
	defer codeMu.RUnlock()
	return codeRunner
}

// customCodeRefusal is the deploy error of a build without a CodeRunner.
const customCodeRefusal = "customCode needs a JavaScript engine this build leaves out: it runs on the standalone server and its Docker image (functions/server, infra/Dockerfile), not on Lambda, Cloud Functions or Vercel; use the other operations there"

// checkCustomCode is the deploy check of a customCode transform.
func checkCustomCode(n *Node, p string, is *Issues) {
	r := currentCodeRunner()
	if r == nil {
		is.errorf(p+"operation", "%s", customCodeRefusal)
		return
	}
	code, ok := n.Inputs["code"].(string)
	if !ok || code == "" {
		is.errorf(p+"code", "required for customCode: the body of a function of $input that returns the data")
		return
	}
	if err := r.Check(code); err != nil {
		is.errorf(p+"code", "%v", err)
	}
}

// customCode runs the node's code; the transform wraps what it returns
// as {data, count} like every other operation.
func (st *run) customCode(n *Node, input any, sc scope) (any, error) {
	r := currentCodeRunner()
	if r == nil {
		return nil, fmt.Errorf("%s", customCodeRefusal)
	}
	code, _ := n.Inputs["code"].(string)
	return r.Run(st.ctx, code, CodeEnv{Input: input, Trigger: sc["$trigger"], Node: sc["$node"], Vars: sc["$vars"]})
}
