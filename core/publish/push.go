// Package publish pushes a directory of published pages to an engine's
// management API, the way the Frontbase control plane does, so that the
// demo, the tests and operators all publish through one path.
package publish

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/frontbase/edge/core/api/wire"
)

// Options say what to push where.
type Options struct {
	URL          string // the engine's base URL
	Key          string // its system key
	Dir          string // a directory of page JSON files ({"page": …, "force": …})
	SettingsFile string // optional project settings JSON
	Client       *http.Client
	Timeout      time.Duration // per request; default 30s

	// RateLimitsFile is an optional ratelimits.json ({"rules": [...]}):
	// it replaces the engine's whole rule set (PUT /api/ratelimits).
	RateLimitsFile string

	// ChunkBytes bounds the JSON body of one POST /api/import/site
	// request; default DefaultChunkBytes. A page larger than that goes
	// alone.
	ChunkBytes int
	// PerPage publishes page by page (POST /api/import), as for an engine
	// without the site route; otherwise that is only the fallback.
	PerPage bool
}

// Result is one file's outcome.
type Result struct {
	File       string
	Slug       string
	Version    int64
	PreviewURL string
	Message    string
	Unchanged  bool // the engine already had this content: nothing was written
	Err        error
	// Notice is a line about the whole push (the per-page fallback), not
	// a file's outcome.
	Notice bool
}

// Push publishes the settings (when given) and every *.json file of Dir
// in name order: in as few POST /api/import/site requests as the chunk
// size allows (one atomic publish each), or, against an engine without
// that route (an older engine, the TypeScript peer), one POST /api/import
// per file after a Notice result. It tries every file even after a
// failure; the caller decides the exit status from the results.
func Push(ctx context.Context, opts Options) ([]Result, error) {
	if opts.URL == "" || opts.Key == "" {
		return nil, fmt.Errorf("an engine URL and a system key are required")
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	files, err := filepath.Glob(filepath.Join(opts.Dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.json page files in %s", opts.Dir)
	}
	sort.Strings(files)
	var results []Result
	if opts.RateLimitsFile != "" {
		results = append(results, post(ctx, opts, opts.RateLimitsFile, http.MethodPut, "/api/ratelimits"))
	}
	if !opts.PerPage {
		if site, ok := pushSite(ctx, opts, files); ok {
			return append(results, site...), nil
		}
		results = append(results, Result{Notice: true,
			Message: "the engine has no POST /api/import/site (an older engine or the TypeScript peer): publishing page by page"})
	}
	if opts.SettingsFile != "" {
		results = append(results, post(ctx, opts, opts.SettingsFile, http.MethodPost, "/api/import/settings"))
	}
	for _, f := range files {
		results = append(results, post(ctx, opts, f, http.MethodPost, "/api/import"))
	}
	return results, nil
}

func post(ctx context.Context, opts Options, file, method, route string) Result {
	res := Result{File: file}
	body, err := os.ReadFile(file)
	if err != nil {
		res.Err = err
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(opts.URL, "/")+route, bytes.NewReader(body))
	if err != nil {
		res.Err = err
		return res
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-System-Key", opts.Key)
	resp, err := opts.Client.Do(req)
	if err != nil {
		res.Err = err
		return res
	}
	defer resp.Body.Close()
	var out wire.ImportResponse // the settings and rate-limit answers share success and message
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	fail, err := wire.DecodeAnswer(raw, &out)
	if err != nil {
		res.Err = fmt.Errorf("HTTP %d: unexpected response %q", resp.StatusCode, truncate(string(raw), 200))
		return res
	}
	if resp.StatusCode != http.StatusOK || !out.Success {
		if len(fail.Details) > 0 {
			lines := make([]string, len(fail.Details))
			for i, d := range fail.Details {
				lines[i] = d.Path + ": " + d.Message
			}
			res.Err = problems(resp.StatusCode, lines)
			return res
		}
		res.Err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, fail.Error)
		return res
	}
	res.Slug, res.Version, res.PreviewURL, res.Message, res.Unchanged = out.Slug, out.Version, out.PreviewURL, out.Message, out.Unchanged
	return res
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
