// Command frontbase is the engine's command line: it publishes a directory
// of pages to any engine.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

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
	fs.String("strategy", "api", "api (this mode), local or turso: see frontbase publish --strategy local -h")
	if err := fs.Parse(args[1:]); err != nil {
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
	if fs.NArg() != 1 || len(urls) == 0 || *key == "" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	opts := publish.Options{Key: *key, Dir: fs.Arg(0), SettingsFile: *settings, RateLimitsFile: *rateLimits}
	if len(urls) == 1 {
		opts.URL = urls[0]
		results, err := publish.Push(ctx, opts)
		if err != nil {
			fmt.Fprintln(stderr, "publish:", err)
			return 1
		}
		if printResults(stdout, results, "") > 0 {
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
			printResults(stdout, t.Results, "   ")
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
// number of failures.
func printResults(w io.Writer, results []publish.Result, indent string) int {
	failed, notices := 0, 0
	for _, r := range results {
		name := filepath.Base(r.File)
		switch {
		case r.Notice:
			notices++
			fmt.Fprintf(w, "%snote %s\n", indent, r.Message)
		case r.Err != nil:
			failed++
			fmt.Fprintf(w, "%sFAIL %-28s %v\n", indent, name, r.Err)
		case r.Slug == "":
			fmt.Fprintf(w, "%sok   %-28s %s\n", indent, name, r.Message)
		default:
			fmt.Fprintf(w, "%sok   %-28s v%-3d %s  %s\n", indent, name, r.Version, r.PreviewURL, r.Message)
		}
	}
	fmt.Fprintf(w, "%s%d published, %d failed\n", indent, len(results)-failed-notices, failed)
	return failed
}
