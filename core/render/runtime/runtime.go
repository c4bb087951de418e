// Package runtime holds the small browser runtime of rendered pages: one
// vanilla-JS file embedded in the binary and served under a content-hashed
// URL with immutable caching.
package runtime

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"sync"
)

// Prefix is the one URL prefix of the engine's static assets.
const Prefix = "/_frontbase/assets/"

//go:embed runtime.js
var js []byte

// Asset is a static file ready to serve.
type Asset struct {
	Path        string // URL path, content-hashed
	ContentType string
	Body        []byte
	ETag        string
	gzip        func() []byte
}

// Gzip returns the body gzipped at best compression. It is made on the
// first call, not when the package loads: a process that never serves the
// asset (the flush function, a cold start answering a page) never pays
// for it.
func (a *Asset) Gzip() []byte { return a.gzip() }

// JS is the runtime script.
var JS = newAsset("runtime", ".js", "text/javascript; charset=utf-8", js)

func newAsset(name, ext, contentType string, body []byte) *Asset {
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:6])
	return &Asset{
		Path:        Prefix + name + "." + hash + ext,
		ContentType: contentType,
		Body:        body,
		ETag:        `"` + hash + `"`,
		gzip: sync.OnceValue(func() []byte {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(body)
			zw.Close()
			return buf.Bytes()
		}),
	}
}
