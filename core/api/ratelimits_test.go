package api

import (
	"testing"
	"time"
)

func TestLimitable(t *testing.T) {
	for path, want := range map[string]bool{
		"/": true, "/about": true, "/docs/getting-started": true, "/sitemap.xml": true, "/robots.txt": true,
		"/api/webhook/abc": true, "/api/public/execute/abc": true,
		"/api/ratelimits": false, "/api/import": false, "/api/execute/abc": false, "/api/health": false,
		"/api/webhook/": false, "/api/webhook/a/b": false,
		"/_frontbase/assets/runtime.js": false, "/_frontbase/analytics": false, "/api": true,
	} {
		if got := limitable(path); got != want {
			t.Errorf("limitable(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestFormatSecondsRoundsUp(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0", time.Microsecond: "1", time.Second: "1", time.Second + 1: "2", 514285715 * time.Microsecond: "515", -time.Second: "0"} {
		if got := formatSeconds(d); got != want {
			t.Errorf("formatSeconds(%v) = %s, want %s", d, got, want)
		}
	}
}
