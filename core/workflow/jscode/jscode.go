// Package jscode runs the builder's customCode transforms with goja, a
// pure-Go JavaScript (ES5.1 and most of ES2015+) engine. Importing it
// registers the runner (see workflow.CodeRunner); only the standalone
// server imports it, so the FaaS binaries stay small.
//
// The sandbox: a fresh runtime per call with no host objects at all (no
// require, console, fetch, timers, file or network access); the node's
// data goes in as JSON and the result comes out as JSON (functions and
// undefined become null or disappear, as JSON.stringify does). Each call
// is stopped by a time limit, the execution's deadline, a call-stack depth
// limit and a heap-growth watchdog; its result is capped in size.
package jscode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/metrics"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/frontbase/edge/core/workflow"
)

// Bounds of one call.
const (
	TimeLimit     = 1 * time.Second
	MaxCallDepth  = 512
	MaxHeapGrowth = 128 << 20 // bytes the process heap may grow by during a call
	MaxResult     = 1 << 20   // bytes of the JSON result
	MaxCode       = 64 << 10  // bytes of source
	watchEvery    = 5 * time.Millisecond
)

func init() { workflow.RegisterCodeRunner(New()) }

// Runner is the goja CodeRunner. Compiled programs are cached by source.
type Runner struct {
	// TimeLimit bounds one call (the execution's deadline may cut it
	// shorter); MaxHeapGrowth bounds how much the heap may grow meanwhile.
	TimeLimit     time.Duration
	MaxHeapGrowth uint64

	mu    sync.Mutex
	progs map[string]*goja.Program
}

// New returns a Runner with the default bounds.
func New() *Runner {
	return &Runner{TimeLimit: TimeLimit, MaxHeapGrowth: MaxHeapGrowth, progs: map[string]*goja.Program{}}
}

// The code is the body of a function of the builder's names.
const (
	prologue = "(function ($input, $json, $trigger, $node, $vars) {\n"
	epilogue = "\n})"
)

func (r *Runner) program(code string) (*goja.Program, error) {
	if len(code) > MaxCode {
		return nil, fmt.Errorf("customCode is longer than %d bytes", MaxCode)
	}
	r.mu.Lock()
	p := r.progs[code]
	r.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := goja.Compile("customCode", prologue+code+epilogue, true)
	if err != nil {
		return nil, fmt.Errorf("customCode does not compile: %s", syntaxMessage(err))
	}
	r.mu.Lock()
	if len(r.progs) >= 256 { // a small cache that forgets everything when full
		clear(r.progs)
	}
	r.progs[code] = p
	r.mu.Unlock()
	return p, nil
}

// syntaxMessage keeps the first line of a compile error, with line numbers
// of the code as written (the prologue adds one).
func syntaxMessage(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// Check compiles code.
func (r *Runner) Check(code string) error {
	_, err := r.program(code)
	return err
}

// Run calls the code with env and returns its result as JSON values.
func (r *Runner) Run(ctx context.Context, code string, env workflow.CodeEnv) (any, error) {
	prog, err := r.program(code)
	if err != nil {
		return nil, err
	}
	in, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("customCode input cannot be encoded as JSON: %v", err)
	}
	vm := goja.New()
	vm.SetMaxCallStackSize(MaxCallDepth)

	timer := time.AfterFunc(r.TimeLimit, func() { vm.Interrupt(fmt.Errorf("customCode ran past its time limit of %s", r.TimeLimit)) })
	defer timer.Stop()
	defer context.AfterFunc(ctx, func() { vm.Interrupt(context.Cause(ctx)) })()
	defer watchHeap(vm, r.MaxHeapGrowth)()

	out, err := call(vm, prog, string(in))
	if err != nil {
		var intr *goja.InterruptedError
		if errors.As(err, &intr) {
			if cause, ok := intr.Value().(error); ok {
				if errors.Is(cause, context.DeadlineExceeded) || errors.Is(cause, context.Canceled) {
					return nil, fmt.Errorf("customCode stopped: the execution ended (%v)", cause)
				}
				return nil, cause
			}
		}
		var ex *goja.Exception
		if errors.As(err, &ex) {
			return nil, fmt.Errorf("customCode threw: %s", firstLine(ex.Error()))
		}
		var so *goja.StackOverflowError
		if errors.As(err, &so) {
			return nil, fmt.Errorf("customCode nested calls deeper than %d", MaxCallDepth)
		}
		return nil, fmt.Errorf("customCode failed: %s", firstLine(err.Error()))
	}
	if out == "" { // undefined
		return nil, nil
	}
	if len(out) > MaxResult {
		return nil, fmt.Errorf("customCode returned %d bytes of JSON, more than %d", len(out), MaxResult)
	}
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		return nil, fmt.Errorf("customCode result is not JSON: %v", err)
	}
	return v, nil
}

// call runs the function: its arguments are parsed from JSON inside the
// runtime (plain JavaScript values, nothing shared with Go), and its
// result is stringified there.
func call(vm *goja.Runtime, prog *goja.Program, in string) (out string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	fnVal, err := vm.RunProgram(prog)
	if err != nil {
		return "", err
	}
	fn, ok := goja.AssertFunction(fnVal)
	if !ok {
		return "", errors.New("customCode is not a function body")
	}
	jsonObj := vm.Get("JSON").ToObject(vm)
	parse, _ := goja.AssertFunction(jsonObj.Get("parse"))
	stringify, _ := goja.AssertFunction(jsonObj.Get("stringify"))
	envVal, err := parse(goja.Undefined(), vm.ToValue(in))
	if err != nil {
		return "", err
	}
	env := envVal.ToObject(vm)
	input, trigger := env.Get("input"), env.Get("trigger")
	res, err := fn(goja.Undefined(), input, trigger, trigger, env.Get("node"), env.Get("vars"))
	if err != nil {
		return "", err
	}
	if goja.IsUndefined(res) {
		return "", nil
	}
	s, err := stringify(goja.Undefined(), res)
	if err != nil {
		return "", err
	}
	if goja.IsUndefined(s) { // a function or a symbol
		return "null", nil
	}
	return s.String(), nil
}

// watchHeap interrupts vm when the process heap grows by more than limit
// while it runs, checking every watchEvery on a timer (a call shorter than
// that starts no goroutine); the returned func stops it. The heap is the
// whole process's, so this guards against runaway allocation; it is not
// an exact per-call quota.
func watchHeap(vm *goja.Runtime, limit uint64) (stop func()) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var mu sync.Mutex
	stopped := false
	var t *time.Timer
	check := func() {
		metrics.Read(sample) // checks never overlap: the timer is re-armed after one
		if sample[0].Value.Uint64() > base+limit {
			vm.Interrupt(fmt.Errorf("customCode grew the heap by more than %d MiB", limit>>20))
			return
		}
		mu.Lock()
		if !stopped {
			t.Reset(watchEvery)
		}
		mu.Unlock()
	}
	mu.Lock()
	t = time.AfterFunc(watchEvery, check)
	mu.Unlock()
	return func() {
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
