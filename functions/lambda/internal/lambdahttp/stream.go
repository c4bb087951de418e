package lambdahttp

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"
)

// MaxStreamPayload is the most a Function URL in RESPONSE_STREAM mode
// carries (200 MB); past 6 MB Lambda streams at 2 MB/s.
const MaxStreamPayload = 200 << 20

// StreamingEnv names the variable that tells the edge function its Function
// URL streams (template.yaml and serverless.yml set it from the URL's
// invoke mode).
const StreamingEnv = "FRONTBASE_LAMBDA_STREAMING"

// ParseStreaming reads StreamingEnv's value: on or off (the default).
func ParseStreaming(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "off", "false", "0":
		return false, nil
	case "on", "true", "1":
		return true, nil
	}
	return false, fmt.Errorf("%s: expected on or off, got %q", StreamingEnv, v)
}

// IsFunctionURL reports whether a 2.0 event's domain is a Function URL's
// (ID.lambda-url.REGION.on.aws; CloudFront in front keeps it). HTTP APIs
// send the same shape but invoke buffered, so only these may stream.
func IsFunctionURL(domain string) bool {
	return strings.Contains(strings.ToLower(domain), ".lambda-url.")
}

// stream serves req with the response streamed: the handler runs in its
// own goroutine writing into a pipe, and the invocation returns as soon as
// the status and headers are known, so Lambda sends the head, then the
// body as it is written, with no 6 MB cap and no second copy in memory.
// aws-lambda-go posts the response as a chunked body with the
// http-integration-response content type, a JSON prelude (status, headers,
// cookies) and 8 NUL bytes before the body.
func (l *Handler) stream(req *http.Request) (any, error) {
	pr, pw := io.Pipe()
	w := &streamWriter{header: http.Header{}, ready: make(chan struct{}), pw: pw, head: req.Method == http.MethodHead}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			p := recover()
			if p == nil {
				w.commit(http.StatusOK, nil)
				pw.Close()
				return
			}
			// Before the head went out the invocation fails as a buffered
			// one would; after it, the stream ends with the error, which
			// the runtime client reports in the response's trailers.
			err := fmt.Errorf("handler panic: %v", p)
			w.commit(0, err)
			pw.CloseWithError(err)
		}()
		l.H.ServeHTTP(w, req)
	}()
	<-w.ready
	if w.err != nil {
		<-done
		return nil, w.err
	}
	return &events.LambdaFunctionURLStreamingResponse{
		StatusCode: w.status,
		Headers:    joinHeaders(w.sent, true),
		Cookies:    w.sent.Values("Set-Cookie"),
		Body:       &streamBody{pr: pr, done: done},
	}, nil
}

// streamWriter is the http.ResponseWriter of a streamed response: the
// head is committed at the first WriteHeader or Write (or when the handler
// returns), then every Write goes down the pipe.
type streamWriter struct {
	header http.Header
	ready  chan struct{} // closed once the head is committed
	once   sync.Once
	status int
	sent   http.Header // the header as committed
	err    error       // a failure before the head was committed
	pw     *io.PipeWriter
	head   bool // a HEAD request: the body is dropped
}

func (w *streamWriter) commit(status int, err error) {
	w.once.Do(func() {
		w.status, w.sent, w.err = status, w.header.Clone(), err
		close(w.ready)
	})
}

func (w *streamWriter) Header() http.Header { return w.header }

func (w *streamWriter) WriteHeader(code int) {
	if code < 200 {
		return
	}
	w.commit(code, nil)
}

func (w *streamWriter) Write(b []byte) (int, error) {
	w.commit(http.StatusOK, nil)
	if w.head {
		return len(b), nil
	}
	return w.pw.Write(b)
}

// Flush is a no-op: every Write already reaches the reader.
func (w *streamWriter) Flush() {}

// streamBody is the body the runtime client reads. Close (called by the
// runtime loop once the response is posted, or failed) unblocks a handler
// still writing and waits for it, so no handler outlives its invocation.
type streamBody struct {
	pr   *io.PipeReader
	done chan struct{}
}

func (b *streamBody) Read(p []byte) (int, error) { return b.pr.Read(p) }

func (b *streamBody) Close() error {
	b.pr.Close()
	<-b.done
	return nil
}
