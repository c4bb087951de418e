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
	"github.com/frontbase/edge/core/publish"
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
  A Turso database is migrated on first use, as engines do, unless
  FRONTBASE_AUTO_MIGRATE=off (then run 'frontbase migrate' first).
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

// dest is one place to publish to, with its credentials resolved: from
// flags and the environment, or from a named target.
type dest struct {
	name, strategy       string
	url, key             string // api
	db                   string // local
	dbURL, dbToken       string // turso
	redisURL, redisToken string // turso (and local): where to announce
}

// destFlags registers the flags that name a state store or an engine and
// returns a function that reads them once parsed.
func destFlags(fs *flag.FlagSet, args []string, getenv func(string) string) func() (dest, error) {
	strategy := fs.String("strategy", publishStrategy(args, getenv), "local, turso or api")
	db := fs.String("db", firstEnv(getenv, "FRONTBASE_LOCAL_DB_PATH"), "local: the SQLite file the engine serves")
	dbURL := fs.String("db-url", firstEnv(getenv, "FRONTBASE_STATE_DB_URL", "TURSO_DATABASE_URL"), "turso: the database URL")
	dbToken := fs.String("db-token", firstEnv(getenv, "FRONTBASE_STATE_DB_TOKEN", "TURSO_AUTH_TOKEN"), "turso: the database token")
	redisURL := fs.String("redis-url", firstEnv(getenv, "FRONTBASE_REDIS_URL", "UPSTASH_REDIS_REST_URL"), "the shared cache to announce the generation in")
	redisToken := fs.String("redis-token", firstEnv(getenv, "FRONTBASE_REDIS_TOKEN", "UPSTASH_REDIS_REST_TOKEN"), "the Upstash REST token")
	return func() (dest, error) {
		d := dest{name: *strategy, strategy: *strategy, db: *db, dbURL: *dbURL, dbToken: *dbToken, redisURL: *redisURL, redisToken: *redisToken}
		switch d.strategy {
		case "local":
			if d.db == "" {
				d.db = config.DefaultLocalDBPath
			}
		case "turso":
			if d.dbURL == "" {
				return d, errors.New("--strategy turso needs --db-url (or FRONTBASE_STATE_DB_URL / TURSO_DATABASE_URL)")
			}
		case "api":
		default:
			return d, fmt.Errorf("unknown strategy %q; expected local, turso or api", d.strategy)
		}
		return d, nil
	}
}

// resolveTarget reads a named target's secrets from the environment.
func resolveTarget(tg publish.Target, getenv func(string) string) (dest, error) {
	d := dest{name: tg.Name, strategy: tg.Strategy, url: tg.URL, db: tg.DB, dbURL: tg.DBURL, redisURL: tg.RedisURL}
	need := func(name, what string) (string, error) {
		if name == "" {
			return "", nil
		}
		v := getenv(name)
		if v == "" {
			return "", fmt.Errorf("%s is not set (it should hold %s)", name, what)
		}
		return v, nil
	}
	var err error
	if d.key, err = need(tg.KeyEnv, "the engine's system key"); err != nil {
		return d, err
	}
	if d.dbToken, err = need(tg.DBTokenEnv, "the database token"); err != nil {
		return d, err
	}
	if d.redisToken, err = need(tg.RedisTokenEnv, "the Upstash REST token"); err != nil {
		return d, err
	}
	if tg.RedisURLEnv != "" {
		if d.redisURL, err = need(tg.RedisURLEnv, "the shared cache URL"); err != nil {
			return d, err
		}
	}
	return d, nil
}

