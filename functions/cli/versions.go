package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/core/publish"
)

const versionsUsage = `usage: frontbase versions [--json] [--strategy local|turso|api] [--db PATH | --db-url URL | --url URL]
       frontbase rollback (N | --to N) [--strategy local|turso|api] [--db PATH | --db-url URL [--redis-url URL] | --url URL]

  versions lists the kept site versions (FRONTBASE_KEEP_VERSIONS, default
  20), newest first: which pages at which content hash, who wrote them and
  when. rollback restores version N in one atomic write that moves the
  generation once, announces it like a publish, and is itself a new
  version. The store is chosen as for publish: --url (with
  $FRONTBASE_SYSTEM_KEY or --key) asks an engine's API, --strategy local
  or turso writes the state store directly.
`

// versionFlags parses the flags versions and rollback share.
func versionFlags(name string, args []string, getenv func(string) string, stderr io.Writer) (*flag.FlagSet, func() (dest, error)) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, versionsUsage) }
	readDest := destFlags(fs, args, getenv)
	url := fs.String("url", firstEnv(getenv, "FRONTBASE_URL"), "api: the engine's base URL")
	key := fs.String("key", getenv("FRONTBASE_SYSTEM_KEY"), "api: the system key")
	return fs, func() (dest, error) {
		d, err := readDest()
		if err != nil {
			return d, err
		}
		if d.strategy == "api" {
			d.url, d.key = *url, *key
			if err := publish.CheckURL(d.url); err != nil {
				return d, fmt.Errorf("the api strategy needs --url (or FRONTBASE_URL): %v", err)
			}
			if d.key == "" {
				return d, fmt.Errorf("the api strategy needs the system key: FRONTBASE_SYSTEM_KEY (or --key)")
			}
		}
		return d, nil
	}
}

func runVersions(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, readDest := versionFlags("versions", args, getenv, stderr)
	asJSON := fs.Bool("json", false, "print the versions as JSON")
	rest, err := parseAnywhere(fs, args)
	if err != nil {
		return 2
	}
	d, err := readDest()
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q: versions takes only flags", rest[0])
	}
	if err != nil {
		fmt.Fprintln(stderr, "versions:", err)
		return 2
	}
	var list []core.SiteVersion
	if d.strategy == "api" {
		list, err = publish.Versions(ctx, publish.Options{URL: d.url, Key: d.key})
	} else {
		svc, closeAll, oerr := openDest(ctx, d, getenv)
		if oerr != nil {
			fmt.Fprintln(stderr, "versions:", oerr)
			return 1
		}
		defer closeAll()
		list, err = svc.Versions(ctx)
	}
	if err != nil {
		fmt.Fprintln(stderr, "versions:", describe(err))
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(list)
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tCREATED (UTC)\tACTION\tSOURCE\tGENERATION\tPAGES")
	for _, v := range list {
		action := v.Action
		if v.RestoredFrom > 0 {
			action = fmt.Sprintf("%s of %d", action, v.RestoredFrom)
		}
		slugs := make([]string, len(v.Pages))
		for i, p := range v.Pages {
			slugs[i] = p.Slug
			if p.IsHomepage {
				slugs[i] += " (home)"
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d: %s\n", v.Version, v.CreatedAt.UTC().Format("2006-01-02 15:04:05"),
			action, v.Source, v.Generation, len(v.Pages), truncateList(strings.Join(slugs, ", "), 60))
	}
	tw.Flush()
	if len(list) == 0 {
		fmt.Fprintln(stdout, "no site versions yet")
	}
	return 0
}

func truncateList(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func runRollback(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs, readDest := versionFlags("rollback", args, getenv, stderr)
	to := fs.Int64("to", 0, "the version to restore (see frontbase versions)")
	rest, err := parseAnywhere(fs, args)
	if err != nil {
		return 2
	}
	// The version may also be the one argument: frontbase rollback 2.
	if len(rest) == 1 {
		n, perr := strconv.ParseInt(rest[0], 10, 64)
		switch {
		case perr != nil || n <= 0:
			err = fmt.Errorf("unexpected argument %q: the version to restore is a number (frontbase rollback N, or --to N)", rest[0])
		case *to != 0 && *to != n:
			err = fmt.Errorf("two versions to restore: %d and --to %d", n, *to)
		default:
			*to, rest = n, nil
		}
	}
	d, derr := readDest()
	switch {
	case err != nil:
	case derr != nil:
		err = derr
	case *to <= 0:
		err = fmt.Errorf("--to N is required: the version to restore (see frontbase versions)")
	case len(rest) > 0:
		err = fmt.Errorf("unexpected arguments %q: rollback takes one version", rest)
	}
	if err != nil {
		fmt.Fprintln(stderr, "rollback:", err)
		return 2
	}
	var res *core.RollbackResult
	if d.strategy == "api" {
		var r *wire.RollbackResponse
		if r, err = publish.Rollback(ctx, publish.Options{URL: d.url, Key: d.key}, *to); err == nil {
			res = &core.RollbackResult{Version: r.Version, RestoredFrom: r.RestoredFrom, Generation: r.Generation,
				Restored: r.Restored, Removed: r.Removed, Unchanged: r.Unchanged}
		}
	} else {
		svc, closeAll, oerr := openDest(ctx, d, getenv)
		if oerr != nil {
			fmt.Fprintln(stderr, "rollback:", oerr)
			return 1
		}
		defer closeAll()
		res, err = svc.Rollback(ctx, *to)
	}
	if err != nil {
		fmt.Fprintln(stderr, "rollback:", describe(err))
		return 1
	}
	for _, slug := range res.Restored {
		fmt.Fprintf(stdout, "restored  %s\n", slug)
	}
	for _, slug := range res.Removed {
		fmt.Fprintf(stdout, "removed   %s\n", slug)
	}
	fmt.Fprintf(stdout, "rolled back to version %d as version %d (%d restored, %d removed, %d unchanged), generation %d\n",
		res.RestoredFrom, res.Version, len(res.Restored), len(res.Removed), len(res.Unchanged), res.Generation)
	return 0
}
