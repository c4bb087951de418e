package render

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/render/runtime"
)

// InlineBundleMax is the largest cssBundle written into the page itself;
// larger bundles are linked under a content-hashed URL that browsers and
// CDNs keep for a year. Measured on the demo site: the landing bundle is
// 2999 bytes (1035 gzipped). Inlined, it costs about 1 KB per gzipped page
// view; linked, the first view waits for one more render-blocking request
// (a round trip, often a new connection). Up to 4 KiB (about 1.3 KB
// gzipped) the round trip costs more than the bytes, so smaller bundles
// are inlined.
const InlineBundleMax = 4 << 10

// BundleCSSPrefix is where linked bundles are served:
// BundleCSSPrefix + slug + "." + hash + ".css".
const BundleCSSPrefix = runtime.Prefix + "css/"

// BundleURL returns the linked URL of the page's cssBundle, or "" when the
// bundle is empty or small enough to inline.
func BundleURL(p *core.Page) string {
	if len(p.CSSBundle) <= InlineBundleMax || p.Slug == "" {
		return ""
	}
	return BundleCSSPrefix + core.SlugPath(p.Slug)[1:] + "." + BundleHash(p.CSSBundle) + ".css"
}

// BundleHash is the content hash in a bundle's URL.
func BundleHash(css string) string {
	sum := sha256.Sum256([]byte(css))
	return hex.EncodeToString(sum[:8])
}

// ParseBundlePath splits a linked bundle's URL path into slug and hash.
func ParseBundlePath(path string) (slug, hash string, ok bool) {
	rest, found := strings.CutPrefix(path, BundleCSSPrefix)
	if !found {
		return "", "", false
	}
	rest, found = strings.CutSuffix(rest, ".css")
	i := strings.LastIndexByte(rest, '.')
	if !found || i <= 0 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// BundleBody is the bundle as served: made inert like an inline one would
// be, so that both forms of a bundle are the same CSS.
func BundleBody(css string) []byte {
	var b strings.Builder
	b.Grow(len(css))
	last := 0
	for i := 0; i < len(css)-1; i++ {
		if css[i] == '<' && (css[i+1] == '/' || css[i+1] == 's' || css[i+1] == 'S') {
			b.WriteString(css[last : i+1])
			b.WriteByte('\\')
			last = i + 1
		}
	}
	b.WriteString(css[last:])
	return []byte(b.String())
}

// language is the document language from the settings ("language" or
// "locale", a tag of letters, digits and '-'), "en" by default.
func language(s *core.Settings) string {
	if s == nil {
		return "en"
	}
	for _, k := range [...]string{"language", "locale", "lang"} {
		raw, ok := s.Extra[k]
		if !ok || len(raw) < 3 || len(raw) > 20 || raw[0] != '"' || raw[len(raw)-1] != '"' {
			continue
		}
		v := string(raw[1 : len(raw)-1])
		good := true
		for i := 0; i < len(v); i++ {
			c := v[i]
			good = good && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')
		}
		if good {
			return v
		}
	}
	return "en"
}
