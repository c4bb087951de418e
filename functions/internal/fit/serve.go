package fit

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strconv"
	"time"

	"github.com/frontbase/edge/core/acceptenc"
)

// Serve serves r with h, keeping the answer under l (body bytes). The
// answer is held until h returns, up to l.Bytes; past that it is gzipped
// as it comes (what was held, then the rest) when the client takes gzip
// and the answer has no coding yet, and dropped once even the gzip is
// over the limit; otherwise the rest is only counted. Then the refusal is
// sent (see Refuse). An answer that fits goes out byte for byte, headers
// and status unchanged.
//
// HEAD answers, and 1xx, 204 and 304 ones, have no body and pass through
// untouched, and so does an answer whose Content-Length is within the
// limit.
//
// A handler that flushes (the realtime SSE route) wants its answer sent
// as it is written: the first Flush sends what was held and passes the
// rest through unfitted, when the platform's writer can flush. Cloud
// Functions (2nd gen) runs on Cloud Run, which streams such an answer
// (chunked) and puts no size limit on it. Vercel's Go runtime cannot
// flush (its bridge buffers the whole answer and takes at most its
// limit), so there Flush reports http.ErrNotSupported, as a writer
// without Flush does, and the answer stays held and fitted.
func Serve(w http.ResponseWriter, r *http.Request, h http.Handler, l Limit) {
	if r.Method == http.MethodHead {
		h.ServeHTTP(w, r)
		return
	}
	fw := &writer{w: w, accept: r.Header.Get("Accept-Encoding"), l: l, status: http.StatusOK}
	h.ServeHTTP(fw, r)
	fw.finish()
}

type mode int

const (
	holding  mode = iota // the answer so far is in held, within the limit
	passing              // sent: writes go to w
	gzipping             // over the limit: writes are gzipped into zipped
	over                 // over the limit even gzipped, or gzip refused: writes are counted
)

// writer holds an answer until it is known to fit.
type writer struct {
	w      http.ResponseWriter
	accept string
	l      Limit

	mode    mode
	status  int
	wrote   bool  // the status is set (WriteHeader, or a first Write)
	size    int64 // body bytes h wrote
	held    bytes.Buffer
	zipped  bytes.Buffer
	zw      *gzip.Writer
	tried   bool   // gzip was tried
	sniffed []byte // the first bytes, for a type h left unset
}

func (fw *writer) Header() http.Header { return fw.w.Header() }

func (fw *writer) WriteHeader(code int) {
	if fw.mode == passing || fw.wrote {
		if fw.mode == passing {
			fw.w.WriteHeader(code) // net/http ignores (and logs) a second call
		}
		return
	}
	if code >= 100 && code < 200 { // informational: sent as it comes
		fw.w.WriteHeader(code)
		return
	}
	fw.status, fw.wrote = code, true
	if code == http.StatusNoContent || code == http.StatusNotModified || fw.declaredFit() {
		fw.w.WriteHeader(code)
		fw.mode = passing
	}
}

// declaredFit reports whether the answer declares a length within the
// limit (a page does): it then goes out as it is written, with no copy
// held. net/http refuses a body longer than its Content-Length.
func (fw *writer) declaredFit() bool {
	cl := fw.w.Header().Get("Content-Length")
	if cl == "" {
		return false
	}
	n, err := strconv.ParseInt(cl, 10, 64)
	return err == nil && n >= 0 && n <= int64(fw.l.Bytes)
}

func (fw *writer) Write(p []byte) (int, error) {
	if !fw.wrote {
		fw.WriteHeader(http.StatusOK)
	}
	if fw.mode == passing {
		return fw.w.Write(p)
	}
	fw.size += int64(len(p))
	switch fw.mode {
	case holding:
		if fw.held.Len()+len(p) <= fw.l.Bytes {
			fw.held.Write(p)
			return len(p), nil
		}
		fw.overflow(p)
	case gzipping:
		fw.zip(p)
	}
	return len(p), nil
}

