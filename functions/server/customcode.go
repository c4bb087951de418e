//go:build !nocustomcode

package main

// The standalone server runs the builder's customCode transforms with goja
// (core/workflow/jscode). Build with -tags nocustomcode to leave it out
// (about 4 MB smaller; such a server refuses customCode at deploy, as the
// FaaS builds do).
import _ "github.com/frontbase/edge/core/workflow/jscode"
