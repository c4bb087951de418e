package site

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"github.com/frontbase/edge/core/cache"
)

// Response is a finished answer to a public request, ready to be written
// many times: the L1 cache holds these.
type Response struct {
	Status       int
	ContentType  string
	CacheControl string
	Location     string // redirects only; the caller appends the query
	Body         []byte
	Gzip         []byte     // the same bytes, compressed once when cached
	ETag         string     // strong validator of Body
	GzipETag     string     // strong validator of Gzip: it must differ between encodings
	Source       cache.Tier // the tier that produced it when it was loaded (l2-hit, l3, stale)
	vary         *variants  // set when the output depends on the request (request.go)

	// Headers holds the header values above as the slices http.Header
	// stores, built once so that serving a cached response allocates none.
	// They are shared between requests and must not be modified.
	Headers HeaderValues
}

// HeaderValues are ready-made http.Header values of a Response.
type HeaderValues struct {
	ContentType, CacheControl, ETag, GzipETag, ContentLength, GzipLength []string
}

// Size is the response's weight in the byte-bounded L1 cache.
func (r *Response) Size() int {
	return len(r.Body) + len(r.Gzip) + 2*(len(r.ETag)+len(r.CacheControl)) + len(r.Location) + 256
}

func newBodyResponse(status int, contentType, cacheControl string, body []byte) *Response {
	sum := sha256.Sum256(body)
	tag := base64.RawURLEncoding.EncodeToString(sum[:18])
	r := &Response{
		Status:       status,
		ContentType:  contentType,
		CacheControl: cacheControl,
		Body:         body,
		ETag:         `"` + tag + `"`,
		GzipETag:     `"` + tag + `-gz"`,
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
	r.buildHeaders()
	return r
}

func (r *Response) buildHeaders() {
	r.Headers = HeaderValues{
		ContentType:   []string{r.ContentType},
		CacheControl:  []string{r.CacheControl},
		ETag:          []string{r.ETag},
		GzipETag:      []string{r.GzipETag},
		ContentLength: []string{strconv.Itoa(len(r.Body))},
		GzipLength:    []string{strconv.Itoa(len(r.Gzip))},
	}
}

func redirect(status int, location string, maxAge time.Duration) *Response {
	r := &Response{Status: status, Location: location, CacheControl: fmt.Sprintf("public, max-age=%d", int(maxAge.Seconds()))}
	r.buildHeaders()
	return r
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