// overflow leaves holding: gzip what was held and p, when that may help.
func (fw *writer) overflow(p []byte) {
	h := fw.w.Header()
	if !Compressible(h) || !acceptenc.Gzip(fw.accept) {
		fw.drop(over)
		return
	}
	fw.tried = true
	if _, set := h["Content-Type"]; !set {
		// What net/http would have sniffed: the body's first 512 bytes.
		head := append(make([]byte, 0, 512), fw.held.Bytes()[:min(fw.held.Len(), 512)]...)
		fw.sniffed = append(head, p[:min(len(p), 512-len(head))]...)
	}
	fw.zw, _ = gzip.NewWriterLevel(&fw.zipped, gzip.BestSpeed)
	fw.mode = gzipping
	fw.zip(fw.held.Bytes())
	fw.held = bytes.Buffer{} // let it go
	fw.zip(p)
}

// zip compresses p a slice at a time, and stops once the gzip is over the
// limit: one large write (an answer encoded whole) is not compressed to
// the end to learn that.
func (fw *writer) zip(p []byte) {
	const slice = 64 << 10
	for fw.mode == gzipping && len(p) > 0 {
		n := min(len(p), slice)
		fw.zw.Write(p[:n])
		p = p[n:]
		if fw.zipped.Len() > fw.l.Bytes {
			fw.drop(over)
		}
	}
}

// drop lets the buffers go and moves to m.
func (fw *writer) drop(m mode) {
	fw.held, fw.zipped, fw.zw = bytes.Buffer{}, bytes.Buffer{}, nil
	fw.mode = m
}

// finish sends the answer once h has returned.
func (fw *writer) finish() {
	h := fw.w.Header()
	switch fw.mode {
	case passing:
		return
	case holding:
		if !fw.wrote {
			return // nothing written: net/http sends the 200 itself
		}
		fw.w.WriteHeader(fw.status)
		if fw.held.Len() > 0 {
			fw.w.Write(fw.held.Bytes())
		}
		return
	case gzipping:
		fw.zw.Close()
		if fw.zipped.Len() <= fw.l.Bytes {
			markGzipped(h, fw.sniffed)
			fw.w.WriteHeader(fw.status)
			fw.w.Write(fw.zipped.Bytes())
			return
		}
	}
	fw.drop(over)
	status, body := Refuse(h, fw.size, fw.tried, fw.accept, fw.l)
	fw.w.WriteHeader(status)
	fw.w.Write(body)
}

// FlushError is what http.ResponseController.Flush calls: see Serve.
func (fw *writer) FlushError() error {
	if fw.mode == passing {
		return http.NewResponseController(fw.w).Flush()
	}
	if !canFlush(fw.w) {
		return http.ErrNotSupported
	}
	if fw.mode != holding {
		// Already over the limit: keep fitting it; the answer is sent
		// when h returns.
		return nil
	}
	fw.wrote = true // a flush before any write sends the 200
	fw.w.WriteHeader(fw.status)
	if fw.held.Len() > 0 {
		if _, err := fw.w.Write(fw.held.Bytes()); err != nil {
			return err
		}
	}
	fw.drop(passing)
	return http.NewResponseController(fw.w).Flush()
}

// Flush is http.Flusher's, for handlers that assert it.
func (fw *writer) Flush() { fw.FlushError() }

// SetWriteDeadline lets a long stream set its own deadline, as on the
// platform's writer.
func (fw *writer) SetWriteDeadline(t time.Time) error {
	return http.NewResponseController(fw.w).SetWriteDeadline(t)
}

// canFlush reports whether w, or a writer it wraps, can flush, without
// flushing it (which would send a status).
func canFlush(w http.ResponseWriter) bool {
	for {
		switch t := w.(type) {
		case interface{ FlushError() error }, http.Flusher:
			return true
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return false
		}
	}
}
