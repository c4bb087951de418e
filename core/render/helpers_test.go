package render

import (
	"strings"

	"github.com/frontbase/edge/core/render/runtime"
)

// runtimeTag is the one script element the renderer may write.
var runtimeTag = `<script src="` + runtime.JS.Path + `" defer></script>`

// foreignScript reports whether a document holds a script element other
// than the runtime's (in any letter case), or the runtime's more than once.
func foreignScript(doc string) bool {
	if strings.Count(doc, runtimeTag) > 1 {
		return true
	}
	return strings.Contains(strings.ToLower(strings.Replace(doc, runtimeTag, "", 1)), "<script")
}
