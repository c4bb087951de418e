package lambdahttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

const (
	furlDomain  = "abcdefghij.lambda-url.eu-west-1.on.aws"
	apigwDomain = "abc123.execute-api.eu-west-1.amazonaws.com"
)

func v2For(method, domain string, headers map[string]string) json.RawMessage {
	ev, _ := json.Marshal(map[string]any{"version": "2.0", "rawPath": "/p", "headers": headers,
		"requestContext": map[string]any{"domainName": domain, "http": map[string]any{"method": method, "path": "/p"}}})
	return ev
}

// streamed is a streamed response as Lambda reads it off the runtime's
// POST: a JSON prelude, 8 NUL bytes, the body.
type streamed struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Cookies    []string          `json:"cookies"`
	body       []byte
}

func readStreamed(t testing.TB, r io.Reader) (streamed, error) {
	t.Helper()
	raw, err := io.ReadAll(r)
	var s streamed
	prelude, body, ok := bytes.Cut(raw, make([]byte, 8))
	if !ok {
		t.Fatalf("no 8-NUL separator after the prelude in %.200q", raw)
	}
	if jerr := json.Unmarshal(prelude, &s); jerr != nil {
		t.Fatalf("prelude %q: %v", prelude, jerr)
	}
	s.body = body
	return s, err
}

func TestStreamedResponses(t *testing.T) {
	big := bytes.Repeat([]byte("<p>a line of a very long page</p>\n"), (7<<20)/34) // > 6 MB
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Etag", `"big"`)
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		w.Header().Add("Vary", "Accept-Encoding")
		w.Header().Add("Vary", "Cookie")
		w.Write(big[:1000])
		w.Write(big[1000:])
	})
	tests := []struct {
		name     string
		stream   bool
		event    json.RawMessage
		h        http.Handler
		streamed bool
		status   int
		body     []byte
	}{
		{"function URL streams a page over 6 MB whole", true, v2For("GET", furlDomain, map[string]string{"accept-encoding": "gzip"}), page, true, 200, big},
		{"HEAD streams the head only", true, v2For("HEAD", furlDomain, nil), page, true, 200, nil},
		{"status without a body", true, v2For("GET", furlDomain, nil), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Etag", `"x"`)
			w.WriteHeader(http.StatusNotModified)
		}), true, 304, nil},
		{"a handler that writes nothing is a 200", true, v2For("GET", furlDomain, nil), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), true, 200, nil},
		{"API Gateway stays buffered", true, v2For("GET", apigwDomain, nil), page, false, 0, nil},
		{"function URL buffered without the flag", false, v2For("GET", furlDomain, nil), page, false, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Handler{H: tt.h, Stream: tt.stream}
			out, err := h.Invoke(context.Background(), tt.event)
			if err != nil {
				t.Fatal(err)
			}
			res, ok := out.(*events.LambdaFunctionURLStreamingResponse)
			if ok != tt.streamed {
				t.Fatalf("response %T, streamed %v, want %v", out, ok, tt.streamed)
			}
			if !ok {
				// The buffered path keeps its 6 MB rule.
				if b := out.(events.APIGatewayV2HTTPResponse); b.StatusCode != 500 || !strings.Contains(b.Body, "6 MB") {
					t.Errorf("buffered answer %d %.100s, want the 6 MB error", b.StatusCode, b.Body)
				}
				return
			}
			if res.ContentType() != "application/vnd.awslambda.http-integration-response" {
				t.Errorf("content type %q", res.ContentType())
			}
			s, err := readStreamed(t, res)
			if err != nil {
				t.Fatal(err)
			}
			res.Close()
			if s.StatusCode != tt.status || !bytes.Equal(s.body, tt.body) {
				t.Fatalf("status %d body %d bytes, want %d and %d bytes", s.StatusCode, len(s.body), tt.status, len(tt.body))
			}
			if tt.h != nil && tt.status == 200 && tt.body != nil {
				if s.Headers["Content-Type"] != "text/html; charset=utf-8" || s.Headers["Etag"] != `"big"` || s.Headers["Vary"] != "Accept-Encoding, Cookie" ||
					s.Headers["Content-Encoding"] != "" || s.Headers["Set-Cookie"] != "" || strings.Join(s.Cookies, " ") != "a=1 b=2" {
					t.Errorf("headers %v cookies %v", s.Headers, s.Cookies)
				}
			}
		})
	}
}

// TestStreamSendsTheHeadBeforeTheBodyEnds: the invocation returns once the
// head is known and the first bytes are readable while the handler still
// runs (a buffered answer would wait for the handler to finish).
func TestStreamSendsTheHeadBeforeTheBodyEnds(t *testing.T) {
	release := make(chan struct{})
	h := &Handler{Stream: true, H: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("first;"))
		<-release
		w.Write([]byte("second"))
	})}
	type answer struct {
		out any
		err error
	}
	got := make(chan answer, 1)
	go func() {
		out, err := h.Invoke(context.Background(), v2For("GET", furlDomain, nil))
		got <- answer{out, err}
	}()
	var a answer
	select {
	case a = <-got:
	case <-time.After(20 * time.Second):
		close(release)
		t.Fatal("Invoke did not return while the handler was still writing")
	}
	if a.err != nil {
		t.Fatal(a.err)
	}
	res := a.out.(*events.LambdaFunctionURLStreamingResponse)
	want := []byte("first;")
	buf := make([]byte, 0, 4096)
	for !bytes.HasSuffix(buf, want) {
		n, err := res.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			t.Fatalf("read %q: %v", buf, err)
		}
	}
	close(release)
	rest, err := io.ReadAll(res)
	if err != nil || string(rest) != "second" {
		t.Fatalf("rest %q %v", rest, err)
	}
	res.Close()
}

