package workflow

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/frontbase/edge/core"
)

func TestSSRFGuardRefusesInternalTargets(t *testing.T) {
	// Nothing listens at most of these: the point is that no connection is
	// even attempted, and the error says why.
	tests := []struct{ url, why string }{
		{"http://127.0.0.1/", "loopback"},
		{"http://127.8.9.10:8080/", "loopback"},
		{"http://localhost/", "loopback"}, // a DNS name that resolves to loopback
		{"http://[::1]/", "loopback"},
		{"http://[::ffff:127.0.0.1]/", "loopback"}, // IPv4-mapped IPv6
		{"http://[::ffff:10.0.0.1]/", "private"},
		{"http://10.1.2.3/", "private"},
		{"http://172.16.0.1/", "private"},
		{"http://192.168.1.1/", "private"},
		{"http://169.254.169.254/latest/meta-data/", "cloud metadata"},
		{"http://[fd00:ec2::254]/", "cloud metadata"},
		{"http://169.254.10.10/", "link-local"},
		{"http://[fe80::1]/", "link-local"},
		{"http://[fc00::1]/", "unique-local"},
		{"http://[fd12:3456::1]/", "unique-local"},
		{"http://224.0.0.1/", "multicast"},
		{"http://[ff02::1]/", "multicast"},
		{"http://0.0.0.0/", "unspecified"},
		{"http://[::]/", "unspecified"},
		{"http://100.64.0.1/", "reserved"},
		{"http://0.1.2.3/", "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			g := mustParse(t, build(t, []nd{{id: "t", typ: "trigger"}, {id: "h", typ: "http_request", in: map[string]any{"url": tt.url, "timeout": 2000}}}, "t->h"))
			e := (&Runner{HTTP: NewHTTPClient(nil)}).Run(context.Background(), g, "manual", nil)
			ne := nodeExec(e, "h")
			if e.Status != core.ExecError || !strings.Contains(ne.Error, "refused to connect") || !strings.Contains(ne.Error, tt.why+" addresses are blocked") {
				t.Errorf("%s: %s", e.Status, ne.Error)
			}
		})
	}
}

func TestAllowListLetsExactlyOneTargetThrough(t *testing.T) {
	allowed, other := newTarget(t, nil), newTarget(t, nil)
	run := func(url string) *core.Execution {
		g := mustParse(t, build(t, []nd{{id: "t", typ: "trigger"}, {id: "h", typ: "http_request", in: map[string]any{"url": url}}}, "t->h"))
		return runnerFor(t, allowed).Run(context.Background(), g, "manual", nil)
	}
	if e := run(allowed.URL); e.Status != core.ExecCompleted {
		t.Fatalf("allowed target: %s", e.Error)
	}
	if e := run(other.URL); e.Status != core.ExecError || !strings.Contains(e.Error, "loopback addresses are blocked") {
		t.Fatalf("other loopback port: %s %s", e.Status, e.Error)
	}
	if allowed.hits.Load() != 1 || other.hits.Load() != 0 {
		t.Fatalf("hits: allowed %d, other %d", allowed.hits.Load(), other.hits.Load())
	}

	// A redirect from the allowed target to the other one is checked again.
	redirector := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/stolen", http.StatusFound)
	})
	g := mustParse(t, build(t, []nd{{id: "t", typ: "trigger"}, {id: "h", typ: "http_request", in: map[string]any{"url": redirector.URL}}}, "t->h"))
	e := runnerFor(t, redirector).Run(context.Background(), g, "manual", nil)
	if e.Status != core.ExecError || !strings.Contains(e.Error, "loopback addresses are blocked") || other.hits.Load() != 0 {
		t.Fatalf("redirect hop: %s %s, other hits %d", e.Status, e.Error, other.hits.Load())
	}
}

func TestAllowListParsing(t *testing.T) {
	a, err := ParseAllowList("crm.internal, 10.0.0.0/8 127.0.0.1:9000,fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		host, port string
		ip         string
		want       bool
	}{
		{"crm.internal", "443", "10.9.9.9", true},
		{"CRM.internal", "80", "192.168.0.1", true},
		{"other", "80", "10.2.3.4", true},
		{"other", "80", "192.168.0.1", false},
		{"127.0.0.1", "9000", "127.0.0.1", true},
		{"127.0.0.1", "9001", "127.0.0.1", false},
		{"x", "1", "fd00::1", true},
	}
	for _, c := range checks {
		if got := a.hostAllowed(c.host, c.port) || a.ipAllowed(netip.MustParseAddr(c.ip)); got != c.want {
			t.Errorf("%s:%s (%s) = %v", c.host, c.port, c.ip, got)
		}
	}
	if _, err := ParseAllowList("http://x/"); err == nil {
		t.Error("a URL was accepted")
	}
	// The default (nil) allows nothing internal.
	var none *AllowList
	if none.hostAllowed("localhost", "80") || none.ipAllowed(netip.MustParseAddr("127.0.0.1")) {
		t.Error("nil allow list allows")
	}
}
