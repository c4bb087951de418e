package fit

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

const testLimit = 64 << 10

var limit = Limit{Bytes: testLimit, What: "(64 KiB) the test platform takes", Advice: "ask for less"}

// page is compressible text of n bytes.
func page(n int) []byte {
	line := []byte(`<p class="row">a "quoted" line of a long page</p>` + "\n")
	return bytes.Repeat(line, n/len(line)+1)[:n]
}

// noise is n incompressible bytes.
func noise(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{7}).Read(b)
	return b
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// refusal decodes a refusal's body and checks it names the size and the
// limit.
func refusal(t *testing.T, status int, h http.Header, body []byte, size int) string {
	t.Helper()
	var got struct {
		Success *bool
		Error   string
	}
	if err := json.Unmarshal(body, &got); err != nil || got.Success == nil || *got.Success {
		t.Fatalf("refusal body %q: %v", body, err)
	}
	if status != http.StatusInternalServerError || h.Get("Content-Type") != "application/json; charset=utf-8" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("refusal: status %d, headers %v", status, h)
	}
	for _, k := range []string{"Content-Encoding", "Content-Length", "Etag"} {
		if h.Get(k) != "" {
			t.Errorf("refusal keeps %s: %q", k, h.Get(k))
		}
	}
	for _, want := range []string{"the response is " + strconv.Itoa(size) + " bytes", "over the 65536 bytes (64 KiB) the test platform takes", "ask for less"} {
		if !strings.Contains(got.Error, want) {
			t.Errorf("refusal %q lacks %q", got.Error, want)
		}
	}
	return got.Error
}

// TestFit: the rule on a buffered answer, with the caller's own cost (here
// the body's length plus 1 KiB of envelope).
func TestFit(t *testing.T) {
	cost := func(b []byte, gzipped bool) int { return len(b) + 1<<10 }
	tests := []struct {
		name, accept, encoding string
		body                   []byte
		want                   string // "same", "gzip", or what the refusal says
	}{
		{"fits as is", "", "", page(testLimit - 1<<10), "same"},
		{"empty", "", "", nil, "same"},
		{"gzip fits", "deflate, gzip", "", page(4 * testLimit), "gzip"},
		{"gzip by *", "*", "", page(4 * testLimit), "gzip"},
		{"gzip not accepted", "identity", "", page(4 * testLimit), "send Accept-Encoding: gzip, or ask for less"},
		{"gzip refused with q=0", "gzip;q=0", "", page(4 * testLimit), "send Accept-Encoding: gzip"},
		{"too big even gzipped", "gzip", "", noise(2 * testLimit), ", even gzipped; ask for less"},
		{"already encoded", "gzip", "br", noise(2 * testLimit), "takes; ask for less"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Etag": {`"abc"`}, "Content-Length": {strconv.Itoa(len(tt.body))}}
			if tt.encoding != "" {
				h.Set("Content-Encoding", tt.encoding)
			}
			status, body, changed := Fit(h, 200, tt.body, tt.accept, limit, cost)
			switch tt.want {
			case "same":
				if changed || status != 200 || !bytes.Equal(body, tt.body) || h.Get("Etag") != `"abc"` {
					t.Errorf("changed %v: %d, %d bytes, %v", changed, status, len(body), h)
				}
			case "gzip":
				if !changed || status != 200 || h.Get("Content-Encoding") != "gzip" || h.Get("Vary") != "Accept-Encoding" ||
					h.Get("Etag") != "" || h.Get("Content-Length") != "" || h.Get("Content-Type") != "text/html; charset=utf-8" {
					t.Fatalf("%d %v", status, h)
				}
				if cost(body, true) > testLimit || !bytes.Equal(gunzip(t, body), tt.body) {
					t.Errorf("gzip body of %d bytes is over the limit or not the answer", len(body))
				}
			default:
				if msg := refusal(t, status, h, body, len(tt.body)); !strings.Contains(msg, tt.want) {
					t.Errorf("refusal %q lacks %q", msg, tt.want)
				}
			}
		})
	}
}

// answer is what a handler sends in TestServe.
type answer struct {
	status  int
	header  map[string]string
	body    []byte
	chunk   int  // write in chunks of this size (0: one write)
	noType  bool // leave Content-Type to be sniffed
	noWrite bool
}

func (a answer) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.noType {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		if a.noWrite {
			return
		}
		if a.status != 0 {
			w.WriteHeader(a.status)
		}
		if a.chunk == 0 {
			w.Write(a.body)
			return
		}
		for b := a.body; len(b) > 0; {
			n := min(a.chunk, len(b))
			w.Write(b[:n])
			b = b[n:]
		}
	})
}

