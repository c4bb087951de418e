package lambda_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/functions/lambda/internal/lambdahttp"
)

const (
	maxBuffered     = lambdahttp.MaxPayload       // what Lambda takes from a buffered invoke
	maxStreamed     = lambdahttp.MaxStreamPayload // ... and from a streamed one
	httpIntegration = "application/vnd.awslambda.http-integration-response"
	apigwHost       = "abc123.execute-api.eu-west-1.amazonaws.com"
	furlHost        = "abcdefghij.lambda-url.eu-west-1.on.aws"
)

// streamMode says whether a posted response is one a streaming Function
// URL reads as status, headers and cookies in a JSON prelude, 8 NUL bytes,
// then the body. As in Lambda, the invoke decides whether the response
// streams (a RESPONSE_STREAM URL invokes with streaming); the runtime's
// Lambda-Runtime-Function-Response-Mode header is optional but, when
// sent, must say streaming. The HTTP integration content type marks the
// prelude (aws-lambda-go sends it, chunked, without the header).
func streamMode(r *http.Request, streamInvoke bool) (bool, error) {
	mode := r.Header.Get("Lambda-Runtime-Function-Response-Mode")
	if mode != "" && mode != "streaming" {
		return false, fmt.Errorf("Lambda-Runtime-Function-Response-Mode %q", mode)
	}
	if !streamInvoke || r.Header.Get("Content-Type") != httpIntegration {
		return false, nil
	}
	if !slices.Equal(r.TransferEncoding, []string{"chunked"}) {
		return false, fmt.Errorf("a streamed response must be chunked, got Transfer-Encoding %v", r.TransferEncoding)
	}
	return true, nil
}

// enqueueStream queues an event for a streaming invoke.
func (a *runtimeAPI) enqueueStream(payload []byte) *invocation {
	inv := &invocation{
		id:       fmt.Sprintf("req-%04d-8f5e6a1b", a.nextID.Add(1)),
		payload:  payload,
		deadline: time.Now().Add(30 * time.Second),
		stream:   true,
		done:     make(chan result, 1),
	}
	a.events <- inv
	return inv
}

// parseStreamed splits a streamed response as a Function URL does: the
// prelude becomes the status, headers and cookies; the rest is the body.
func parseStreamed(t testing.TB, raw []byte) (*response, []byte) {
	t.Helper()
	prelude, body, ok := bytes.Cut(raw, make([]byte, 8))
	if !ok {
		t.Fatalf("streamed response without the 8-NUL separator: %.200q", raw)
	}
	var res response
	if err := json.Unmarshal(prelude, &res); err != nil {
		t.Fatalf("prelude %q: %v", prelude, err)
	}
	return &res, body
}

// invokeStreamed runs one event and wants a streamed response back.
func invokeStreamed(t testing.TB, api *runtimeAPI, fn *function, event []byte) (*response, []byte, string) {
	t.Helper()
	inv := api.enqueueStream(event)
	res := inv.wait(t, fn)
	if res.kind != "response" || !res.streamed {
		t.Fatalf("invocation %s: %s %s (streamed %v): %.300s", inv.id, res.kind, res.errorType, res.streamed, res.body)
	}
	head, body := parseStreamed(t, res.body)
	return head, body, inv.id
}

// bigPage is a page of n texts of 8 KB (900: over 7 MB of HTML). Through
// Lambda such a page is published straight to Turso (the CLI's turso
// strategy), as request payloads are capped at 6 MB too; here it goes
// through /api/import with the body limit raised.
func bigPage(n int) []byte {
	var content []any
	for i := range n {
		content = append(content, map[string]any{"id": fmt.Sprintf("t%d", i), "type": "Text",
			"props": map[string]any{"text": fmt.Sprintf("row %04d ", i) + strings.Repeat("lorem ipsum dolor sit amet ", 300)}})
	}
	content = append(content, map[string]any{"id": "end", "type": "Text", "props": map[string]any{"text": "the end of the big page"}})
	b, _ := json.Marshal(map[string]any{"force": true, "page": map[string]any{
		"id": "b7f3c0de-5a1e-4c2b-9d4e-0000000000b1", "slug": "big", "tenantSlug": "_default", "name": "Big", "title": "Big",
		"layoutData": map[string]any{"content": content}, "version": 1, "isPublic": true,
	}})
	return b
}

