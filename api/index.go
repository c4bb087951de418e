// Package handler is the Vercel function: Vercel's Go runtime builds every
// Go file under api/ and calls its exported handler. vercel.json rewrites
// every path here; the engine lives in functions/vercel.
package handler

import (
	"net/http"

	"github.com/frontbase/edge/functions/vercel"
)

// Handler is the function Vercel's Go bridge calls.
func Handler(w http.ResponseWriter, r *http.Request) { vercel.Handler(w, r) }
