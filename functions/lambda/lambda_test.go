package lambda_test

// These tests build the real Lambda `bootstrap` binaries once and drive
// them through the Lambda Runtime API, served by the harness below on a
// loopback port, the way the provided.al2023 runtime drives them.

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontbase/edge/adapters/testservers"
)

const key = "lambda-test-key-0123456789"

var bins struct {
	once        sync.Once
	edge, flush string
	err         error
}

// built returns the bootstrap binaries, built once per test process with
// the flags the deploy uses.
func built(t testing.TB) (edge, flush string) {
	t.Helper()
	if testing.Short() { // linking both bootstraps is most of the package's time
		t.Skip("-short: not building and running the bootstraps")
	}
	bins.once.Do(func() {
		dir, err := os.MkdirTemp("", "frontbase-lambda-")
		if err != nil {
			bins.err = err
			return
		}
		for name, out := range map[string]*string{"edge": &bins.edge, "flush": &bins.flush} {
			*out = filepath.Join(dir, name, "bootstrap")
			cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", *out, "./"+name)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if msg, err := cmd.CombinedOutput(); err != nil {
				bins.err = fmt.Errorf("go build ./%s: %v\n%s", name, err, msg)
				return
			}
		}
	})
	if bins.err != nil {
		t.Fatal(bins.err)
	}
	return bins.edge, bins.flush
}

// cloudEnv starts a tursodb for the test and returns the environment of a
// function in cloud mode on it: the default build of the Lambda functions
// links no SQLite (local mode needs the sqlite tag).
func cloudEnv(t testing.TB) []string {
	env, _ := cloudServer(t)
	return env
}

// cloudServer is cloudEnv with its tursodb, to count requests.
func cloudServer(t testing.TB) ([]string, *testservers.Turso) {
	tu := testservers.StartTurso(t)
	return []string{"FRONTBASE_ENV=cloud", "FRONTBASE_STATE_DB_URL=" + tu.URL, "FRONTBASE_SYSTEM_KEY=" + key}, tu
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bins.edge != "" {
		os.RemoveAll(filepath.Dir(filepath.Dir(bins.edge)))
	}
	os.Exit(code)
}

// ---------------------------------------------------------------- harness

// runtimeAPI is a Lambda Runtime API: it hands queued events to the
// function one at a time and collects what the function posts back.
type runtimeAPI struct {
	srv     *httptest.Server
	events  chan *invocation
	mu      sync.Mutex
	pending map[string]*invocation
	initErr chan initError
	nextID  atomic.Int64
	nexts   atomic.Int64 // GET /next calls seen
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	stream   bool // a streaming invoke (a RESPONSE_STREAM Function URL's)
	done     chan result
}

type result struct {
	kind      string // "response" or "error"
	body      []byte
	errorType string
	streamed  bool      // a streaming invoke's HTTP response: prelude, 8 NULs, body (see streamMode)
	first     time.Time // when the first byte of the body arrived
}

type initError struct {
	errorType string
	body      []byte
}

func newRuntimeAPI(t testing.TB) *runtimeAPI {
	api := &runtimeAPI{events: make(chan *invocation, 16), pending: map[string]*invocation{}, initErr: make(chan initError, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		api.nexts.Add(1)
		select {
		case inv := <-api.events:
			api.mu.Lock()
			api.pending[inv.id] = inv
			api.mu.Unlock()
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:frontbase-test")
			h.Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
			h.Set("Content-Type", "application/json")
			w.Write(inv.payload)
		case <-r.Context().Done():
		}
	})
	post := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			api.mu.Lock()
			inv := api.pending[r.PathValue("id")]
			delete(api.pending, r.PathValue("id"))
			api.mu.Unlock()
			if inv == nil {
				http.Error(w, `{"errorMessage":"unknown request id"}`, http.StatusBadRequest)
				return
			}
			streamed, err := streamMode(r, inv.stream)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				inv.done <- result{kind: "error", errorType: "Runtime.InvalidResponseModeHeader", body: []byte(err.Error())}
				return
			}
			// The invoke, not the runtime, sets the limit: 6 MB buffered
			// (Lambda answers 413 and the client gets a 502), 200 MB
			// streamed.
			limit := int64(maxBuffered)
			if inv.stream {
				limit = maxStreamed
			}
			fb := &firstByte{r: r.Body}
			body, _ := io.ReadAll(io.LimitReader(fb, limit+1))
			res := result{kind: kind, body: body, errorType: r.Header.Get("Lambda-Runtime-Function-Error-Type"), streamed: streamed, first: fb.at}
			if int64(len(body)) > limit {
				res = result{kind: "error", errorType: "Function.ResponseSizeTooLarge", body: []byte(fmt.Sprintf(`{"errorMessage":"Response payload size exceeded maximum allowed payload size (%d bytes)."}`, limit))}
				w.WriteHeader(http.StatusRequestEntityTooLarge)
				inv.done <- res
				return
			}
			// A streamed response that fails midway says so in trailers.
			if et := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); streamed && et != "" {
				res.kind, res.errorType = "error", et
			}
			w.WriteHeader(http.StatusAccepted)
			inv.done <- res
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", post("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", post("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		select {
		case api.initErr <- initError{r.Header.Get("Lambda-Runtime-Function-Error-Type"), body}:
		default:
		}
	})
	api.srv = httptest.NewServer(mux) // loopback only
	t.Cleanup(api.srv.Close)
	return api
}

