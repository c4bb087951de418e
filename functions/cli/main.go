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

const usage = `usage: frontbase publish --url URL [--key KEY] [--settings FILE] DIR

  Publishes every *.json page file of DIR (the control plane's
  {"page": ..., "force": ...} shape) to the engine at URL.
  The key defaults to $FRONTBASE_SYSTEM_KEY (prefer it: flags show in ps).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "publish" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", getenv("FRONTBASE_URL"), "engine base URL")
	key := fs.String("key", getenv("FRONTBASE_SYSTEM_KEY"), "system key")
	settings := fs.String("settings", "", "project settings JSON file to publish first")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() != 1 || *url == "" || *key == "" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	results, err := publish.Push(ctx, publish.Options{URL: *url, Key: *key, Dir: fs.Arg(0), SettingsFile: *settings})
	if err != nil {
		fmt.Fprintln(stderr, "publish:", err)
		return 1
	}
	failed := 0
	for _, r := range results {
		name := filepath.Base(r.File)
		if r.Err != nil {
			failed++
			fmt.Fprintf(stdout, "FAIL %-28s %v\n", name, r.Err)
			continue
		}
		if r.Slug == "" {
			fmt.Fprintf(stdout, "ok   %-28s %s\n", name, r.Message)
			continue
		}
		fmt.Fprintf(stdout, "ok   %-28s v%-3d %s  %s\n", name, r.Version, r.PreviewURL, r.Message)
	}
	fmt.Fprintf(stdout, "%d published, %d failed\n", len(results)-failed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}
