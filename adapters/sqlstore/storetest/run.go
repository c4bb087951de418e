package storetest

import (
	"testing"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/ratelimit"
	"github.com/frontbase/edge/core/secrets"
	"github.com/frontbase/edge/core/workflow"
)

// Store is a state store as every backend offers it: core.Store and the
// ports beside it that the wiring takes. The checks take it whole, so a
// backend lacking a port fails to compile rather than failing a check.
type Store interface {
	core.Store
	ratelimit.Store
	secrets.Store
	workflow.CursorStore
	workflow.ExecutionPruner
	// SetKeepVersions bounds the site versions a tenant keeps.
	SetKeepVersions(n int)
}

// checks are every store check, by name. Run runs them all, so a check
// added here reaches every backend at once.
var checks = []struct {
	name string
	run  func(*testing.T, Store)
}{
	{"Workflows", Workflows},
	{"Retention", Retention},
	{"PublishPages", PublishPages},
	{"Versions", Versions},
	{"DataCursors", DataCursors},
	{"RateLimits", RateLimits},
	{"MergeSettings", MergeSettings},
	{"VersionConflicts", VersionConflicts},
	{"WorkflowHistory", WorkflowHistory},
	{"TenantSecrets", TenantSecrets},
}

// Run runs every check as a subtest on a fresh store from open. after,
// when it has an entry for a check's name, runs next on the same store:
// a backend's own look at what the check left behind.
func Run[S Store](t *testing.T, open func(*testing.T) S, after map[string]func(*testing.T, S)) {
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			c.run(t, s)
			if f := after[c.name]; f != nil && !t.Failed() {
				f(t, s)
			}
		})
	}
}