func (a *runtimeAPI) addr() string { return strings.TrimPrefix(a.srv.URL, "http://") }

// enqueue queues an event and returns its invocation.
func (a *runtimeAPI) enqueue(payload []byte) *invocation {
	inv := &invocation{
		id:       fmt.Sprintf("req-%04d-8f5e6a1b", a.nextID.Add(1)),
		payload:  payload,
		deadline: time.Now().Add(30 * time.Second),
		done:     make(chan result, 1),
	}
	a.events <- inv
	return inv
}

func (inv *invocation) wait(t testing.TB, fn *function) result {
	t.Helper()
	select {
	case r := <-inv.done:
		return r
	case <-fn.exited:
		t.Fatalf("bootstrap exited during invocation %s: %v\n%s", inv.id, fn.err, fn.stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("invocation %s: no response in 20 s\n%s", inv.id, fn.stderr.String())
	}
	return result{}
}

// function is a running bootstrap process.
type function struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
	err    error
}

func startFunction(t testing.TB, bin string, api *runtimeAPI, env ...string) *function {
	t.Helper()
	fn := &function{stderr: &syncBuffer{}, exited: make(chan struct{})}
	fn.cmd = exec.Command(bin)
	fn.cmd.Env = append([]string{
		"AWS_LAMBDA_RUNTIME_API=" + api.addr(),
		"AWS_LAMBDA_FUNCTION_NAME=frontbase-test", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512", "AWS_REGION=eu-west-1", "PATH=/usr/bin:/bin",
	}, env...)
	fn.cmd.Stdout = fn.stderr
	fn.cmd.Stderr = fn.stderr
	if err := fn.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { fn.err = fn.cmd.Wait(); close(fn.exited) }()
	t.Cleanup(fn.stop)
	return fn
}