func TestServe(t *testing.T) {
	big := page(4 * testLimit)
	tests := []struct {
		name, method, accept string
		a                    answer
		want                 string // "same", "gzip", or what the refusal says
	}{
		{"small page untouched", "GET", "gzip", answer{header: map[string]string{"Etag": `"e"`, "Content-Length": "9"}, body: []byte("<p>hi</p>")}, "same"},
		{"exactly the limit untouched", "GET", "", answer{body: page(testLimit), chunk: 1000}, "same"},
		{"declared length over the limit gzipped", "GET", "gzip", answer{header: map[string]string{"Content-Length": strconv.Itoa(len(big))}, body: big, chunk: 1000}, "gzip"},
		{"error status untouched", "GET", "", answer{status: 404, body: []byte(`{"success":false}`)}, "same"},
		{"nothing written", "GET", "", answer{noWrite: true, header: map[string]string{"X-A": "b"}}, "same"},
		{"HEAD untouched", "HEAD", "", answer{header: map[string]string{"Content-Length": strconv.Itoa(len(big))}, body: big}, "same"},
		{"304 untouched", "GET", "", answer{status: 304, header: map[string]string{"Etag": `"e"`}}, "same"},
		{"large answer gzipped", "GET", "br, gzip", answer{header: map[string]string{"Etag": `"e"`, "Content-Length": strconv.Itoa(len(big))}, body: big}, "gzip"},
		{"gzipped across many writes", "GET", "gzip", answer{body: big, chunk: 1000}, "gzip"},
		{"gzipped with a sniffed type", "GET", "gzip", answer{body: big, chunk: 100, noType: true}, "gzip"},
		{"gzip not accepted", "GET", "", answer{body: big, chunk: 3000}, "send Accept-Encoding: gzip, or ask for less"},
		{"too big even gzipped", "GET", "gzip", answer{body: noise(3 * testLimit), chunk: 5000}, ", even gzipped; ask for less"},
		{"already encoded", "GET", "gzip", answer{header: map[string]string{"Content-Encoding": "gzip"}, body: noise(2 * testLimit)}, "takes; ask for less"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := func() *http.Request {
				r := httptest.NewRequest(tt.method, "/x", nil)
				r.Header.Set("Accept-Encoding", tt.accept)
				return r
			}
			direct := httptest.NewRecorder()
			tt.a.handler().ServeHTTP(direct, req())
			fitted := httptest.NewRecorder()
			Serve(fitted, req(), tt.a.handler(), limit)
			res := fitted.Result()
			body := fitted.Body.Bytes()
			switch tt.want {
			case "same":
				want := direct.Result()
				if res.StatusCode != want.StatusCode || !bytes.Equal(body, direct.Body.Bytes()) || !equalHeaders(res.Header, want.Header) {
					t.Errorf("fitted %d %v (%d bytes), direct %d %v (%d bytes)", res.StatusCode, res.Header, len(body), want.StatusCode, want.Header, direct.Body.Len())
				}
			case "gzip":
				if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("Etag") != "" ||
					res.Header.Get("Content-Length") != "" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html; charset=utf-8") {
					t.Fatalf("%d %v", res.StatusCode, res.Header)
				}
				if len(body) > testLimit || !bytes.Equal(gunzip(t, body), tt.a.body) {
					t.Errorf("gzip body of %d bytes is over the limit or not the answer", len(body))
				}
			default:
				if msg := refusal(t, res.StatusCode, res.Header, body, len(tt.a.body)); !strings.Contains(msg, tt.want) {
					t.Errorf("refusal %q lacks %q", msg, tt.want)
				}
			}
		})
	}
}

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\n") != strings.Join(b[k], "\n") {
			return false
		}
	}
	return true
}

// TestServeHoldsNoMoreThanTheLimit: past the limit, what was held is let
// go once gzipped, and the gzip once it is over the limit too; the rest
// is only counted.
func TestServeHoldsNoMoreThanTheLimit(t *testing.T) {
	for _, tt := range []struct {
		name, accept string
		body         []byte
		chunk        int
		mode         mode
	}{
		{"gzipping", "gzip", page(8 * testLimit), 4096, gzipping},
		{"over even gzipped", "gzip", noise(8 * testLimit), 4096, over},
		{"over even gzipped, one write", "gzip", noise(8 * testLimit), 8 * testLimit, over},
		{"gzip not accepted", "", page(8 * testLimit), 4096, over},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fw := &writer{w: httptest.NewRecorder(), accept: tt.accept, l: limit, status: 200}
			for b := tt.body; len(b) > 0; b = b[min(len(b), tt.chunk):] {
				fw.Write(b[:min(len(b), tt.chunk)])
				if fw.held.Len() > testLimit || fw.zipped.Len() > testLimit+4096 {
					t.Fatalf("holds %d + %d bytes", fw.held.Len(), fw.zipped.Len())
				}
			}
			if fw.mode != tt.mode || fw.held.Cap() != 0 || (tt.mode == over && fw.zipped.Cap() != 0) || fw.size != int64(len(tt.body)) {
				t.Errorf("mode %d, held cap %d, zipped cap %d, size %d", fw.mode, fw.held.Cap(), fw.zipped.Cap(), fw.size)
			}
		})
	}
}

