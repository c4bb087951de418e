// Package acceptenc reads a request's Accept-Encoding: whether the client
// takes a gzipped answer. The API's cached bodies and the platforms'
// response fitting (functions/internal/fit) ask the same question, so
// they share this answer.
package acceptenc

import (
	"strconv"
	"strings"
)

// Gzip reports whether an Accept-Encoding value takes gzip: a gzip entry
// with a q-value above 0, or, when gzip is not named, a "*" entry with
// one. An explicit gzip;q=0 refuses gzip whatever "*" says.
func Gzip(header string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.TrimSpace(coding)
		switch {
		case strings.EqualFold(coding, "gzip"):
			return positive(params)
		case coding == "*":
			star = positive(params)
		}
	}
	return star
}

// positive reports whether an entry's parameters leave its q-value above
// 0 (no q means 1).
func positive(params string) bool {
	q, ok := strings.CutPrefix(strings.ReplaceAll(strings.TrimSpace(params), " ", ""), "q=")
	if !ok {
		return true
	}
	f, err := strconv.ParseFloat(q, 64)
	return err != nil || f > 0
}
