package site

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"
)

// Response is a finished answer to a public request, ready to be written
// many times: the L1 cache holds these.
type Response struct {
	Status       int
	ContentType  string
	CacheControl string
	Location     string // redirects only; the caller appends the query
	Body         []byte
	Gzip         []byte // the same bytes, compressed once when cached
	ETag         string // strong validator of Body
}

// Size is the response's weight in the byte-bounded L1 cache.
func (r *Response) Size() int {
	return len(r.Body) + len(r.Gzip) + len(r.ETag) + len(r.Location) + len(r.CacheControl) + 64
}

// GzipETag is the validator of the compressed representation: a strong
// ETag must differ between encodings of the same resource.
func (r *Response) GzipETag() string {
	if r.ETag == "" {
		return ""
	}
	return r.ETag[:len(r.ETag)-1] + `-gz"`
}

func newBodyResponse(status int, contentType, cacheControl string, body []byte) *Response {
	sum := sha256.Sum256(body)
	r := &Response{
		Status:       status,
		ContentType:  contentType,
		CacheControl: cacheControl,
		Body:         body,
		ETag:         `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`,
	}
	// Compressing once here is what makes a cached gzip response as cheap
	// to serve as an uncompressed one. Tiny bodies gain nothing.
	if len(body) >= 512 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		r.Gzip = buf.Bytes()
	}
	return r
}

func redirect(status int, location string, maxAge time.Duration) *Response {
	return &Response{
		Status:       status,
		Location:     location,
		CacheControl: fmt.Sprintf("public, max-age=%d", int(maxAge.Seconds())),
	}
}

// cachePolicy builds Cache-Control for what a CDN in front may keep: the
// browser always revalidates (cheap, thanks to the ETag), the CDN keeps a
// page for as long as our own L1 would and may serve it stale while it
// revalidates.
func cachePolicy(sMaxAge time.Duration) string {
	s := int(sMaxAge.Seconds())
	return fmt.Sprintf("public, max-age=0, must-revalidate, s-maxage=%d, stale-while-revalidate=%d, stale-if-error=86400", s, 5*s)
}

const (
	htmlType = "text/html; charset=utf-8"
	xmlType  = "application/xml; charset=utf-8"
	textType = "text/plain; charset=utf-8"
)