func (fn *function) stop() {
	select {
	case <-fn.exited:
		return
	default:
	}
	fn.cmd.Process.Kill()
	<-fn.exited
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ---------------------------------------------------------------- events

type req struct {
	method, path, query string
	headers             map[string]string
	body                []byte
	base64              bool
	cookies             []string
}

func readDemo(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "scripts", "demo", "pages", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bodyField(r req) (string, bool) {
	if r.base64 {
		return base64.StdEncoding.EncodeToString(r.body), true
	}
	return string(r.body), false
}

// v2Event is API Gateway HTTP API payload 2.0; a Function URL sends the
// same shape with its own domain.
func v2Event(r req, domain string) []byte {
	body, b64 := bodyField(r)
	hdr := map[string]string{"host": domain, "user-agent": "curl/8.5.0", "x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https"}
	for k, v := range r.headers {
		hdr[strings.ToLower(k)] = v
	}
	ev := map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": r.path, "rawQueryString": r.query,
		"headers": hdr, "isBase64Encoded": b64, "body": body,
		"requestContext": map[string]any{
			"accountId": "123456789012", "apiId": "abc123", "domainName": domain, "domainPrefix": "abc123",
			"http":      map[string]any{"method": r.method, "path": r.path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "curl/8.5.0"},
			"requestId": "JKJaXmPLvHcESHA=", "routeKey": "$default", "stage": "$default", "time": "22/Nov/2026:00:00:00 +0000", "timeEpoch": 1795305600000,
		},
	}
	if len(r.cookies) > 0 {
		ev["cookies"] = r.cookies
	}
	b, _ := json.Marshal(ev)
	return b
}

// v1Event is a REST API payload 1.0 on the default execute-api host, stage prod.
func v1Event(r req) []byte {
	body, b64 := bodyField(r)
	hdr := map[string][]string{"Host": {"abc123.execute-api.eu-west-1.amazonaws.com"}, "X-Forwarded-For": {"203.0.113.9"}}
	for k, v := range r.headers {
		hdr[k] = []string{v}
	}
	single := map[string]string{}
	for k, v := range hdr {
		single[k] = v[len(v)-1]
	}
	ev := map[string]any{
		"resource": "/{proxy+}", "path": r.path, "httpMethod": r.method, "headers": single, "multiValueHeaders": hdr,
		"queryStringParameters": nil, "multiValueQueryStringParameters": nil, "body": body, "isBase64Encoded": b64,
		"requestContext": map[string]any{
			"accountId": "123456789012", "apiId": "abc123", "stage": "prod", "path": "/prod" + r.path, "httpMethod": r.method,
			"domainName": "abc123.execute-api.eu-west-1.amazonaws.com", "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
			"identity": map[string]any{"sourceIp": "203.0.113.9", "userAgent": "curl/8.5.0"},
		},
	}
	if r.query != "" {
		q := map[string][]string{}
		for _, kv := range strings.Split(r.query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			q[k] = append(q[k], v)
		}
		ev["multiValueQueryStringParameters"] = q
	}
	b, _ := json.Marshal(ev)
	return b
}

// albEvent is an ALB target group event, with multi-value headers when multi.
func albEvent(r req, multi bool) []byte {
	body, b64 := bodyField(r)
	hdr := map[string]string{"host": "frontbase-alb-123.eu-west-1.elb.amazonaws.com", "x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https"}
	for k, v := range r.headers {
		hdr[strings.ToLower(k)] = v
	}
	ev := map[string]any{
		"requestContext": map[string]any{"elb": map[string]any{"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/frontbase/6d0ecf831eec9f09"}},
		"httpMethod":     r.method, "path": r.path, "body": body, "isBase64Encoded": b64,
	}
	if multi {
		mh := map[string][]string{}
		for k, v := range hdr {
			mh[k] = []string{v}
		}
		ev["multiValueHeaders"] = mh
		ev["multiValueQueryStringParameters"] = map[string][]string{}
	} else {
		ev["headers"] = hdr
		ev["queryStringParameters"] = map[string]string{}
	}
	b, _ := json.Marshal(ev)
	return b
}

// response is the union of the three response shapes.
type response struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription string              `json:"statusDescription"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Cookies           []string            `json:"cookies"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

func (r *response) header(name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, v := range r.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func (r *response) body(t testing.TB) []byte {
	t.Helper()
	if !r.IsBase64Encoded {
		return []byte(r.Body)
	}
	b, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		t.Fatalf("body is marked base64 but is not: %v", err)
	}
	return b
}

func invoke(t testing.TB, api *runtimeAPI, fn *function, event []byte) (*response, string) {
	t.Helper()
	inv := api.enqueue(event)
	res := inv.wait(t, fn)
	if res.kind != "response" {
		t.Fatalf("invocation %s: %s %s: %s", inv.id, res.kind, res.errorType, res.body)
	}
	var out response
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, res.body)
	}
	return &out, inv.id
}

// ---------------------------------------------------------------- tests

