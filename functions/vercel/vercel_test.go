package vercel_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	handler "github.com/frontbase/edge/api"
)

// bridgeRequest and bridgeResponse are the JSON Vercel's Go bridge
// (github.com/vercel/go-bridge, go/bridge) exchanges with the platform.
type bridgeRequest struct {
	Host     string              `json:"host"`
	Path     string              `json:"path"` // the original path and query
	Method   string              `json:"method"`
	Headers  map[string][]string `json:"headers"`
	Encoding string              `json:"encoding,omitempty"`
	Body     string              `json:"body"`
}

type bridgeResponse struct {
	StatusCode int                 `json:"statusCode"`
	Headers    map[string][]string `json:"headers"`
	Encoding   string              `json:"encoding"`
	Body       string              `json:"body"`
}

// bridgeWriter is the bridge's ResponseWriter: no Flusher, no Hijacker,
// and WriteHeader simply records the last status.
type bridgeWriter struct {
	http.ResponseWriter // nil, as in the bridge
	status              int
	headers             http.Header
	body                bytes.Buffer
}

func (w *bridgeWriter) Header() http.Header         { return w.headers }
func (w *bridgeWriter) Write(p []byte) (int, error) { return w.body.Write(p) }
func (w *bridgeWriter) WriteHeader(code int)        { w.status = code }

// serve does what the bridge's Serve does with one invocation: a net/http
// request with the original method, path and headers (Host from the host
// header, RemoteAddr from x-real-ip, RequestURI the path), the exported
// handler called once, and the body returned base64.
func serve(t *testing.T, h http.HandlerFunc, in bridgeRequest) bridgeResponse {
	t.Helper()
	raw, _ := json.Marshal(in) // the platform's JSON, decoded as the bridge does
	var req bridgeRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		t.Fatal(err)
	}
	body := []byte(req.Body)
	if req.Encoding == "base64" {
		body, _ = base64.StdEncoding.DecodeString(req.Body)
	}
	r, err := http.NewRequest(req.Method, req.Path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.RequestURI = r.URL.Path
	for k, vs := range req.Headers {
		for _, v := range vs {
			r.Header.Add(k, v)
			switch strings.ToLower(k) {
			case "host":
				r.Host = v
			case "content-length":
				r.ContentLength, _ = strconv.ParseInt(v, 10, 64)
			case "x-real-ip":
				r.RemoteAddr = v
			}
		}
	}
	w := &bridgeWriter{status: http.StatusOK, headers: http.Header{}}
	h(w, r)
	return bridgeResponse{StatusCode: w.status, Headers: w.headers, Encoding: "base64", Body: base64.StdEncoding.EncodeToString(w.body.Bytes())}
}

