package gcf

import (
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	"github.com/frontbase/edge/functions/internal/enginetest"
	"github.com/frontbase/edge/functions/internal/faas"
)

const key = "gcf-test-key-0123456789abcdef"

// serve starts funcframework for one target on a loopback port, the way
// Cloud Functions runs it (FUNCTION_TARGET set, the function at "/"). The
// framework has no shutdown: the server ends with the test process.
func serve(t *testing.T, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	t.Setenv("FUNCTION_TARGET", target)
	errc := make(chan error, 1)
	go func() { errc <- funcframework.StartHostPort("127.0.0.1", port) }()
	url := "http://127.0.0.1:" + port
	for i := 0; ; i++ {
		// The target is read before the server listens, so once it
		// answers the environment may change.
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 100*time.Millisecond); err == nil {
			c.Close()
			return url
		}
		select {
		case err := <-errc:
			t.Fatalf("funcframework: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if i > 250 {
			t.Fatal("funcframework did not listen in 5 s")
		}
	}
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestFunctionsThroughFuncframework(t *testing.T) {
	t.Setenv("FRONTBASE_LOCAL_DB_PATH", filepath.Join(t.TempDir(), "pages.db"))
	t.Setenv("FRONTBASE_SYSTEM_KEY", key)
	t.Setenv("FRONTBASE_LOG_LEVEL", "warn")
	edge := serve(t, "Edge")
	flush := serve(t, "Flush")

	page, err := os.ReadFile(filepath.Join("..", "..", "scripts", "demo", "pages", "about.json"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", edge+"/api/import", strings.NewReader(string(page)))
	req.Header.Set("X-System-Key", key)
	req.Header.Set("Content-Type", "application/json")
	if resp, body := do(t, req); resp.StatusCode != 200 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}

	tests := []struct {
		name, path string
		headers    map[string]string
		status     int
		want       string // in the body, or header "X-Request-Id: value"
	}{
		{"page", "/about", nil, 200, "<html"},
		{"trailing slash", "/about/", nil, 308, ""},
		{"gzip", "/about", map[string]string{"Accept-Encoding": "gzip"}, 200, "\x1f\x8b"},
		{"unknown", "/nope", nil, 404, ""},
		{"health", "/api/health", nil, 200, `"status":"ok"`},
		{"trace id as request id", "/api/health", map[string]string{"X-Cloud-Trace-Context": "105445aa7843bc8bf206b12000100000/1;o=1"}, 200, "X-Request-Id: 105445aa7843bc8bf206b12000100000"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", edge+tt.path, nil)
		for k, v := range tt.headers {
			req.Header.Set(k, v)
		}
		resp, body := do(t, req)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
		if h, v, ok := strings.Cut(tt.want, ": "); ok && strings.HasPrefix(tt.want, "X-") {
			if resp.Header.Get(h) != v {
				t.Errorf("%s: %s %q, want %q", tt.name, h, resp.Header.Get(h), v)
			}
		} else if !strings.Contains(body, tt.want) {
			t.Errorf("%s: body lacks %q", tt.name, tt.want)
		}
	}

	// The flush, as Eventarc delivers a Pub/Sub message: a CloudEvent in
	// binary mode (attributes in ce- headers, the data as the body).
	flushCases := []struct {
		name   string
		ceType string
		body   string
		status int
	}{
		{"pubsub message", "google.cloud.pubsub.topic.v1.messagePublished",
			`{"message":{"data":"` + base64.StdEncoding.EncodeToString([]byte(`{"reason":"schedule"}`)) + `","messageId":"9876543210","publishTime":"2026-11-22T01:00:00.000Z"},"subscription":"projects/demo/subscriptions/eventarc-frontbase-flush"}`, 200},
		{"not a pubsub message", "google.cloud.storage.object.v1.finalized", `{"bucket":"b","name":"x"}`, 500},
		{"another type with a message's shape", "google.cloud.audit.log.v1.written", `{"message":{"messageId":"1"}}`, 500},
	}
	for _, tt := range flushCases {
		req, _ := http.NewRequest("POST", flush+"/", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("ce-id", "9876543210")
		req.Header.Set("ce-specversion", "1.0")
		req.Header.Set("ce-type", tt.ceType)
		req.Header.Set("ce-source", "//pubsub.googleapis.com/projects/demo/topics/frontbase-flush")
		req.Header.Set("ce-time", "2026-11-22T01:00:00Z")
		resp, body := do(t, req)
		if resp.StatusCode != tt.status {
			t.Errorf("flush %s: status %d, want %d: %s", tt.name, resp.StatusCode, tt.status, body)
		}
	}
}

func TestEdgeReportsAConfigError(t *testing.T) {
	t.Setenv("FRONTBASE_L1_TTL", "soon")
	saved := lazy
	lazy = &faas.Lazy{}
	defer func() { lazy = saved }()
	rec := httptest.NewRecorder()
	Edge(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "engine unavailable") {
		t.Errorf("status %d body %s", rec.Code, rec.Body.String())
	}
}

// TestDeployStageBuilds stages the source as scripts/gcf-deploy.sh uploads
// it and checks that its root package, the one Cloud Functions builds,
// compiles and registers both functions.
func TestDeployStageBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the staged module")
	}
	dir := filepath.Join(t.TempDir(), "src")
	out, err := exec.Command(filepath.Join("..", "..", "scripts", "gcf-deploy.sh"), "--stage", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("gcf-deploy.sh --stage: %v\n%s", err, out)
	}
	root, err := os.ReadFile(filepath.Join(dir, "function.go"))
	if err != nil || !strings.Contains(string(root), `import _ "github.com/frontbase/edge/functions/gcf"`) {
		t.Fatalf("staged root package: %v\n%s", err, root)
	}
	// What the Go buildpack generates: a main importing the root package
	// and starting the framework.
	os.MkdirAll(filepath.Join(dir, "cmd", "buildpackmain"), 0o755)
	os.WriteFile(filepath.Join(dir, "cmd", "buildpackmain", "main.go"), []byte(`package main

import (
	_ "github.com/frontbase/edge"
	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
)

func main() { funcframework.Start("8080") }
`), 0o644)
	cmd := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "fn"), "./cmd/buildpackmain")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of the staged source: %v\n%s", err, out)
	}
}