func TestEdgeThroughRuntimeAPI(t *testing.T) {
	edge, _ := built(t)
	api := newRuntimeAPI(t)
	fn := startFunction(t, edge, api, cloudEnv(t)...)
	auth := map[string]string{"x-system-key": key, "content-type": "application/json"}

	// Publish: a JSON body through 2.0, then a base64 (binary-marked) body through 1.0.
	res, _ := invoke(t, api, fn, v2Event(req{method: "POST", path: "/api/import", headers: auth, body: readDemo(t, "landing.json")}, "abc123.execute-api.eu-west-1.amazonaws.com"))
	if res.StatusCode != 200 || !strings.Contains(res.Body, `"success":true`) {
		t.Fatalf("publish landing over 2.0: %d %s", res.StatusCode, res.Body)
	}
	for _, name := range []string{"about.json", "pricing.json", "contact.json"} {
		res, _ = invoke(t, api, fn, v1Event(req{method: "POST", path: "/api/import", headers: map[string]string{"X-System-Key": key, "Content-Type": "application/json"}, body: readDemo(t, name), base64: true}))
		if res.StatusCode != 200 || !strings.Contains(string(res.body(t)), `"success":true`) {
			t.Fatalf("publish %s over 1.0 with a base64 body: %d %s", name, res.StatusCode, res.body(t))
		}
	}

	// The page, for its ETag.
	home, homeID := invoke(t, api, fn, v2Event(req{method: "GET", path: "/"}, "abc123.execute-api.eu-west-1.amazonaws.com"))
	etag := home.header("Etag")
	if home.StatusCode != 200 || etag == "" || !strings.Contains(home.Body, "<html") || home.IsBase64Encoded {
		t.Fatalf("GET / over 2.0: %d etag %q base64 %v %.200s", home.StatusCode, etag, home.IsBase64Encoded, home.Body)
	}
	if got := home.header("X-Request-Id"); got != homeID {
		t.Errorf("X-Request-Id %q, want the AWS request id %q", got, homeID)
	}

	const apigw, furl = "abc123.execute-api.eu-west-1.amazonaws.com", "abcdefghij.lambda-url.eu-west-1.on.aws"
	tests := []struct {
		name       string
		event      []byte
		status     int
		header     map[string]string // name -> wanted value ("*" any non-empty)
		gzip       bool              // body is base64 gzip of an HTML page
		bodyHas    string
		noBody     bool
		singleOnly bool // ALB without multi-value headers
	}{
		{name: "v2 page", event: v2Event(req{method: "GET", path: "/about"}, apigw), status: 200, bodyHas: "<html", header: map[string]string{"Content-Type": "text/html; charset=utf-8"}},
		{name: "v2 304 on a list of tags", event: v2Event(req{method: "GET", path: "/", headers: map[string]string{"if-none-match": `"nope", ` + etag}}, apigw), status: 304, noBody: true},
		{name: "v2 gzip after another coding", event: v2Event(req{method: "GET", path: "/", headers: map[string]string{"accept-encoding": "deflate, gzip"}}, apigw), status: 200, gzip: true, header: map[string]string{"Content-Encoding": "gzip"}},
		{name: "v2 query and cookies", event: v2Event(req{method: "GET", path: "/pricing", query: "a=1&a=2&b=x%20y", cookies: []string{"s=1", "t=2"}}, apigw), status: 200, bodyHas: "<html"},
		{name: "v2 unknown page", event: v2Event(req{method: "GET", path: "/no-such-page"}, apigw), status: 404},
		{name: "v2 HEAD", event: v2Event(req{method: "HEAD", path: "/about"}, apigw), status: 200, noBody: true},
		{name: "v2 health", event: v2Event(req{method: "GET", path: "/api/health"}, apigw), status: 200, bodyHas: `"status":"ok"`},
		{name: "function URL page", event: v2Event(req{method: "GET", path: "/contact"}, furl), status: 200, bodyHas: "<html"},
		{name: "function URL gzip", event: v2Event(req{method: "GET", path: "/about", headers: map[string]string{"accept-encoding": "gzip, br"}}, furl), status: 200, gzip: true},
		{name: "v1 page under stage", event: v1Event(req{method: "GET", path: "/about"}), status: 200, bodyHas: "<html"},
		{name: "v1 304", event: v1Event(req{method: "GET", path: "/", headers: map[string]string{"If-None-Match": etag}}), status: 304, noBody: true},
		{name: "v1 gzip", event: v1Event(req{method: "GET", path: "/", headers: map[string]string{"Accept-Encoding": "gzip"}}), status: 200, gzip: true},
		{name: "v1 redirect keeps the stage", event: v1Event(req{method: "GET", path: "/about/", query: "x=1"}), status: 308, header: map[string]string{"Location": "/prod/about?x=1"}},
		{name: "v1 homepage slug redirect keeps the stage", event: v1Event(req{method: "GET", path: "/landing"}), status: 301, header: map[string]string{"Location": "/prod/"}},
		{name: "ALB multi-value page", event: albEvent(req{method: "GET", path: "/pricing"}, true), status: 200, bodyHas: "<html", header: map[string]string{"Etag": "*"}},
		{name: "ALB single-value gzip", event: albEvent(req{method: "GET", path: "/", headers: map[string]string{"accept-encoding": "gzip"}}, false), status: 200, gzip: true, singleOnly: true},
		{name: "ALB 304", event: albEvent(req{method: "GET", path: "/", headers: map[string]string{"if-none-match": etag, "host": apigw}}, false), status: 304, noBody: true, singleOnly: true},
		{name: "ALB management without key", event: albEvent(req{method: "GET", path: "/api/manage/pages"}, false), status: 401, bodyHas: `"success":false`, singleOnly: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, id := invoke(t, api, fn, tt.event)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %.300s", res.StatusCode, tt.status, res.Body)
			}
			for k, want := range tt.header {
				if got := res.header(k); got != want && !(want == "*" && got != "") {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			if res.header("X-Request-Id") != id {
				t.Errorf("X-Request-Id %q, want %q", res.header("X-Request-Id"), id)
			}
			if tt.singleOnly && res.MultiValueHeaders != nil {
				t.Errorf("single-value ALB request answered with multiValueHeaders")
			}
			if strings.Contains(string(tt.event), `"elb"`) && res.StatusDescription != fmt.Sprintf("%d %s", res.StatusCode, http.StatusText(res.StatusCode)) {
				t.Errorf("ALB statusDescription %q", res.StatusDescription)
			}
			body := res.body(t)
			if tt.noBody && len(body) != 0 {
				t.Errorf("body of %d bytes, want none", len(body))
			}
			if tt.gzip {
				if !res.IsBase64Encoded || res.header("Content-Encoding") != "gzip" {
					t.Fatalf("gzip response: base64 %v, Content-Encoding %q", res.IsBase64Encoded, res.header("Content-Encoding"))
				}
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				html, err := io.ReadAll(zr)
				if err != nil || !strings.Contains(string(html), "<html") {
					t.Fatalf("gzip body does not decompress to a page: %v", err)
				}
			}
			if tt.bodyHas != "" && !strings.Contains(string(body), tt.bodyHas) {
				t.Errorf("body lacks %q: %.300s", tt.bodyHas, body)
			}
		})
	}

	// An event that is no HTTP event gets an error response, and the same
	// process goes on serving.
	t.Run("invalid event", func(t *testing.T) {
		for _, ev := range []string{`{"hello":"world"}`, `[1,2]`, `{"version":"2.0","requestContext":{"http":{"method":"GET"}},"body":"%%%","isBase64Encoded":true}`} {
			inv := api.enqueue([]byte(ev))
			res := inv.wait(t, fn)
			if res.kind != "error" || !bytes.Contains(res.body, []byte("errorMessage")) {
				t.Errorf("%s: got %s %s", ev, res.kind, res.body)
			}
		}
		if res, _ := invoke(t, api, fn, v2Event(req{method: "GET", path: "/api/health"}, apigw)); res.StatusCode != 200 {
			t.Errorf("health after invalid events: %d", res.StatusCode)
		}
	})

	// Every log line of an invocation carries its request id.
	t.Run("log lines carry the request id", func(t *testing.T) {
		lines := 0
		for _, line := range strings.Split(fn.stderr.String(), "\n") {
			if !strings.HasPrefix(line, "{") {
				continue
			}
			lines++
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line is not JSON: %s", line)
			}
			if rec["msg"] == "request" && rec["requestId"] != rec["awsRequestId"] {
				t.Errorf("access line requestId %v, awsRequestId %v", rec["requestId"], rec["awsRequestId"])
			}
			if id, _ := rec["awsRequestId"].(string); !strings.HasPrefix(id, "req-") {
				t.Errorf("log line without the AWS request id: %s", line)
			}
		}
		if lines < len(tests) {
			t.Errorf("only %d JSON log lines", lines)
		}
	})
}