func (r bridgeResponse) body(t *testing.T) string {
	b, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandlerAsVercelCallsIt(t *testing.T) {
	const key, secret = "vercel-test-key-0123456789", "cron-secret-abcdef"
	t.Setenv("FRONTBASE_LOCAL_DB_PATH", filepath.Join(t.TempDir(), "pages.db"))
	t.Setenv("FRONTBASE_SYSTEM_KEY", key)
	t.Setenv("FRONTBASE_LOG_LEVEL", "warn")
	t.Setenv("CRON_SECRET", secret)
	hdr := func(kv ...string) map[string][]string {
		m := map[string][]string{"host": {"frontbase-demo.vercel.app"}, "x-real-ip": {"203.0.113.5"}, "x-forwarded-for": {"203.0.113.5"}, "x-vercel-id": {"fra1::iad1::abcde-1795305600000-0123456789ab"}}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = []string{kv[i+1]}
		}
		return m
	}
	page, err := os.ReadFile(filepath.Join("..", "..", "scripts", "demo", "pages", "landing.json"))
	if err != nil {
		t.Fatal(err)
	}
	pub := serve(t, handler.Handler, bridgeRequest{Method: "POST", Path: "/api/import", Headers: hdr("x-system-key", key, "content-type", "application/json"),
		Encoding: "base64", Body: base64.StdEncoding.EncodeToString(page)})
	if pub.StatusCode != 200 || !strings.Contains(pub.body(t), `"success":true`) {
		t.Fatalf("publish: %d %s", pub.StatusCode, pub.body(t))
	}
	home := serve(t, handler.Handler, bridgeRequest{Method: "GET", Path: "/", Headers: hdr()})
	etag := http.Header(home.Headers).Get("Etag")

	tests := []struct {
		name    string
		req     bridgeRequest
		status  int
		bodyHas string
		header  [2]string
	}{
		{"home page", bridgeRequest{Method: "GET", Path: "/?utm=x", Headers: hdr()}, 200, "<html", [2]string{"X-Request-Id", "fra1::iad1::abcde-1795305600000-0123456789ab"}},
		{"304", bridgeRequest{Method: "GET", Path: "/", Headers: hdr("if-none-match", etag)}, 304, "", [2]string{}},
		{"gzip", bridgeRequest{Method: "GET", Path: "/", Headers: hdr("accept-encoding", "br, gzip")}, 200, "", [2]string{"Content-Encoding", "gzip"}},
		{"sitemap uses the original host", bridgeRequest{Method: "GET", Path: "/sitemap.xml", Headers: hdr()}, 200, "frontbase-demo.vercel.app", [2]string{}},
		{"homepage slug redirects", bridgeRequest{Method: "GET", Path: "/landing", Headers: hdr()}, 301, "", [2]string{"Location", "/"}},
		{"cron with the secret", bridgeRequest{Method: "GET", Path: "/api/cron/flush", Headers: hdr("authorization", "Bearer "+secret, "user-agent", "vercel-cron/1.0")}, 200, `"storeOk":true`, [2]string{}},
		{"cron without the secret", bridgeRequest{Method: "GET", Path: "/api/cron/flush", Headers: hdr()}, 401, "unauthorized", [2]string{}},
		{"cron with a wrong secret", bridgeRequest{Method: "GET", Path: "/api/cron/flush", Headers: hdr("authorization", "Bearer "+secret+"x")}, 401, "unauthorized", [2]string{}},
		{"management needs the key", bridgeRequest{Method: "GET", Path: "/api/manage/pages", Headers: hdr()}, 401, "", [2]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := serve(t, handler.Handler, tt.req)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %.300s", res.StatusCode, tt.status, res.body(t))
			}
			body := res.body(t)
			if tt.header[0] != "" && http.Header(res.Headers).Get(tt.header[0]) != tt.header[1] {
				t.Errorf("%s: %q, want %q", tt.header[0], http.Header(res.Headers).Get(tt.header[0]), tt.header[1])
			}
			if http.Header(res.Headers).Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(zr)
				body = string(b)
				if !strings.Contains(body, "<html") {
					t.Errorf("gzip body is no page")
				}
			}
			if !strings.Contains(body, tt.bodyHas) {
				t.Errorf("body lacks %q: %.300s", tt.bodyHas, body)
			}
		})
	}
}

func TestCronClosedWithoutSecret(t *testing.T) {
	t.Setenv("FRONTBASE_LOCAL_DB_PATH", filepath.Join(t.TempDir(), "pages.db"))
	t.Setenv("CRON_SECRET", "")
	res := serve(t, handler.Handler, bridgeRequest{Method: "GET", Path: "/api/cron/flush", Headers: map[string][]string{"host": {"x.vercel.app"}, "authorization": {"Bearer "}}})
	if res.StatusCode != 401 || !strings.Contains(res.body(t), "CRON_SECRET") {
		t.Errorf("%d %s", res.StatusCode, res.body(t))
	}
}

// TestVercelJSON checks what a deploy relies on: every path reaches the
// function, and the cron calls the route the handler serves.
func TestVercelJSON(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "vercel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Functions map[string]struct {
			MaxDuration int `json:"maxDuration"`
		} `json:"functions"`
		Routes []struct {
			Src, Dest, Handle string
		} `json:"routes"`
		Rewrites []struct{ Source, Destination string } `json:"rewrites"`
		Crons    []struct{ Path, Schedule string }      `json:"crons"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("..", "..", "api", "index.go")); err != nil {
		t.Fatal(err)
	}
	if f, ok := cfg.Functions["api/index.go"]; !ok || f.MaxDuration < 25 {
		t.Errorf("functions: %+v, want api/index.go with maxDuration >= 25 (the cron's tick budget)", cfg.Functions)
	}
	// Rewrites apply only after the filesystem: with them, the uploaded
	// repository's files (README.md, go.mod, core/...) would be served as
	// static files. One route, without a filesystem phase, sends every
	// path to the function.
	if len(cfg.Rewrites) != 0 {
		t.Errorf("rewrites %+v: they run after the filesystem check; use routes", cfg.Rewrites)
	}
	if len(cfg.Routes) != 1 || cfg.Routes[0].Src != "/(.*)" || cfg.Routes[0].Dest != "/api/index" || cfg.Routes[0].Handle != "" {
		t.Errorf("routes %+v: one route must send every path to /api/index, with no filesystem phase", cfg.Routes)
	}
	if len(cfg.Crons) != 1 || cfg.Crons[0].Path != "/api/cron/flush" || len(strings.Fields(cfg.Crons[0].Schedule)) != 5 {
		t.Errorf("crons %+v", cfg.Crons)
	}
}
