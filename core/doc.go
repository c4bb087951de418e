// Package core holds the rules of the Frontbase execution plane: the domain
// types the control plane publishes (pages, components, settings,
// workflows, executions), their validation, the error codes every
// entrypoint maps to HTTP, and the ports (interfaces) adapters implement.
//
// core and its subpackages import no adapter, platform SDK or vendor
// client; functions/internal/engine chooses the adapters and wires them.
// docs/architecture.md describes the pieces.
package core