// TestEdgeStreamsThroughFunctionURL runs the real bootstrap with
// FRONTBASE_LAMBDA_STREAMING=on: Function URL events get streamed
// responses (a page over 6 MB arrives whole), API Gateway events keep the
// buffered path and its clear 6 MB error.
func TestEdgeStreamsThroughFunctionURL(t *testing.T) {
	edge, _ := built(t)
	api := newRuntimeAPI(t)
	fn := startFunction(t, edge, api, append(cloudEnv(t), "FRONTBASE_LAMBDA_STREAMING=on",
		"FRONTBASE_MAX_PAGE_BYTES=32MiB", "FRONTBASE_MAX_BODY_BYTES=32MiB")...)
	auth := map[string]string{"x-system-key": key, "content-type": "application/json"}
	for _, page := range [][]byte{readDemo(t, "about.json"), bigPage(900)} {
		res, _ := invoke(t, api, fn, v2Event(req{method: "POST", path: "/api/import", headers: auth, body: page}, apigwHost))
		if res.StatusCode != 200 || !strings.Contains(res.Body, `"success":true`) {
			t.Fatalf("publish: %d %.300s", res.StatusCode, res.Body)
		}
	}

	full, _, _ := invokeStreamed(t, api, fn, v2Event(req{method: "GET", path: "/big"}, furlHost))
	etag := full.header("Etag")
	tests := []struct {
		name    string
		event   []byte
		status  int
		minBody int    // the body is at least this long
		tail    string // ... and its (decoded) end has this
		gzip    bool
		noBody  bool
	}{
		{name: "page over 6 MB", event: v2Event(req{method: "GET", path: "/big"}, furlHost), status: 200, minBody: maxBuffered, tail: "the end of the big page"},
		{name: "page over 6 MB gzipped", event: v2Event(req{method: "GET", path: "/big", headers: map[string]string{"accept-encoding": "gzip"}}, furlHost), status: 200, gzip: true, minBody: maxBuffered, tail: "the end of the big page"},
		{name: "HEAD", event: v2Event(req{method: "HEAD", path: "/big"}, furlHost), status: 200, noBody: true},
		{name: "304", event: v2Event(req{method: "GET", path: "/big", headers: map[string]string{"if-none-match": etag}}, furlHost), status: 304, noBody: true},
		{name: "small page", event: v2Event(req{method: "GET", path: "/about", cookies: []string{"s=1"}}, furlHost), status: 200, tail: "</html>"},
		{name: "unknown page", event: v2Event(req{method: "GET", path: "/no-such-page"}, furlHost), status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body, id := invokeStreamed(t, api, fn, tt.event)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %.300s", res.StatusCode, tt.status, body)
			}
			if res.header("X-Request-Id") != id {
				t.Errorf("X-Request-Id %q, want %q", res.header("X-Request-Id"), id)
			}
			if tt.noBody && len(body) != 0 {
				t.Errorf("body of %d bytes, want none", len(body))
			}
			if tt.gzip {
				if res.header("Content-Encoding") != "gzip" {
					t.Fatalf("Content-Encoding %q, want gzip", res.header("Content-Encoding"))
				}
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if len(body) < tt.minBody || !strings.Contains(string(body[max(0, len(body)-4096):]), tt.tail) {
				t.Errorf("body of %d bytes ending %.100q, want at least %d ending with %q", len(body), body[max(0, len(body)-100):], tt.minBody, tt.tail)
			}
			if tt.status == 200 && !tt.noBody && !strings.HasPrefix(res.header("Content-Type"), "text/html") {
				t.Errorf("Content-Type %q", res.header("Content-Type"))
			}
		})
	}

	// API Gateway invokes buffered: the same page is gzipped to fit, or
	// answered with the error naming the 6 MB limit, never a bare 502.
	t.Run("API Gateway keeps the buffered limit", func(t *testing.T) {
		res, _ := invoke(t, api, fn, v2Event(req{method: "GET", path: "/big"}, apigwHost))
		if res.StatusCode != 500 || !strings.Contains(res.Body, "6 MB") || !strings.Contains(res.Body, "Function URL with response streaming") {
			t.Errorf("buffered page over 6 MB: %d %.300s", res.StatusCode, res.Body)
		}
		res, _ = invoke(t, api, fn, v2Event(req{method: "GET", path: "/big", headers: map[string]string{"accept-encoding": "gzip"}}, apigwHost))
		if res.StatusCode != 200 || res.header("Content-Encoding") != "gzip" {
			t.Errorf("buffered page over 6 MB with gzip: %d %q", res.StatusCode, res.header("Content-Encoding"))
		}
	})
}

