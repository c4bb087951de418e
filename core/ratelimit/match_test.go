package ratelimit

import "testing"

func TestMatchPicksTheMostSpecificRule(t *testing.T) {
	rules := compile([]Rule{
		{ID: "all", PathPattern: "*"},
		{ID: "hooks", PathPattern: "/api/webhook/*"},
		{ID: "orders-post", PathPattern: "/api/webhook/orders", Methods: []string{"POST"}},
		{ID: "blog", PathPattern: "/blog/*"},
		{ID: "blog-feeds", PathPattern: "/blog/*/feed.xml"},
		{ID: "pricing", PathPattern: "/pricing"},
		{ID: "a-star", PathPattern: "/docs/*"},
		{ID: "b-star", PathPattern: "/docs/*"}, // same pattern: the id decides
	})
	tests := []struct {
		method, path, want string
	}{
		{"GET", "/", "all"},
		{"GET", "/pricing", "pricing"},
		{"GET", "/pricing/", "all"},
		{"POST", "/api/webhook/orders", "orders-post"},
		{"GET", "/api/webhook/orders", "hooks"}, // the exact rule is for POST only
		{"PURGE", "/api/webhook/orders", "hooks"},
		{"POST", "/api/webhook/other", "hooks"},
		{"GET", "/blog/2026/feed.xml", "blog-feeds"},
		{"GET", "/blog/a/b/feed.xml", "blog-feeds"},
		{"GET", "/blog/feed.xml", "blog"}, // "/blog/*/feed.xml" needs the middle slash
		{"GET", "/blog/", "blog"},
		{"GET", "/blog", "all"},
		{"GET", "/docs/x", "a-star"},
	}
	for _, tt := range tests {
		got := ""
		if c := match(rules, tt.method, tt.path); c != nil {
			got = c.ID
		}
		if got != tt.want {
			t.Errorf("%s %s matched %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
	if c := match(compile([]Rule{{ID: "x", PathPattern: "/x", Methods: []string{"GET"}}}), "GET", "/y"); c != nil {
		t.Errorf("/y matched %q", c.ID)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"/a", "/a", true}, {"/a", "/a/", false}, {"*", "/anything/at/all", true},
		{"/a*", "/a", true}, {"/a*", "/abc/d", true}, {"/a*c", "/ac", true}, {"/a*c", "/a", false},
		{"/*/x/*", "/1/x/2", true}, {"/*/x/*", "/1/y/2", false}, {"/a*b*a", "/aba", true}, {"/a*b*a", "/aab", false}, {"/ab*ba", "/aba", false}, {"/a*b*a", "/abba", true},
	}
	for _, tt := range tests {
		c := compile([]Rule{{ID: "r", PathPattern: tt.pattern}})[0]
		if got := globMatch(c.parts, tt.path); got != tt.want {
			t.Errorf("%q ~ %q = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestWorkflowID(t *testing.T) {
	for path, want := range map[string]string{
		"/api/webhook/abc": "abc", "/api/public/execute/x-1": "x-1", "/api/webhook/": "", "/api/webhook/a/b": "",
		"/api/execute/abc": "", "/webhook/abc": "",
	} {
		if got := WorkflowID(path); got != want {
			t.Errorf("WorkflowID(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestMatchAllocatesNothing(t *testing.T) {
	rules := compile([]Rule{{ID: "a", PathPattern: "/api/webhook/*", Methods: []string{"POST"}}, {ID: "b", PathPattern: "/blog/*/x"}})
	if n := testing.AllocsPerRun(100, func() { match(rules, "GET", "/about/team") }); n != 0 {
		t.Errorf("match allocates %v times", n)
	}
}