func TestStreamFailures(t *testing.T) {
	t.Run("a panic before the head fails the invocation", func(t *testing.T) {
		h := &Handler{Stream: true, H: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })}
		if _, err := h.Invoke(context.Background(), v2For("GET", furlDomain, nil)); err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("error %v, want the panic", err)
		}
	})
	t.Run("a panic after the head ends the stream with an error", func(t *testing.T) {
		h := &Handler{Stream: true, H: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("part"))
			panic("boom")
		})}
		out, err := h.Invoke(context.Background(), v2For("GET", furlDomain, nil))
		if err != nil {
			t.Fatal(err)
		}
		res := out.(*events.LambdaFunctionURLStreamingResponse)
		if _, err := io.ReadAll(res); err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("read error %v, want the panic", err)
		}
		res.Close()
	})
	t.Run("closing the body stops a handler still writing", func(t *testing.T) {
		writeErr := make(chan error, 1)
		h := &Handler{Stream: true, H: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for {
				if _, err := w.Write(make([]byte, 1<<10)); err != nil {
					writeErr <- err
					return
				}
			}
		})}
		out, err := h.Invoke(context.Background(), v2For("GET", furlDomain, nil))
		if err != nil {
			t.Fatal(err)
		}
		res := out.(*events.LambdaFunctionURLStreamingResponse)
		res.Read(make([]byte, 64))
		res.Close() // returns only once the handler has
		if err := <-writeErr; !errors.Is(err, io.ErrClosedPipe) {
			t.Fatalf("write error %v, want a closed pipe", err)
		}
	})
}

func TestParseStreaming(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    bool
		wantErr bool
	}{{"", false, false}, {"off", false, false}, {"on", true, false}, {" ON ", true, false}, {"true", true, false}, {"0", false, false}, {"RESPONSE_STREAM", false, true}, {"yes", false, true}} {
		got, err := ParseStreaming(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseStreaming(%q) = %v, %v", tt.in, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), StreamingEnv) {
			t.Errorf("error %q does not name %s", err, StreamingEnv)
		}
	}
}

func TestIsFunctionURL(t *testing.T) {
	for domain, want := range map[string]bool{furlDomain: true, "ABC.LAMBDA-URL.us-east-1.on.aws": true, apigwDomain: false, "www.example.com": false, "": false, "lambda-url.example.com": false} {
		if got := IsFunctionURL(domain); got != want {
			t.Errorf("IsFunctionURL(%q) = %v", domain, got)
		}
	}
}

// BenchmarkLargePage serves a 5 MB page both ways, up to the bytes the
// runtime client posts: buffered (the API Gateway response, JSON-encoded
// as aws-lambda-go does) and streamed (prelude and body read through).
//
//	go test -run '^$' -bench LargePage -benchmem ./functions/lambda/internal/lambdahttp/
func BenchmarkLargePage(b *testing.B) {
	page := bytes.Repeat([]byte("<p class=row>a line of a long page, unquoted</p>\n"), (5<<20)/48)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	for _, mode := range []struct {
		name   string
		domain string
	}{{"buffered", apigwDomain}, {"streamed", furlDomain}} {
		b.Run(mode.name, func(b *testing.B) {
			l := &Handler{H: h, Stream: true}
			ev := v2For("GET", mode.domain, nil)
			b.SetBytes(int64(len(page)))
			for b.Loop() {
				out, err := l.Invoke(context.Background(), ev)
				if err != nil {
					b.Fatal(err)
				}
				var n int64
				if r, ok := out.(*events.LambdaFunctionURLStreamingResponse); ok {
					n, err = io.Copy(io.Discard, r)
					r.Close()
				} else {
					var buf bytes.Buffer
					enc := json.NewEncoder(&buf)
					enc.SetEscapeHTML(false) // aws-lambda-go's default
					err = enc.Encode(out)
					n = int64(buf.Len())
				}
				if err != nil || n < int64(len(page)) {
					b.Fatalf("%d bytes, %v", n, err)
				}
			}
		})
	}
}

// TestALBResponsesFitOneMB: an ALB takes at most 1 MB of response JSON
// from a Lambda target (502 past it), so its responses are fitted to that,
// not to Lambda's 6 MB.
func TestALBResponsesFitOneMB(t *testing.T) {
	page := bytes.Repeat([]byte("<p>one line of a page of two megabytes, unquoted</p>\n"), (2<<20)/54)
	h := &Handler{H: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})}
	for _, tt := range []struct {
		name, accept string
		status       int
		gzip         bool
	}{{"gzipped to fit", "gzip", 200, true}, {"error naming the limit", "", 500, false}} {
		t.Run(tt.name, func(t *testing.T) {
			ev, _ := json.Marshal(map[string]any{"httpMethod": "GET", "path": "/", "headers": map[string]string{"accept-encoding": tt.accept},
				"requestContext": map[string]any{"elb": map[string]any{"targetGroupArn": "arn"}}})
			out, err := h.Invoke(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			res := out.(events.ALBTargetGroupResponse)
			enc, _ := json.Marshal(res)
			if len(enc) > MaxALBPayload {
				t.Errorf("encoded response %d bytes, over %d", len(enc), MaxALBPayload)
			}
			if res.StatusCode != tt.status || (res.Headers["Content-Encoding"] == "gzip") != tt.gzip {
				t.Fatalf("status %d Content-Encoding %q, want %d gzip %v", res.StatusCode, res.Headers["Content-Encoding"], tt.status, tt.gzip)
			}
			if tt.status == 500 && !strings.Contains(res.Body, "(1 MB) an ALB") {
				t.Errorf("body %s", res.Body)
			}
		})
	}
}
