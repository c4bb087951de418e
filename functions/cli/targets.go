package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/frontbase/edge/core/publish"
)

const targetsUsage = `usage: frontbase publish --targets FILE.json [--settings FILE] [--force] DIR

  Publishes DIR to every named target of FILE.json, one after the other,
  each with its own strategy:

    {"targets": [
      {"name": "eu",    "strategy": "api",   "url": "https://eu.example.com", "keyEnv": "EU_KEY"},
      {"name": "box",   "strategy": "local", "db": "/data/pages.db"},
      {"name": "cloud", "strategy": "turso", "dbUrl": "libsql://site.turso.io", "dbTokenEnv": "TURSO_TOKEN",
                        "redisUrl": "https://site.upstash.io", "redisTokenEnv": "UPSTASH_TOKEN"}]}

  Credentials are named by environment variable only (keyEnv, dbTokenEnv,
  redisTokenEnv, redisUrlEnv for a Redis URL with a password): a file
  with an inline secret is refused. Every target is tried even when one
  fails; the output says per target and per page what changed, and the
  exit status is 1 if any target failed.
`

// targetsFileArg returns the value of --targets in a publish command line.
func targetsFileArg(args []string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "targets" {
			continue
		}
		if hasValue {
			return value
		}
		if i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// runNamedTargets publishes a directory to every target of a JSON targets
// file.
func runNamedTargets(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, targetsUsage) }
	file := fs.String("targets", "", "JSON file of named targets")
	settingsFile := fs.String("settings", "", "project settings JSON file to publish with the pages")
	force := fs.Bool("force", false, "republish unchanged pages too (direct strategies)")
	strategy := fs.String("strategy", "", "not used: each target names its own")
	var urls []string
	fs.Func("url", "not used with a JSON targets file", func(v string) error { urls = append(urls, v); return nil })
	rest, err := parseAnywhere(fs, args)
	if err != nil {
		return 2
	}
	if *strategy != "" || len(urls) > 0 {
		fmt.Fprintln(stderr, "publish: --strategy and --url do not mix with a JSON targets file: each target names its own")
		return 2
	}
	dir, err := oneDir(rest)
	if err != nil {
		fmt.Fprintln(stderr, "publish:", err)
		return 2
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		fmt.Fprintln(stderr, "publish:", err)
		return 2
	}
	targets, err := publish.ParseNamedTargets(data)
	if err != nil {
		fmt.Fprintf(stderr, "publish: %s: %v\n", *file, err)
		return 2
	}
	st := readSite(dir, *settingsFile, stdout)
	if st.bad > 0 {
		fmt.Fprintf(stdout, "%d invalid file(s): nothing was published to any target\n", st.bad)
		return 1
	}
	var failed []string
	for i, tg := range targets {
		start := time.Now()
		fmt.Fprintf(stdout, "[%d/%d] %s: publishing %d page(s)\n", i+1, len(targets), tg.Describe(), len(st.reqs))
		ok := false
		d, err := resolveTarget(tg, getenv)
		switch {
		case err != nil:
			fmt.Fprintln(stdout, "   FAIL", err)
		case d.strategy == "api":
			ok = publishAPI(ctx, d, st, stdout, "   ")
		default:
			ok = publishDirect(ctx, d, st, *force, getenv, stdout, "   ")
		}
		status := "ok"
		if !ok {
			status = "FAILED"
			failed = append(failed, tg.Name)
		}
		fmt.Fprintf(stdout, "[%d/%d] %s: %s in %s\n", i+1, len(targets), tg.Name, status, time.Since(start).Round(time.Millisecond))
	}
	fmt.Fprintf(stdout, "targets: %d ok, %d failed", len(targets)-len(failed), len(failed))
	if len(failed) > 0 {
		fmt.Fprintf(stdout, " (%s)\n", strings.Join(failed, ", "))
		return 1
	}
	fmt.Fprintln(stdout)
	return 0
}

// publishAPI pushes a read site to an engine's API and prints a line per
// file; it reports whether every file was accepted.
func publishAPI(ctx context.Context, d dest, st *siteDir, stdout io.Writer, indent string) bool {
	results, err := publish.Push(ctx, publish.Options{URL: d.url, Key: d.key, Dir: st.dir, SettingsFile: st.settingsFile})
	if err != nil {
		fmt.Fprintln(stdout, indent+"FAIL", err)
		return false
	}
	published, unchanged, bad := 0, 0, 0
	var repeats failureRun
	for _, r := range results {
		name := filepath.Base(r.File)
		if r.Err == nil || r.Notice {
			repeats.end(stdout, indent)
		}
		switch {
		case r.Notice:
			fmt.Fprintf(stdout, "%snote      %s\n", indent, r.Message)
		case r.Err != nil:
			bad++
			if repeats.add(stdout, indent, r.Err) {
				fmt.Fprintf(stdout, "%s%-9s %-28s %v\n", indent, "FAIL", name, r.Err)
			}
		case r.Unchanged:
			unchanged++
			fmt.Fprintf(stdout, "%s%-9s %-28s v%-3d %s\n", indent, "unchanged", name, r.Version, pageURL(d.url, r))
		default:
			published++
			fmt.Fprintf(stdout, "%s%-9s %-28s v%-3d %s\n", indent, "published", name, r.Version, pageURL(d.url, r))
		}
	}
	repeats.end(stdout, indent)
	fmt.Fprintf(stdout, "%sapi: %d published, %d unchanged, %d failed\n", indent, published, unchanged, bad)
	return bad == 0
}
