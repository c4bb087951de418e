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
	Gzip        []byte
	ETag        string
}

// JS is the runtime script.
var JS = newAsset("runtime", ".js", "text/javascript; charset=utf-8", js)

func newAsset(name, ext, contentType string, body []byte) *Asset {
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:6])
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	return &Asset{
		Path:        Prefix + name + "." + hash + ext,
		ContentType: contentType,
		Body:        body,
		Gzip:        buf.Bytes(),
		ETag:        `"` + hash + `"`,
	}
}