// TestEdgeFitsAnswersToTheLimit: through funcframework, a management
// answer over the limit comes back gzipped under it when the client takes
// gzip, and as a 500 that names the limit otherwise; an answer under it
// is the engine's, byte for byte; the SSE route, which flushes, still
// streams. The limit is lowered to 4.5 MB for the test: reaching 32 MiB
// would take a 36 MB answer, and fit's tests cover the rule at any limit.
func TestEdgeFitsAnswersToTheLimit(t *testing.T) {
	t.Setenv("FRONTBASE_LOCAL_DB_PATH", filepath.Join(t.TempDir(), "pages.db"))
	t.Setenv("FRONTBASE_SYSTEM_KEY", key)
	t.Setenv("FRONTBASE_LOG_LEVEL", "warn")
	savedLazy, savedLimit := lazy, maxResponse
	lazy = &faas.Lazy{}
	maxResponse.Bytes = 4_500_000
	defer func() { lazy, maxResponse = savedLazy, savedLimit }()
	edge := serve(t, "Edge") // after the changes above: its goroutines see them

	req := func(method, path, body string, kv ...string) *http.Request {
		r, _ := http.NewRequest(method, edge+path, strings.NewReader(body))
		r.Header.Set("X-System-Key", key)
		r.Header.Set("X-Request-Id", "fit-test")
		for i := 0; i+1 < len(kv); i += 2 {
			r.Header.Set(kv[i], kv[i+1])
		}
		return r
	}
	big := enginetest.OversizedDocumentPage()
	if resp, body := do(t, req("POST", "/api/import", big, "Content-Type", "application/json")); resp.StatusCode != 200 {
		t.Fatalf("publish: %d %.300s", resp.StatusCode, body)
	}

	for _, tt := range []struct {
		name, accept string
		status       int
	}{
		{"gzipped", "gzip", 200},
		{"refused without gzip", "", 500},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, req("GET", "/api/manage/pages/big", "", "Accept-Encoding", tt.accept))
			if resp.StatusCode != tt.status || len(body) > maxResponse.Bytes {
				t.Fatalf("%d, %d bytes, want %d under %d bytes", resp.StatusCode, len(body), tt.status, maxResponse.Bytes)
			}
			if tt.status == 200 {
				if resp.Header.Get("Content-Encoding") != "gzip" {
					t.Errorf("Content-Encoding %q", resp.Header.Get("Content-Encoding"))
				}
				return
			}
			if !strings.Contains(body, `"success":false`) || !strings.Contains(body, "over the 4500000 bytes (32 MiB) Cloud Functions take from an HTTP function; send Accept-Encoding: gzip") {
				t.Errorf("refusal %s", body)
			}
		})
	}

	eng, _, err := lazy.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/big", "/api/manage/pages", "/nope"} {
		direct, in := httptest.NewRecorder(), httptest.NewRequest("GET", edge+path, nil)
		in.Header = req("GET", path, "").Header
		eng.Handler.ServeHTTP(direct, in)
		resp, body := do(t, req("GET", path, ""))
		if resp.StatusCode != direct.Code || body != direct.Body.String() || resp.Header.Get("Etag") != direct.Header().Get("Etag") {
			t.Errorf("%s: through Edge %d (%d bytes), engine %d (%d bytes)", path, resp.StatusCode, len(body), direct.Code, direct.Body.Len())
		}
	}

	// The SSE route flushes: its events go out through funcframework's
	// writer as they are written, so the answer is chunked rather than
	// held and sent with a length (on Cloud Functions the stream is a
	// snapshot, then close).
	resp, body := do(t, req("GET", "/api/realtime/sse/no-such-run", "", "Accept", "text/event-stream"))
	if resp.ContentLength != -1 || resp.TransferEncoding == nil {
		t.Errorf("SSE answer was held: Content-Length %d, Transfer-Encoding %v", resp.ContentLength, resp.TransferEncoding)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" || !strings.Contains(body, "event: snapshot") || !strings.Contains(body, "event: close") {
		t.Errorf("SSE: %d %v %q", resp.StatusCode, resp.Header, body)
	}
}
