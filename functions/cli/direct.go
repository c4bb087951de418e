package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/core/site"
	"github.com/frontbase/edge/functions/internal/engine"
)

const directUsage = `usage: frontbase publish --strategy local [--db PATH] [--settings FILE] [--force] DIR
       frontbase publish --strategy turso --db-url URL [--db-token T] [--redis-url URL [--redis-token T]] [--settings FILE] DIR

  Writes the site straight into the state store the engines read, with no
  engine API in between: local into the SQLite file an engine serves
  (shared volume), turso into a Turso / libSQL database over HTTP, then
  announces the new generation in the shared cache when one is named.
  Every *.json page file of DIR is validated first: if any is invalid
  nothing is written. Pages (and settings) whose content is unchanged are
  skipped (a file's "force" is ignored; --force republishes all); the rest is written in one atomic batch that moves the
  generation once, and running engines serve it within FRONTBASE_L1_TTL.
  Defaults: --strategy $PUBLISH_STRATEGY (api when --url is given),
  --db $FRONTBASE_LOCAL_DB_PATH, --db-url $FRONTBASE_STATE_DB_URL or
  $TURSO_DATABASE_URL, --db-token $FRONTBASE_STATE_DB_TOKEN or
  $TURSO_AUTH_TOKEN, --redis-url $FRONTBASE_REDIS_URL or
  $UPSTASH_REDIS_REST_URL, --redis-token $FRONTBASE_REDIS_TOKEN or
  $UPSTASH_REDIS_REST_TOKEN (prefer the environment: flags show in ps).
  A Turso database needs 'frontbase migrate' once per release first.
`

// publishStrategy picks the strategy of a publish command line: --strategy
// when given, api when an engine --url is given, else $PUBLISH_STRATEGY,
// else api.
func publishStrategy(args []string, getenv func(string) string) string {
	hasURL := false
	for i, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || a == "--" {
			if a == "--" {
				break
			}
			continue
		}
		switch name {
		case "strategy":
			if hasValue {
				return value
			}
			if i+1 < len(args) {
				return args[i+1]
			}
		case "url":
			hasURL = true
		}
	}
	if hasURL {
		return "api"
	}
	if s := getenv("PUBLISH_STRATEGY"); s != "" {
		return s
	}
	return "api"
}

func firstEnv(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// runDirect publishes a directory with the local or turso strategy.
func runDirect(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, directUsage) }
	strategy := fs.String("strategy", publishStrategy(args, getenv), "local, turso or api")
	db := fs.String("db", firstEnv(getenv, "FRONTBASE_LOCAL_DB_PATH"), "local: the SQLite file the engine serves")
	dbURL := fs.String("db-url", firstEnv(getenv, "FRONTBASE_STATE_DB_URL", "TURSO_DATABASE_URL"), "turso: the database URL")
	dbToken := fs.String("db-token", firstEnv(getenv, "FRONTBASE_STATE_DB_TOKEN", "TURSO_AUTH_TOKEN"), "turso: the database token")
	redisURL := fs.String("redis-url", firstEnv(getenv, "FRONTBASE_REDIS_URL", "UPSTASH_REDIS_REST_URL"), "the shared cache to announce the generation in")
	redisToken := fs.String("redis-token", firstEnv(getenv, "FRONTBASE_REDIS_TOKEN", "UPSTASH_REDIS_REST_TOKEN"), "the Upstash REST token")
	settingsFile := fs.String("settings", "", "project settings JSON file to publish with the pages")
	force := fs.Bool("force", false, "republish unchanged pages too (a file's own \"force\" is ignored)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := &config.Config{RedisURL: *redisURL, RedisToken: *redisToken, Tenant: firstEnv(getenv, "FRONTBASE_TENANT")}
	switch *strategy {
	case "local":
		cfg.Env, cfg.LocalDBPath = "local", *db
		if cfg.LocalDBPath == "" {
			cfg.LocalDBPath = config.DefaultLocalDBPath
		}
	case "turso":
		cfg.Env, cfg.StateDBURL, cfg.StateDBToken = "cloud", *dbURL, *dbToken
		if cfg.StateDBURL == "" {
			fmt.Fprintln(stderr, "publish: --strategy turso needs --db-url (or FRONTBASE_STATE_DB_URL / TURSO_DATABASE_URL)")
			return 2
		}
	default:
		fmt.Fprintf(stderr, "publish: unknown strategy %q; expected local, turso or api\n", *strategy)
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, directUsage)
		return 2
	}

	files, reqs, settings, bad := readSite(fs.Arg(0), *settingsFile, stdout)
	if bad > 0 {
		fmt.Fprintf(stdout, "%d invalid file(s): nothing was published\n", bad)
		return 1
	}
	for _, r := range reqs {
		r.Force = *force
	}
	start := time.Now()
	store, sharedCache, err := engine.OpenState(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "publish:", err)
		return 1
	}
	defer func() {
		store.Close()
		if sharedCache != nil {
			sharedCache.Close()
		}
	}()
	svc := site.New(store, site.Options{Tenant: cfg.Tenant, L1TTL: time.Second, Cache: sharedCache})
	res, err := svc.PublishSite(ctx, reqs, settings, "")
	if err != nil {
		fmt.Fprintln(stdout, "FAIL", describe(err))
		return 1
	}
	published := 0
	for i, r := range res.Pages {
		state := "unchanged"
		if !r.Unchanged {
			state, published = "published", published+1
		}
		fmt.Fprintf(stdout, "%-9s %-28s v%-3d %s\n", state, filepath.Base(files[i]), r.Version, r.PreviewURL)
	}
	if settings != nil {
		state := "unchanged"
		if res.SettingsChanged {
			state = "published"
		}
		fmt.Fprintf(stdout, "%-9s %s\n", state, filepath.Base(*settingsFile))
	}
	fmt.Fprintf(stdout, "%s: %d published, %d unchanged, generation %d, %s\n",
		*strategy, published, len(res.Pages)-published, res.Generation, time.Since(start).Round(time.Millisecond))
	return 0
}

// readSite reads and validates every page file of dir (name order) and the
// settings file; it prints a FAIL line per invalid file and returns how
// many there were.
func readSite(dir, settingsFile string, out io.Writer) (files []string, reqs []*core.ImportRequest, settings *core.Settings, bad int) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no *.json page files in %s", dir)
	}
	if err != nil {
		fmt.Fprintln(out, "FAIL", err)
		return nil, nil, nil, 1
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		var req *core.ImportRequest
		if err == nil {
			req, err = core.DecodeImport(data)
		}
		if err != nil {
			bad++
			fmt.Fprintf(out, "FAIL %-28s %s\n", filepath.Base(f), describe(err))
			continue
		}
		reqs = append(reqs, req)
	}
	if settingsFile != "" {
		data, err := os.ReadFile(settingsFile)
		if err == nil {
			settings, err = core.DecodeSettings(data)
		}
		if err != nil {
			bad++
			fmt.Fprintf(out, "FAIL %-28s %s\n", filepath.Base(settingsFile), describe(err))
		}
	}
	return files, reqs, settings, bad
}

// describe is an error's message with its field details.
func describe(err error) string {
	msg := err.Error()
	var ce *core.Error
	if errors.As(err, &ce) {
		for _, d := range ce.Details {
			msg += fmt.Sprintf("\n    %s: %s", d.Path, d.Message)
		}
	}
	return msg
}