// openDest opens the state store (and shared cache) of a local or turso
// destination behind the one publish path, core/site.
func openDest(ctx context.Context, d dest, getenv func(string) string) (*site.Service, func(), error) {
	keep, err := config.KeepVersions(getenv)
	if err != nil {
		return nil, nil, err
	}
	maxPage, err := config.MaxPageBytes(getenv)
	if err != nil {
		return nil, nil, err
	}
	cfg := &config.Config{RedisURL: d.redisURL, RedisToken: d.redisToken, Tenant: firstEnv(getenv, "FRONTBASE_TENANT"),
		KeepVersions: keep, MaxPageBytes: maxPage}
	switch d.strategy {
	case "local":
		cfg.Env, cfg.LocalDBPath = "local", d.db
	case "turso":
		cfg.Env, cfg.StateDBURL, cfg.StateDBToken = "cloud", d.dbURL, d.dbToken
		cfg.AutoMigrate = getenv("FRONTBASE_AUTO_MIGRATE") != "off"
	default:
		return nil, nil, fmt.Errorf("strategy %q does not open a state store", d.strategy)
	}
	store, sharedCache, err := engine.OpenState(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	closeAll := func() {
		store.Close()
		if sharedCache != nil {
			sharedCache.Close()
		}
	}
	svc := site.New(store, site.Options{Tenant: cfg.Tenant, L1TTL: time.Second, Cache: sharedCache, Source: "cli:" + d.strategy, MaxPageBytes: cfg.MaxPageBytes})
	return svc, closeAll, nil
}

// runDirect publishes a directory with the local or turso strategy.
func runDirect(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, directUsage) }
	readDest := destFlags(fs, args, getenv)
	settingsFile := fs.String("settings", "", "project settings JSON file to publish with the pages")
	force := fs.Bool("force", false, "republish unchanged pages too (a file's own \"force\" is ignored)")
	rest, err := parseAnywhere(fs, args)
	if err != nil {
		return 2
	}
	d, err := readDest()
	if err == nil && d.strategy == "api" {
		err = errors.New("this is the direct publish; use --url for the api strategy")
	}
	if err != nil {
		fmt.Fprintln(stderr, "publish:", err)
		return 2
	}
	dir, err := oneDir(rest)
	if err != nil {
		fmt.Fprintln(stderr, "publish:", err)
		return 2
	}
	st := readSite(dir, *settingsFile, stdout)
	if st.bad > 0 {
		fmt.Fprintf(stdout, "%d invalid file(s): nothing was published\n", st.bad)
		return 1
	}
	if !publishDirect(ctx, d, st, *force, getenv, stdout, "") {
		return 1
	}
	return 0
}

// publishDirect publishes a read site to a local or turso destination and
// prints a line per page and a summary; it reports whether it succeeded.
func publishDirect(ctx context.Context, d dest, st *siteDir, force bool, getenv func(string) string, stdout io.Writer, indent string) bool {
	for _, r := range st.reqs {
		r.Force = force
	}
	start := time.Now()
	svc, closeAll, err := openDest(ctx, d, getenv)
	if err != nil {
		fmt.Fprintln(stdout, indent+"FAIL", err)
		return false
	}
	defer closeAll()
	res, err := svc.PublishSite(ctx, st.reqs, st.settings, "")
	if err != nil {
		fmt.Fprintln(stdout, indent+"FAIL", st.named(describe(err)))
		return false
	}
	published := 0
	for i, r := range res.Pages {
		state := "unchanged"
		if !r.Unchanged {
			state, published = "published", published+1
		}
		fmt.Fprintf(stdout, "%s%-9s %-28s v%-3d %s\n", indent, state, filepath.Base(st.files[i]), r.Version, r.PreviewURL)
	}
	if st.settings != nil {
		state := "unchanged"
		if res.SettingsChanged {
			state = "published"
		}
		fmt.Fprintf(stdout, "%s%-9s %s\n", indent, state, filepath.Base(st.settingsFile))
	}
	fmt.Fprintf(stdout, "%s%s: %d published, %d unchanged, generation %d, %s\n", indent,
		d.strategy, published, len(res.Pages)-published, res.Generation, time.Since(start).Round(time.Millisecond))
	return true
}

// siteDir is a directory of page files, read and validated.
type siteDir struct {
	dir, settingsFile string
	files             []string
	reqs              []*core.ImportRequest
	settings          *core.Settings
	bad               int // invalid files
}

// named replaces the request indexes of a publish error (pages[2]) by the
// names of the files the pages came from.
func (st *siteDir) named(msg string) string {
	if len(st.files) != len(st.reqs) {
		return msg // some files were refused: the indexes do not match
	}
	for i := len(st.files) - 1; i >= 0; i-- { // pages[12] before pages[1]
		msg = strings.ReplaceAll(msg, fmt.Sprintf("pages[%d]", i), filepath.Base(st.files[i]))
	}
	return msg
}

// readSite reads and validates every page file of dir (name order) and the
// settings file; it prints a FAIL line per invalid file and returns how
// many there were.
func readSite(dir, settingsFile string, out io.Writer) *siteDir {
	st := &siteDir{dir: dir, settingsFile: settingsFile}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no *.json page files in %s", dir)
	}
	if err != nil {
		fmt.Fprintln(out, "FAIL", err)
		st.bad = 1
		return st
	}
	sort.Strings(files)
	st.files = files
	for _, f := range files {
		data, err := os.ReadFile(f)
		var req *core.ImportRequest
		if err == nil {
			req, err = core.DecodeImport(data)
		}
		if err != nil {
			st.bad++
			fmt.Fprintf(out, "FAIL %-28s %s\n", filepath.Base(f), describe(err))
			continue
		}
		st.reqs = append(st.reqs, req)
	}
	if settingsFile != "" {
		data, err := os.ReadFile(settingsFile)
		if err == nil {
			st.settings, err = core.DecodeSettings(data)
		}
		if err != nil {
			st.bad++
			fmt.Fprintf(out, "FAIL %-28s %s\n", filepath.Base(settingsFile), describe(err))
		}
	}
	return st
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