func TestFlushThroughRuntimeAPI(t *testing.T) {
	edge, flush := built(t)
	env, db := cloudServer(t)

	// Publish one page with the edge function, so the generation moves.
	eapi := newRuntimeAPI(t)
	efn := startFunction(t, edge, eapi, env...)
	if res, _ := invoke(t, eapi, efn, v2Event(req{method: "POST", path: "/api/import", headers: map[string]string{"x-system-key": key}, body: readDemo(t, "about.json")}, "x")); res.StatusCode != 200 {
		t.Fatalf("publish: %d %s", res.StatusCode, res.Body)
	}
	efn.stop()

	api := newRuntimeAPI(t)
	fn := startFunction(t, flush, api, env...)
	scheduled := `{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events",` +
		`"account":"123456789012","time":"2026-11-22T01:00:00Z","region":"eu-west-1","resources":["arn:aws:events:eu-west-1:123456789012:rule/frontbase-flush"],"detail":{}}`
	for i := range 2 { // twice: a warm invocation reuses the store
		before := db.Requests()
		inv := api.enqueue([]byte(scheduled))
		res := inv.wait(t, fn)
		if res.kind != "response" {
			t.Fatalf("run %d: %s %s", i, res.kind, res.body)
		}
		// With no workflow nor counters, a tick is three requests, cold or
		// warm: the generation (with the schema check on a cold start),
		// the workflows and the retention's delete, the last two at once.
		if n := db.Requests() - before; n != 3 {
			t.Errorf("run %d: %d requests to the database, want 3", i, n)
		}
		var rep struct {
			Generation int64 `json:"generation"`
			StoreOK    bool  `json:"storeOk"`
			BudgetMs   int64 `json:"budgetMs"`
		}
		if err := json.Unmarshal(res.body, &rep); err != nil {
			t.Fatal(err)
		}
		// The harness gives 30 s; the tick keeps 2 s back.
		if !rep.StoreOK || rep.Generation < 1 || rep.BudgetMs > 28000 || rep.BudgetMs < 27000 {
			t.Errorf("run %d: report %s", i, res.body)
		}
	}
	// Anything but an EventBridge scheduled event is refused without a
	// tick: a string, an HTTP event routed here by mistake, a console test
	// event.
	// Log lines are written in batches (LogSink), so count only once the
	// two scheduled runs' tick lines are out.
	tickLines := func(want int) int {
		deadline := time.Now().Add(30 * time.Second)
		for {
			n := strings.Count(fn.stderr.String(), `"msg":"tick"`)
			if n >= want || time.Now().After(deadline) {
				return n
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if n := tickLines(2); n != 2 {
		t.Fatalf("%d tick lines after two scheduled runs, want 2", n)
	}
	for _, ev := range [][]byte{[]byte(`"not an event"`), v2Event(req{method: "GET", path: "/"}, "x"), []byte(`{"key1":"value1"}`),
		[]byte(`{"source":"aws.events","detail-type":"Object Created","detail":{}}`)} {
		inv := api.enqueue(ev)
		if res := inv.wait(t, fn); res.kind != "error" || !bytes.Contains(res.body, []byte("EventBridge scheduled event")) {
			t.Errorf("%.60s: %s %s, want an error response naming the expected event", ev, res.kind, res.body)
		}
	}
	// One more scheduled run: once its tick line is out, any line a refused
	// event wrote before it is out too.
	if res := api.enqueue([]byte(scheduled)).wait(t, fn); res.kind != "response" {
		t.Fatalf("last run: %s %s", res.kind, res.body)
	}
	if n := tickLines(3); n != 3 {
		t.Errorf("%d ticks ran for events that are no schedule", n-3)
	}
	if !strings.Contains(fn.stderr.String(), `"msg":"tick"`) || !strings.Contains(fn.stderr.String(), `"awsRequestId":"req-`) {
		t.Errorf("flush logs lack the tick line with its request id:\n%s", fn.stderr.String())
	}
}

func TestInitErrorIsReported(t *testing.T) {
	edge, flush := built(t)
	cloud := []string{"FRONTBASE_ENV=cloud", "FRONTBASE_STATE_DB_URL=http://127.0.0.1:1"}
	tests := []struct {
		name      string
		env       []string
		errorType string
		has       []string
	}{
		{"bad setting", []string{"FRONTBASE_L1_TTL=soon", "FRONTBASE_LOCAL_DB_PATH=" + filepath.Join(t.TempDir(), "p.db")}, "Runtime.ConfigError", []string{"FRONTBASE_L1_TTL"}},
		// The default build leaves out SQLite and go-redis: a configuration
		// that needs them names the tag to build with.
		{"local mode without the sqlite tag", []string{"FRONTBASE_ENV=local", "FRONTBASE_LOCAL_DB_PATH=" + filepath.Join(t.TempDir(), "p.db")},
			"Runtime.InitError", []string{"FRONTBASE_ENV=local", `\"sqlite\" build tag`, "LAMBDA_TAGS=lambda.norpc,sqlite"}},
		{"redis:// without the redis tag", append([]string{"FRONTBASE_REDIS_URL=redis://127.0.0.1:1"}, cloud...),
			"Runtime.InitError", []string{"FRONTBASE_REDIS_URL", `\"redis\" build tag`, "LAMBDA_TAGS=lambda.norpc,redis"}},
	}
	for _, tt := range tests {
		for _, bin := range []string{edge, flush} {
			t.Run(tt.name+"/"+filepath.Base(filepath.Dir(bin)), func(t *testing.T) {
				api := newRuntimeAPI(t)
				fn := startFunction(t, bin, api, tt.env...)
				select {
				case ie := <-api.initErr:
					if ie.errorType != tt.errorType {
						t.Errorf("init error type %s, want %s: %s", ie.errorType, tt.errorType, ie.body)
					}
					for _, w := range tt.has {
						if !bytes.Contains(ie.body, []byte(w)) {
							t.Errorf("init error lacks %s: %s", w, ie.body)
						}
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("no init error reported\n%s", fn.stderr.String())
				}
				select {
				case <-fn.exited:
				case <-time.After(5 * time.Second):
					t.Fatal("bootstrap did not exit after its init error")
				}
				if api.nexts.Load() != 0 {
					t.Errorf("bootstrap asked for an invocation after a failed init")
				}
			})
		}
	}
}

// TestMeasureInit measures exec of bootstrap to its first response through
// the harness (FRONTBASE_MEASURE=1 go test -run TestMeasureInit -v).
func TestMeasureInit(t *testing.T) {
	if os.Getenv("FRONTBASE_MEASURE") == "" {
		t.Skip("set FRONTBASE_MEASURE=1 to measure")
	}
	edge, flush := built(t)
	for _, b := range []string{edge, flush} {
		st, _ := os.Stat(b)
		t.Logf("%s %s/%s: %.1f MB", filepath.Base(filepath.Dir(b)), runtime.GOOS, runtime.GOARCH, float64(st.Size())/1e6)
	}
	env := cloudEnv(t)
	api := newRuntimeAPI(t)
	fn := startFunction(t, edge, api, env...)
	invoke(t, api, fn, v2Event(req{method: "POST", path: "/api/import", headers: map[string]string{"x-system-key": key}, body: readDemo(t, "landing.json")}, "x"))
	fn.cmd.Process.Signal(os.Interrupt)
	fn.stop()
	for _, path := range []string{"/api/health", "/"} {
		var ms []float64
		for range 20 {
			api := newRuntimeAPI(t)
			inv := api.enqueue(v2Event(req{method: "GET", path: path}, "x"))
			start := time.Now()
			fn := startFunction(t, edge, api, append(env, "FRONTBASE_LOG_LEVEL=warn")...)
			res := inv.wait(t, fn)
			el := time.Since(start)
			if !bytes.Contains(res.body, []byte(`"statusCode":200`)) {
				t.Fatalf("%s: %s", path, res.body)
			}
			ms = append(ms, float64(el.Microseconds())/1000)
			fn.stop()
		}
		sortFloats(ms)
		t.Logf("lambda init to first response %s: min %.1f ms, median %.1f ms, max %.1f ms (n=%d)", path, ms[0], (ms[9]+ms[10])/2, ms[len(ms)-1], len(ms))
	}

	// The standalone server on the same Turso database: exec to the first 200,
	// polling every millisecond.
	server := filepath.Join(t.TempDir(), "server")
	if out, err := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", server, "../server").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, path := range []string{"/api/health", "/"} {
		var ms []float64
		for i := range 20 {
			port := strconv.Itoa(21000 + i + 100*len(path))
			cmd := exec.Command(server)
			cmd.Env = append([]string{"PORT=" + port, "FRONTBASE_BIND_ADDR=127.0.0.1", "FRONTBASE_LOG_LEVEL=warn"}, env...)
			client := &http.Client{Timeout: 50 * time.Millisecond}
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for {
				resp, err := client.Get("http://127.0.0.1:" + port + path)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == 200 {
						break
					}
				}
				if time.Since(start) > 10*time.Second {
					t.Fatalf("server did not answer %s", path)
				}
				time.Sleep(time.Millisecond)
			}
			ms = append(ms, float64(time.Since(start).Microseconds())/1000)
			cmd.Process.Kill()
			cmd.Wait()
		}
		sortFloats(ms)
		t.Logf("server exec to first 200 %s: min %.1f ms, median %.1f ms, max %.1f ms (n=%d)", path, ms[0], (ms[9]+ms[10])/2, ms[len(ms)-1], len(ms))
	}
}

func sortFloats(s []float64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestInitMakesNoNetworkIO starts the edge function in cloud mode against
// loopback listeners standing in for Turso and Upstash: init must not
// connect to either (connections are made on first use), and the first
// request does.
func TestInitMakesNoNetworkIO(t *testing.T) {
	edge, _ := built(t)
	var accepted atomic.Int64
	listen := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				accepted.Add(1)
				c.Close() // a dependency that is down
			}
		}()
		return ln.Addr().String()
	}
	api := newRuntimeAPI(t)
	fn := startFunction(t, edge, api, "FRONTBASE_ENV=cloud", "FRONTBASE_STATE_DB_URL=http://"+listen(), "FRONTBASE_STATE_DB_TOKEN=t",
		"FRONTBASE_REDIS_URL=http://"+listen(), "FRONTBASE_REDIS_TOKEN=t", "FRONTBASE_SYSTEM_KEY="+key)
	deadline := time.Now().Add(10 * time.Second)
	for api.nexts.Load() == 0 { // init is over when the runtime asks for work
		select {
		case ie := <-api.initErr:
			t.Fatalf("init error in cloud mode: %s", ie.body)
		case <-fn.exited:
			t.Fatalf("bootstrap exited: %s", fn.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("bootstrap never asked for an invocation")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := accepted.Load(); n != 0 {
		t.Fatalf("init made %d connection(s) to the state store or cache", n)
	}
	res, _ := invoke(t, api, fn, v2Event(req{method: "GET", path: "/about"}, "x"))
	if res.StatusCode < 500 || accepted.Load() == 0 {
		t.Errorf("a page with both dependencies down: status %d after %d connection(s), want a 5xx after trying", res.StatusCode, accepted.Load())
	}
	if res, _ := invoke(t, api, fn, v2Event(req{method: "GET", path: "/api/health"}, "x")); res.StatusCode != 200 {
		t.Errorf("public health: %d", res.StatusCode)
	}
}

// TestFlushImportsNoRenderer keeps the flush function to what it runs: the
// renderer, Markdown and Liquid engines and the HTTP API stay out of its
// binary (and out of its package init on a cold start).
func TestFlushImportsNoRenderer(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", "./flush").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/frontbase/edge/core/render", "github.com/frontbase/edge/core/api", "github.com/frontbase/edge/core/site",
			"github.com/frontbase/edge/functions/internal/engine", "github.com/gomarkdown/markdown", "github.com/osteele/liquid"} {
			if pkg == banned || strings.HasPrefix(pkg, banned+"/") {
				t.Errorf("the flush function imports %s", pkg)
			}
		}
	}
}

// TestLambdaLeavesOutSQLiteAndRedis keeps SQLite and go-redis, most of the
// code of the binaries, out of the default Lambda build (cloud mode:
// Turso and Upstash over HTTPS), and in when built with their tags.
func TestLambdaLeavesOutSQLiteAndRedis(t *testing.T) {
	sqlite := []string{"modernc.org/sqlite", "github.com/frontbase/edge/adapters/sqlite"}
	redis := []string{"github.com/redis/go-redis/v9", "github.com/frontbase/edge/adapters/redis"}
	for _, tt := range []struct {
		tags          string
		sqlite, redis bool // linked
	}{
		{"lambda.norpc", false, false},
		{"lambda.norpc,sqlite", true, false},
		{"lambda.norpc,redis", false, true},
		{"lambda.norpc,sqlite,redis", true, true},
	} {
		for _, fn := range []string{"edge", "flush"} {
			out, err := exec.Command("go", "list", "-tags", tt.tags, "-deps", "./"+fn).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			deps := strings.Fields(string(out))
			check := func(pkgs []string, want bool) {
				for _, pkg := range pkgs {
					if got := slices.Contains(deps, pkg); got != want {
						t.Errorf("%s -tags %s links %s: %v, want %v", fn, tt.tags, pkg, got, want)
					}
				}
			}
			check(sqlite, tt.sqlite)
			check(redis, tt.redis)
		}
	}
}
