package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/frontbase/edge/core/api/wire"
)

// DefaultChunkBytes bounds one site request's JSON body: under the
// engine's default FRONTBASE_MAX_BODY_BYTES (5 MiB) with room to spare.
const DefaultChunkBytes = 4 << 20

// sitePage is one page file, read for a site request.
type sitePage struct {
	index int // in files
	page  json.RawMessage
	force bool
}

// pushSite publishes files (and the settings file) in chunks of at most
// opts.ChunkBytes of JSON, one POST /api/import/site each; pages whose
// file says "force": true go in chunks of their own. It returns false,
// having changed nothing, when the engine does not know the route.
func pushSite(ctx context.Context, opts Options, files []string) ([]Result, bool) {
	limit := opts.ChunkBytes
	if limit <= 0 {
		limit = DefaultChunkBytes
	}
	results := make([]Result, len(files))
	var plain, forced []sitePage
	for i, f := range files {
		results[i].File = f
		data, err := os.ReadFile(f)
		var body wire.ImportRequest
		if err == nil {
			if err = json.Unmarshal(data, &body); err != nil {
				err = fmt.Errorf("not a page file ({\"page\": ..., \"force\": ...}): %w", err)
			}
		}
		if err != nil {
			results[i].Err = err
			continue
		}
		var compact bytes.Buffer
		if json.Compact(&compact, body.Page) == nil {
			body.Page = compact.Bytes()
		}
		p := sitePage{index: i, page: body.Page, force: body.Force}
		if p.force {
			forced = append(forced, p)
		} else {
			plain = append(plain, p)
		}
	}
	var settings json.RawMessage
	var settingsResult *Result
	if opts.SettingsFile != "" {
		settingsResult = &Result{File: opts.SettingsFile}
		data, err := os.ReadFile(opts.SettingsFile)
		if err == nil {
			var compact bytes.Buffer
			if err = json.Compact(&compact, data); err == nil {
				settings = compact.Bytes()
			}
		}
		if err != nil {
			settingsResult.Err = err
		}
	}
	chunks := chunk(plain, limit-len(settings))
	chunks = append(chunks, chunk(forced, limit)...)
	if len(chunks) == 0 && settings != nil {
		chunks = [][]sitePage{nil}
	}
	for n, c := range chunks {
		body := wire.SiteRequest{Pages: make([]json.RawMessage, len(c)), Source: "cli", Force: len(c) > 0 && c[0].force}
		for i, p := range c {
			body.Pages[i] = p.page
		}
		if n == 0 && settings != nil {
			body.Settings = settings
		}
		status, out, err := postSite(ctx, opts, body)
		if n == 0 && (status == http.StatusNotFound || status == http.StatusMethodNotAllowed) {
			return nil, false
		}
		if n == 0 && settingsResult != nil && settingsResult.Err == nil {
			switch {
			case err != nil:
				settingsResult.Err = err
			case out.resp.SettingsChanged:
				settingsResult.Message = "settings published"
			default:
				settingsResult.Message, settingsResult.Unchanged = "settings unchanged", true
			}
		}
		for i, p := range c {
			r := &results[p.index]
			switch {
			case err != nil:
				r.Err = pageError(status, err, out, i)
			case i < len(out.resp.Pages):
				op := out.resp.Pages[i]
				r.Slug, r.Version, r.PreviewURL, r.Unchanged = op.Slug, op.Version, op.PreviewURL, op.Unchanged
				switch {
				case op.Unchanged:
					r.Message = "Page unchanged (same content)"
				case op.ReplacedID != "":
					r.Message = "Page published, replacing page " + op.ReplacedID + " at this slug"
				default:
					r.Message = "Page published"
				}
			default:
				r.Err = fmt.Errorf("the engine's answer names %d pages, not %d", len(out.resp.Pages), len(c))
			}
		}
	}
	if settingsResult != nil {
		results = append([]Result{*settingsResult}, results...)
	}
	return results, true
}

// chunk splits pages into groups whose site body stays under limit bytes
// (a page larger than that goes alone).
func chunk(pages []sitePage, limit int) [][]sitePage {
	const overhead = 128 // the body's other fields
	var out [][]sitePage
	var cur []sitePage
	size := overhead
	for _, p := range pages {
		if len(cur) > 0 && size+len(p.page)+1 > limit {
			out = append(out, cur)
			cur, size = nil, overhead
		}
		cur = append(cur, p)
		size += len(p.page) + 1
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// siteAnswer is the engine's answer to a site request: the success body
// or the error body, decoded from the same bytes.
type siteAnswer struct {
	resp wire.SiteResponse
	fail wire.Error
}

// postSite sends one site request; err is set unless the engine accepted
// it (status is 0 when no answer came).
func postSite(ctx context.Context, opts Options, body wire.SiteRequest) (int, *siteAnswer, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(opts.URL, "/")+"/api/import/site", bytes.NewReader(data))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-System-Key", opts.Key)
	resp, err := opts.Client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	out := &siteAnswer{}
	if out.fail, err = wire.DecodeAnswer(raw, &out.resp); err != nil {
		return resp.StatusCode, out, fmt.Errorf("HTTP %d: unexpected response %q", resp.StatusCode, truncate(string(raw), 200))
	}
	if resp.StatusCode != http.StatusOK || !out.resp.Success {
		return resp.StatusCode, out, fmt.Errorf("HTTP %d: %s", resp.StatusCode, out.fail.Error)
	}
	return resp.StatusCode, out, nil
}

// pageError is the error of the i-th page of a refused chunk: the field
// problems the engine named at pages[i], or that the chunk was refused.
func pageError(status int, err error, out *siteAnswer, i int) error {
	if out == nil {
		return err
	}
	prefix := fmt.Sprintf("pages[%d]", i)
	var lines []string
	for _, d := range out.fail.Details {
		if d.Path == prefix || strings.HasPrefix(d.Path, prefix+".") || strings.HasPrefix(d.Path, prefix+"[") {
			lines = append(lines, "page"+strings.TrimPrefix(d.Path, prefix)+": "+d.Message)
		}
	}
	if len(lines) > 0 {
		return problems(status, lines)
	}
	if len(out.fail.Details) > 0 {
		return fmt.Errorf("not published: another page of the same request was refused (%v)", err)
	}
	return err
}

// problems is a refusal that lists its field problems, one a line, under
// a count that matches them (the engine's own message names only the
// first of the request's problems).
func problems(status int, lines []string) error {
	n := fmt.Sprintf("%d problems", len(lines))
	if len(lines) == 1 {
		n = "1 problem"
	}
	return fmt.Errorf("HTTP %d: validation failed, %s:\n    %s", status, n, strings.Join(lines, "\n    "))
}
