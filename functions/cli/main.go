// Command frontbase is the engine's command line: it publishes a directory
// of pages to any engine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/frontbase/edge/core/publish"
)

const usage = `usage: frontbase publish [--strategy api] (--url URL)... [--targets FILE] [--key KEY] [--settings FILE] [--ratelimits FILE] DIR

  Publishes every *.json page file of DIR (the control plane's
  {"page": ..., "force": ...} shape) to the engine at URL. Repeat --url,
  or list one URL per line in a --targets file (or name targets with
  their strategies in a JSON targets file, below), to publish the same site
  to several engines (distributed mode): each target is reported, and the
  exit status is 1 if any page failed on any target.
  --ratelimits FILE (a ratelimits.json: {"rules": [...]}) replaces the
  engine's rate-limit rules (PUT /api/ratelimits).
  The URL defaults to $FRONTBASE_URL, the key to $FRONTBASE_SYSTEM_KEY
  (prefer it: flags show in ps).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "flush" {
		return runFlush(ctx, args[1:], getenv, stdout, stderr) // flush.go
	}
	if len(args) > 0 && args[0] == "migrate" {
		return runMigrate(ctx, args[1:], getenv, stdout, stderr) // migrate.go
	}
	if len(args) > 0 && args[0] == "versions" {
		return runVersions(ctx, args[1:], getenv, stdout, stderr) // versions.go
	}
	if len(args) > 0 && args[0] == "rollback" {
		return runRollback(ctx, args[1:], getenv, stdout, stderr) // versions.go
	}
	if len(args) == 0 || args[0] != "publish" {
		fmt.Fprint(stderr, usage+"\n"+directUsage+"\n"+targetsUsage+"\n"+versionsUsage+"\n"+migrateUsage+"\n"+flushUsage)
		return 2
	}
	if f := targetsFileArg(args[1:]); f != "" {
		if data, err := os.ReadFile(f); err == nil && publish.IsNamedTargets(data) {
			return runNamedTargets(ctx, args[1:], getenv, stdout, stderr) // targets.go
		}
	}
	if publishStrategy(args[1:], getenv) != "api" {
		return runDirect(ctx, args[1:], getenv, stdout, stderr) // direct.go
	}
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var urls []string
	fs.Func("url", "engine base URL (repeat for several engines)", func(v string) error {
		if err := publish.CheckURL(v); err != nil {
			return err
		}
		urls = append(urls, v)
		return nil
	})
	targets := fs.String("targets", "", "file of engine URLs, one per line (# comments)")
	key := fs.String("key", getenv("FRONTBASE_SYSTEM_KEY"), "system key")
	settings := fs.String("settings", "", "project settings JSON file to publish first")
	rateLimits := fs.String("ratelimits", "", "rate-limit rules JSON file ({\"rules\": [...]}) that replaces the engine's rules")
	parallel := fs.Int("parallel", 4, "targets published at the same time")
	timeout := fs.Duration("timeout", 30*time.Second, "time one request to an engine may take (a chunk of a large site on a busy engine may need more)")
	fs.String("strategy", "api", "api (this mode), local or turso: see frontbase publish --strategy local -h")
	rest, err := parseAnywhere(fs, args[1:])
	if err != nil {
		return 2
	}
	if *targets != "" {
		f, err := os.Open(*targets)
		if err != nil {
			fmt.Fprintln(stderr, "publish:", err)
			return 2
		}
		list, err := publish.ParseTargets(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "publish: %s: %v\n", *targets, err)
			return 2
		}
		if len(list) == 0 {
			fmt.Fprintf(stderr, "publish: %s lists no engine URL\n", *targets)
			return 2
		}
		urls = append(urls, list...)
	}
	if len(urls) == 0 && getenv("FRONTBASE_URL") != "" {
		urls = []string{getenv("FRONTBASE_URL")}
	}
	dir, err := oneDir(rest)
	switch {
	case err != nil:
	case len(urls) == 0:
		err = errors.New("no engine URL: set --url (repeat for several engines), FRONTBASE_URL or --targets; or --strategy local|turso to write a state store directly")
	case *key == "":
		err = errors.New("no system key: set FRONTBASE_SYSTEM_KEY or --key")
	}
	if err != nil {
		fmt.Fprintln(stderr, "publish:", err)
		fmt.Fprintln(stderr, "(frontbase publish -h shows every flag)")
		return 2
	}
	opts := publish.Options{Key: *key, Dir: dir, SettingsFile: *settings, RateLimitsFile: *rateLimits, Timeout: *timeout}
	if len(urls) == 1 {
		opts.URL = urls[0]
		results, err := publish.Push(ctx, opts)
		if err != nil {
			fmt.Fprintln(stderr, "publish:", err)
			return 1
		}
		if printResults(stdout, results, "", opts.URL) > 0 {
			return 1
		}
		return 0
	}
	all := publish.PushAll(ctx, urls, opts, *parallel)
	bad := 0
	for _, t := range all {
		fmt.Fprintf(stdout, "== %s\n", t.URL)
		if t.Err != nil {
			fmt.Fprintf(stdout, "FAIL %s\n", t.Err)
		} else {
			printResults(stdout, t.Results, "   ", t.URL)
		}
		if t.Failed() > 0 {
			bad++
		}
	}
	fmt.Fprintf(stdout, "targets: %d ok, %d failed\n", len(all)-bad, bad)
	if bad > 0 {
		return 1
	}
	return 0
}

// printResults prints one line per file and a summary; it returns the
// number of failures. base is the engine the command talked to: each
// page's line shows its address there (the engine's previewUrl is on the
// site's own appUrl, which may not be this engine).
func printResults(w io.Writer, results []publish.Result, indent, base string) int {
	failed, notices := 0, 0
	var repeats failureRun
	for _, r := range results {
		name := filepath.Base(r.File)
		if r.Err == nil || r.Notice {
			repeats.end(w, indent)
		}
		switch {
		case r.Notice:
			notices++
			fmt.Fprintf(w, "%snote %s\n", indent, r.Message)
		case r.Err != nil:
			failed++
			if repeats.add(w, indent, r.Err) {
				fmt.Fprintf(w, "%sFAIL %-28s %v\n", indent, name, r.Err)
			}
		case r.Slug == "":
			fmt.Fprintf(w, "%sok   %-28s %s\n", indent, name, r.Message)
		default:
			fmt.Fprintf(w, "%sok   %-28s v%-3d %s  %s\n", indent, name, r.Version, pageURL(base, r), r.Message)
		}
	}
	repeats.end(w, indent)
	fmt.Fprintf(w, "%s%d published, %d failed\n", indent, len(results)-failed-notices, failed)
	return failed
}

// pageURL is where the engine at base serves a published page: the path
// of the engine's previewUrl (or the slug's) on base.
func pageURL(base string, r publish.Result) string {
	if base == "" {
		return r.PreviewURL
	}
	path := "/" + r.Slug
	if u, err := url.Parse(r.PreviewURL); err == nil && r.PreviewURL != "" {
		path = u.EscapedPath()
		if path == "" {
			path = "/"
		}
	}
	return strings.TrimRight(base, "/") + path
}

// failureRun shortens a run of files that failed with one same error (a
// whole request refused: a database down fails every page alike) to its
// first few lines and a count.
type failureRun struct {
	msg    string
	n      int
	hidden int
}

// shownRepeats is how many files of a run are printed in full.
const shownRepeats = 3

// add records a failure and says whether to print its line.
func (f *failureRun) add(w io.Writer, indent string, err error) bool {
	if msg := err.Error(); msg != f.msg {
		f.end(w, indent)
		f.msg = msg
	}
	f.n++
	if f.n > shownRepeats {
		f.hidden++
		return false
	}
	return true
}

// end prints the count of the run's hidden lines, if any, and ends it.
func (f *failureRun) end(w io.Writer, indent string) {
	if f.hidden > 0 {
		fmt.Fprintf(w, "%sFAIL ... and %d more files with the same error\n", indent, f.hidden)
	}
	*f = failureRun{}
}
