package api

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestPanicBecomesA500ForThatRequestOnly(t *testing.T) {
	var logs bytes.Buffer
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("kaboom") })
	mux.HandleFunc("GET /fine", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("fine")) })
	h := observe(slog.New(slog.NewJSONHandler(&logs, nil)), mux)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"success":false`) || strings.Contains(rec.Body.String(), "kaboom") {
		t.Errorf("panic: %d %q, want a 500 JSON error that hides the panic", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), `"status":500`) {
		t.Errorf("the panic and its 500 were not logged: %s", logs.String())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/fine", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "fine" {
		t.Errorf("the next request got %d %q", rec.Code, rec.Body.String())
	}
}

func TestRequestIDIsKeptWhenSaneAndMadeOtherwise(t *testing.T) {
	tests := []struct {
		header string
		keep   bool
	}{
		{"abc-123", true},
		{"", false},
		{"has space", false},
		{"line\nbreak", false},
		{strings.Repeat("x", 200), false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-Request-Id", tt.header)
		got := requestID(r)
		if (got == tt.header) != tt.keep || got == "" {
			t.Errorf("requestID(%q) = %q, keep=%v", tt.header, got, tt.keep)
		}
	}
}

func TestETagMatches(t *testing.T) {
	tests := []struct {
		header, etag string
		want         bool
	}{
		{`"abc"`, `"abc"`, true},
		{`W/"abc"`, `"abc"`, true},
		{`"x", "abc"`, `"abc"`, true},
		{`*`, `"abc"`, true},
		{`"abd"`, `"abc"`, false},
		{`"abc"`, ``, false},
	}
	for _, tt := range tests {
		if got := etagMatches(tt.header, tt.etag); got != tt.want {
			t.Errorf("etagMatches(%q, %q) = %v", tt.header, tt.etag, got)
		}
	}
}

func TestStatusOfCoversEveryCode(t *testing.T) {
	tests := map[string]int{
		"invalid": 400, "unauthorized": 401, "not_found": 404, "conflict": 409,
		"too_large": 413, "unavailable": 503, "internal": 500, "something-new": 500,
	}
	for code, want := range tests {
		if got := statusOf(code); got != want {
			t.Errorf("statusOf(%q) = %d, want %d", code, got, want)
		}
	}
}

// Public workflow runs are counted per visitor with the same address rule
// as rate limits and analytics: behind a trusted proxy, the visitor named
// in X-Forwarded-For, never the proxy every visitor shares.
func TestPublicRunsCountTheVisitorBehindATrustedProxy(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		remote  string
		xff     string
		want    string
	}{
		{"direct", nil, "203.0.113.7:5000", "", "203.0.113.7"},
		{"untrusted proxy: its header is ignored", nil, "10.0.0.2:5000", "198.51.100.9", "10.0.0.2"},
		{"trusted proxy: the visitor", proxy, "10.0.0.2:5000", "198.51.100.9", "198.51.100.9"},
		{"spoofed hop left of the real one", proxy, "10.0.0.2:5000", "1.2.3.4, 198.51.100.9", "198.51.100.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &handler{opts: Options{TrustedProxies: tc.trusted}}
			r := httptest.NewRequest(http.MethodPost, "/api/public/execute/x", nil)
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if got := h.clientKey(r); got != tc.want {
				t.Errorf("clientKey = %q, want %q", got, tc.want)
			}
		})
	}
}
