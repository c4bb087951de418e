package storetest

import (
	"testing"

	"github.com/frontbase/edge/core"
)

// checks are every store check, by name. Run runs them all, so a check
// added here reaches every backend at once.
var checks = []struct {
	name string
	run  func(*testing.T, core.Store)
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
func Run[S core.Store](t *testing.T, open func(*testing.T) S, after map[string]func(*testing.T, S)) {
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
