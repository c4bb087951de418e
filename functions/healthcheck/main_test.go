package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestCheck(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/health" {
			http.NotFound(w, r)
		}
	}))
	defer ok.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer down.Close()
	port := func(s *httptest.Server) string { u, _ := url.Parse(s.URL); return u.Port() }
	tests := []struct {
		name, port string
		want       int
	}{
		{"healthy", port(ok), 0},
		{"unhealthy", port(down), 1},
		{"nothing listening", "1", 1},
	}
	for _, tt := range tests {
		if got := check(func(string) string { return tt.port }); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}