// TestServeHoldsNothingOfADeclaredFit: an answer whose Content-Length is
// within the limit (a page) goes out as it is written.
func TestServeHoldsNothingOfADeclaredFit(t *testing.T) {
	body := page(testLimit)
	rec := httptest.NewRecorder()
	fw := &writer{w: rec, l: limit, status: 200}
	fw.Header().Set("Content-Length", strconv.Itoa(len(body)))
	fw.Write(body[:100])
	if fw.mode != passing || fw.held.Len() != 0 || rec.Body.Len() != 100 {
		t.Errorf("mode %d, held %d bytes, sent %d", fw.mode, fw.held.Len(), rec.Body.Len())
	}
}

// noFlush is a platform writer that cannot flush (Vercel's bridge).
type noFlush struct{ rec *httptest.ResponseRecorder }

func (w noFlush) Header() http.Header         { return w.rec.Header() }
func (w noFlush) Write(p []byte) (int, error) { return w.rec.Write(p) }
func (w noFlush) WriteHeader(code int)        { w.rec.WriteHeader(code) }

// wrapped is a middleware's writer around the fitting one, as the
// engine's access log wraps it.
type wrapped struct{ http.ResponseWriter }

func (w wrapped) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// TestServeFlush: a handler that flushes (the SSE route) is streamed
// where the platform's writer can flush, and held and fitted where it
// cannot.
func TestServeFlush(t *testing.T) {
	big := page(4 * testLimit)
	stream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w = wrapped{w}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		rc := http.NewResponseController(w)
		w.Write([]byte("event: snapshot\n\n"))
		err := rc.Flush()
		w.Header().Set("X-Flush", strconv.FormatBool(err == nil))
		if err != nil && !errors.Is(err, http.ErrNotSupported) {
			panic(err)
		}
		w.Write(big)
		rc.Flush()
	})
	t.Run("streamed", func(t *testing.T) {
		rec := httptest.NewRecorder()
		Serve(rec, httptest.NewRequest("GET", "/api/realtime/sse/x", nil), stream, limit)
		if !rec.Flushed || rec.Code != 200 || rec.Body.Len() != len(big)+17 || rec.Header().Get("Content-Type") != "text/event-stream" {
			t.Errorf("flushed %v, %d, %d bytes, %v", rec.Flushed, rec.Code, rec.Body.Len(), rec.Header())
		}
	})
	t.Run("held where the writer cannot flush", func(t *testing.T) {
		rec := httptest.NewRecorder()
		Serve(noFlush{rec}, httptest.NewRequest("GET", "/api/realtime/sse/x", nil), stream, limit)
		if rec.Code != 500 || rec.Header().Get("X-Flush") != "false" {
			t.Errorf("%d %v", rec.Code, rec.Header())
		}
		refusal(t, rec.Code, rec.Header(), rec.Body.Bytes(), len(big)+17)
	})
	t.Run("small stream held where the writer cannot flush", func(t *testing.T) {
		rec := httptest.NewRecorder()
		small := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("event: close\n\n"))
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
		})
		Serve(noFlush{rec}, httptest.NewRequest("GET", "/", nil), small, limit)
		if rec.Code != 200 || rec.Body.String() != "event: close\n\n" {
			t.Errorf("%d %q", rec.Code, rec.Body.String())
		}
	})
}

// buffered is a platform writer that keeps the answer, as Vercel's
// bridge does.
type buffered struct {
	h    http.Header
	body bytes.Buffer
}

func (d *buffered) Header() http.Header         { return d.h }
func (d *buffered) Write(p []byte) (int, error) { return d.body.Write(p) }
func (d *buffered) WriteHeader(int)             {}

// BenchmarkServe: what holding costs an answer that fits (direct is the
// baseline), and what gzipping one over the limit costs.
//
//	go test -run '^$' -bench Serve -benchmem ./functions/internal/fit/
func BenchmarkServe(b *testing.B) {
	for _, bb := range []struct {
		name   string
		body   []byte
		length bool // the answer declares its length, as a page does
	}{
		{"50KB page", page(50 << 10), true},
		{"4MB page", page(4 << 20), true},
		{"4MB answer", page(4 << 20), false},
		{"6MB answer gzipped", page(6 << 20), false},
	} {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if bb.length {
				w.Header().Set("Content-Length", strconv.Itoa(len(bb.body)))
			}
			for p := bb.body; len(p) > 0; p = p[min(len(p), 32<<10):] {
				w.Write(p[:min(len(p), 32<<10)])
			}
		})
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", "gzip")
		l := Limit{Bytes: 4_500_000, What: "bench", Advice: "bench"}
		b.Run(bb.name+"/direct", func(b *testing.B) {
			b.SetBytes(int64(len(bb.body)))
			for b.Loop() {
				h.ServeHTTP(&buffered{h: http.Header{}}, r)
			}
		})
		b.Run(bb.name+"/fitted", func(b *testing.B) {
			b.SetBytes(int64(len(bb.body)))
			for b.Loop() {
				Serve(&buffered{h: http.Header{}}, r, h, l)
			}
		})
	}
}
