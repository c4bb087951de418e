package upstash

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontbase/edge/adapters/testservers"
)

// TestShimConformsToUpstashsOwnClient keeps the REST shim the other tests
// use honest: Upstash's official client must see it as the real service.
func TestShimConformsToUpstashsOwnClient(t *testing.T) {
	modules := filepath.Join(testservers.RepoRoot(), ".deps", "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "@upstash", "redis")); err != nil {
		testservers.Missing(t, "@upstash/redis (npm)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		testservers.Missing(t, "node")
	}
	r := testservers.StartRedis(t)
	shim := testservers.StartUpstash(t, r)
	cmd := exec.Command(node, "testdata/conformance.cjs")
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "UPSTASH_URL="+shim.URL, "UPSTASH_TOKEN="+shim.Token)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "conformance passed") {
		t.Fatalf("conformance run failed: %v\n%s", err, out)
	}
}
