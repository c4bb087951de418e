// Package fit keeps an answer under a platform's response limit, so that
// a large answer never becomes the platform's bare 502 or 500: an answer
// over the limit is gzipped when the client takes gzip and that fits;
// otherwise it is replaced by a 500 whose JSON names the size, the limit
// and what to do.
//
// Fit applies the rule to a buffered answer (the Lambda adapter, which
// counts its own base64 and envelope); Serve applies it to a handler's
// answer as it is written (Vercel, Cloud Functions), holding about the
// limit at most: the answer, then in its place its gzip.
package fit

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/frontbase/edge/core/acceptenc"
)

// Limit is a platform's bound on one answer.
type Limit struct {
	// Bytes is the most the platform takes, as counted by the caller
	// (Serve counts body bytes).
	Bytes int
	// What completes "over the N bytes ...": "(4.5 MB) Vercel takes
	// from a function".
	What string
	// Advice says what to do, after "; ".
	Advice string
}

// Status is the status of a refused answer: a 500, as the platforms answer
// past their limits, but with a body that says why. (The control plane
// reads only whether a management answer is a 200, so 413 would tell it
// nothing more, and 413 describes a request that is too large.)
const Status = http.StatusInternalServerError

// Fit keeps a buffered answer under l. cost is what the platform counts
// for body, gzipped or not. An answer that fits (an empty one does) is
// left as it is: changed is false. Otherwise Fit returns the status and
// body to send, and h is changed to match (Content-Encoding, Vary,
// Content-Type, ...).
func Fit(h http.Header, status int, body []byte, acceptEncoding string, l Limit, cost func(body []byte, gzipped bool) int) (_ int, _ []byte, changed bool) {
	if len(body) == 0 || cost(body, false) <= l.Bytes {
		return status, body, false
	}
	tried := false
	if Compressible(h) && acceptenc.Gzip(acceptEncoding) {
		tried = true
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		zw.Write(body)
		zw.Close()
		if cost(buf.Bytes(), true) <= l.Bytes {
			markGzipped(h, body)
			return status, buf.Bytes(), true
		}
	}
	status, body = Refuse(h, int64(len(body)), tried, acceptEncoding, l)
	return status, body, true
}

// Refuse turns h into the headers of the refusal and returns its status
// and body. size is the answer's size; tried says it was over the limit
// even gzipped.
func Refuse(h http.Header, size int64, tried bool, acceptEncoding string, l Limit) (int, []byte) {
	compressible := Compressible(h)
	for _, k := range []string{"Content-Encoding", "Content-Length", "Etag", "Last-Modified", "Cache-Control", "Content-Disposition"} {
		h.Del(k)
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	msg := fmt.Sprintf("the response is %d bytes, over the %d bytes %s", size, l.Bytes, l.What)
	advice := l.Advice
	switch {
	case tried:
		msg += ", even gzipped"
	case compressible && !acceptenc.Gzip(acceptEncoding):
		advice = "send Accept-Encoding: gzip, or " + advice
	}
	msg += "; " + advice
	body, _ := json.Marshal(struct {
		Success bool   `json:"success"`
		Error   string `json:"error"`
	}{false, msg})
	return Status, body
}

// Compressible reports whether an answer with these headers may be
// gzipped here: it carries no content coding yet.
func Compressible(h http.Header) bool {
	ce := h.Get("Content-Encoding")
	return ce == "" || strings.EqualFold(ce, "identity")
}

// markGzipped sets the headers of a body now gzipped; plain is the
// identity body, for a type the handler left to be sniffed.
func markGzipped(h http.Header, plain []byte) {
	if _, set := h["Content-Type"]; !set {
		// net/http would sniff the gzip bytes instead of the content.
		h.Set("Content-Type", http.DetectContentType(plain))
	}
	h.Set("Content-Encoding", "gzip")
	if !varies(h) {
		h.Add("Vary", "Accept-Encoding")
	}
	h.Del("Content-Length")
	h.Del("Etag") // the tag named the identity body
}

// varies reports whether Vary already names Accept-Encoding.
func varies(h http.Header) bool {
	for _, v := range h.Values("Vary") {
		for _, name := range strings.Split(v, ",") {
			if n := strings.TrimSpace(name); n == "*" || strings.EqualFold(n, "Accept-Encoding") {
				return true
			}
		}
	}
	return false
}
