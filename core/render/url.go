package render

import (
	"net/url"
	"strings"
)

// urlScheme returns the scheme of s when s has one: the part before a ':'
// that comes before any '/', '?' or '#'. Anything shaped like a scheme
// counts, even if it is not a valid one, so that a checker errs on the
// side of refusing.
func urlScheme(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ':':
			return s[:i], true
		case '/', '?', '#':
			return "", false
		}
	}
	return "", false
}

// hasControl reports whether s holds an ASCII control character. Browsers
// drop tabs and newlines inside URLs, so "java\tscript:" would run.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

const (
	allowMailTel    = 1 << iota // mailto: and tel:
	allowDataImage              // data:image/(png|gif|jpeg|webp);base64,...
	requireAbsolute             // only absolute http(s) URLs
)

// safeURL returns the trimmed URL and true when it may be written into an
// href or src: http and https (with a host), relative references and
// fragments, and what flags add.
func safeURL(raw string, flags int) (string, bool) {
	s := strings.TrimSpace(raw)
	if s == "" || hasControl(s) {
		return "", false
	}
	scheme, has := urlScheme(s)
	if !has {
		if flags&requireAbsolute != 0 {
			return "", false
		}
		if _, err := url.Parse(s); err != nil {
			return "", false
		}
		return s, true
	}
	switch {
	case strings.EqualFold(scheme, "http"), strings.EqualFold(scheme, "https"):
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return "", false
		}
		return s, true
	case flags&allowMailTel != 0 && (strings.EqualFold(scheme, "mailto") || strings.EqualFold(scheme, "tel")):
		if _, err := url.Parse(s); err != nil {
			return "", false
		}
		return s, true
	case flags&allowDataImage != 0 && strings.EqualFold(scheme, "data"):
		if safeDataImage(s) {
			return s, true
		}
	}
	return "", false
}

// safeDataImage accepts data:image/(png|gif|jpeg|webp);base64,<base64>.
func safeDataImage(s string) bool {
	const prefix = "data:image/"
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return false
	}
	rest := s[len(prefix):]
	semi := strings.IndexByte(rest, ';')
	if semi < 0 {
		return false
	}
	switch strings.ToLower(rest[:semi]) {
	case "png", "gif", "jpeg", "webp":
	default:
		return false
	}
	rest = rest[semi+1:]
	const b64 = "base64,"
	if len(rest) < len(b64) || !strings.EqualFold(rest[:len(b64)], b64) {
		return false
	}
	rest = rest[len(b64):]
	if rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}

func safeHref(raw string) (string, bool) { return safeURL(raw, allowMailTel) }
func safeSrc(raw string) (string, bool)  { return safeURL(raw, allowDataImage) }
func safeHTTP(raw string) (string, bool) { return safeURL(raw, requireAbsolute) }
