package publish

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
)

// ParseTargets reads a targets file: one engine base URL per line; blank
// lines and lines starting with # are ignored.
func ParseTargets(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := CheckURL(line); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, line)
	}
	return out, sc.Err()
}

// CheckURL accepts an http(s) base URL with a host.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an engine URL (expected http(s)://host[:port])", s)
	}
	return nil
}

// TargetResult is one engine's outcome of PushAll.
type TargetResult struct {
	URL     string
	Results []Result
	Err     error // the push could not run at all (e.g. no page files)
}

// Failed counts the files that failed, or 1 when the push did not run.
func (t TargetResult) Failed() int {
	if t.Err != nil {
		return 1
	}
	n := 0
	for _, r := range t.Results {
		if r.Err != nil {
			n++
		}
	}
	return n
}

// PushAll publishes the same site to every target, at most parallel at a
// time, and returns one result per target in the order given. Duplicate
// URLs are published once.
func PushAll(ctx context.Context, targets []string, opts Options, parallel int) []TargetResult {
	seen := map[string]bool{}
	var uniq []string
	for _, t := range targets {
		key := strings.TrimRight(t, "/")
		if !seen[key] {
			seen[key] = true
			uniq = append(uniq, t)
		}
	}
	if parallel < 1 {
		parallel = 1
	}
	out := make([]TargetResult, len(uniq))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, t := range uniq {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			o := opts
			o.URL = t
			res, err := Push(ctx, o)
			out[i] = TargetResult{URL: t, Results: res, Err: err}
		}()
	}
	wg.Wait()
	return out
}