// firstByte notes when a body's first byte arrives.
type firstByte struct {
	r  io.Reader
	at time.Time
}

func (f *firstByte) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if n > 0 && f.at.IsZero() {
		f.at = time.Now()
	}
	return n, err
}

// BenchmarkLargePageThroughRuntimeAPI serves a 5 MB page (under the
// buffered limit, so both paths answer it whole) through the real
// bootstrap, buffered (API Gateway) and streamed (a Function URL in
// RESPONSE_STREAM mode); ttfb-ms is from the event's hand-over to the
// first byte the runtime posts.
//
//	go test -run '^$' -bench LargePageThroughRuntimeAPI ./functions/lambda/
func BenchmarkLargePageThroughRuntimeAPI(b *testing.B) {
	edge, _ := built(b)
	api := newRuntimeAPI(b)
	fn := startFunction(b, edge, api, append(cloudEnv(b), "FRONTBASE_LAMBDA_STREAMING=on",
		"FRONTBASE_MAX_PAGE_BYTES=32MiB", "FRONTBASE_MAX_BODY_BYTES=32MiB")...)
	res, _ := invoke(b, api, fn, v2Event(req{method: "POST", path: "/api/import", headers: map[string]string{"x-system-key": key, "content-type": "application/json"}, body: bigPage(620)}, apigwHost))
	if res.StatusCode != 200 {
		b.Fatalf("publish: %d %.300s", res.StatusCode, res.Body)
	}
	// Rendered once and in L1 before either mode is timed.
	if res, _ := invoke(b, api, fn, v2Event(req{method: "GET", path: "/big"}, apigwHost)); res.StatusCode != 200 {
		b.Fatalf("GET /big: %d", res.StatusCode)
	}
	for _, mode := range []struct{ name, host string }{{"buffered", apigwHost}, {"streamed", furlHost}} {
		b.Run(mode.name, func(b *testing.B) {
			ev := v2Event(req{method: "GET", path: "/big"}, mode.host)
			enqueue := api.enqueue
			if mode.name == "streamed" {
				enqueue = api.enqueueStream
			}
			var ttfb time.Duration
			for b.Loop() {
				start := time.Now()
				inv := enqueue(ev)
				r := inv.wait(b, fn)
				if r.kind != "response" || r.streamed != (mode.name == "streamed") || len(r.body) < 5_000_000 {
					b.Fatalf("%s, streamed %v, %d bytes: %.200s", r.kind, r.streamed, len(r.body), r.body)
				}
				ttfb += r.first.Sub(start)
			}
			b.ReportMetric(float64(ttfb)/float64(b.N)/1e6, "ttfb-ms")
		})
	}
}

// TestStreamingFlagIsChecked: a value other than on or off stops the init
// with a message naming the variable.
func TestStreamingFlagIsChecked(t *testing.T) {
	edge, _ := built(t)
	api := newRuntimeAPI(t)
	fn := startFunction(t, edge, api, "FRONTBASE_LAMBDA_STREAMING=RESPONSE_STREAM", "FRONTBASE_ENV=cloud", "FRONTBASE_STATE_DB_URL=http://127.0.0.1:1")
	select {
	case ie := <-api.initErr:
		if ie.errorType != "Runtime.ConfigError" || !bytes.Contains(ie.body, []byte("FRONTBASE_LAMBDA_STREAMING")) {
			t.Errorf("init error %s %s", ie.errorType, ie.body)
		}
	case <-fn.exited:
		t.Fatalf("bootstrap exited without reporting an init error\n%s", fn.stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("no init error reported\n%s", fn.stderr.String())
	}
}
