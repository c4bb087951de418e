// Command startup measures how long the engine takes from exec to its first
// 200 answer. Each run starts a fresh server process on a free loopback
// port, polls GET http://127.0.0.1:PORT/ every millisecond (50 ms client
// timeout) until the first 200, prints the elapsed time since exec start and
// stops the process. It ends with min, median and max.
//
//	startup -bin bin/frontbase-server -n 10 -db-src pages.db [NAME=VALUE ...]
//
// The server's environment is this process's, plus the NAME=VALUE
// arguments, plus PORT (a free port picked for each run) and, with -db-src,
// FRONTBASE_LOCAL_DB_PATH pointing at a fresh copy of that database (and its
// -wal file if any), so the first 200 is a real published page served from
// a cold process and every run starts from the same state.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "", "server binary (required)")
	n := flag.Int("n", 10, "number of runs")
	dbSrc := flag.String("db-src", "", "SQLite database to copy for each run (sets FRONTBASE_LOCAL_DB_PATH)")
	path := flag.String("path", "/", "path to poll")
	limit := flag.Duration("timeout", 10*time.Second, "give up on a run after this long")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: startup -bin SERVER [-n N] [-db-src FILE] [-path /] [-timeout 10s] [NAME=VALUE ...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *bin == "" || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	extra := flag.Args()
	for _, kv := range extra {
		if !strings.Contains(kv, "=") {
			fmt.Fprintf(os.Stderr, "startup: %q is not NAME=VALUE\n", kv)
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var times []float64
	for i := 1; i <= *n; i++ {
		r, err := once(ctx, *bin, extra, *dbSrc, *path, *limit)
		if err != nil {
			fmt.Fprintf(os.Stderr, "startup: run %d: %v\n", i, err)
			os.Exit(1)
		}
		ms := float64(r.elapsed.Microseconds()) / 1000
		times = append(times, ms)
		fmt.Printf("run %2d: %7.1f ms  (%d polls, %d bytes, X-Frontbase-Cache: %s)\n", i, ms, r.polls, r.bytes, r.cache)
	}
	slices.Sort(times)
	fmt.Printf("startup: n=%d min_ms=%.1f median_ms=%.1f max_ms=%.1f\n", len(times), times[0], median(times), times[len(times)-1])
}

type result struct {
	elapsed time.Duration
	polls   int
	bytes   int64
	cache   string
}

func once(ctx context.Context, bin string, extra []string, dbSrc, path string, limit time.Duration) (result, error) {
	port, err := freePort()
	if err != nil {
		return result{}, err
	}
	env := append(os.Environ(), extra...)
	env = append(env, "PORT="+strconv.Itoa(port))
	if dbSrc != "" {
		dir, err := os.MkdirTemp("", "frontbase-startup-")
		if err != nil {
			return result{}, err
		}
		defer os.RemoveAll(dir)
		db := filepath.Join(dir, "pages.db")
		if err := copyDB(dbSrc, db); err != nil {
			return result{}, err
		}
		env = append(env, "FRONTBASE_LOCAL_DB_PATH="+db)
	}

	var stderr bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Env = env
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	url := "http://127.0.0.1:" + strconv.Itoa(port) + path
	client := &http.Client{
		Timeout:   50 * time.Millisecond,
		Transport: &http.Transport{DisableKeepAlives: true},
	}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer stopProcess(cmd, exited)

	deadline := start.Add(limit)
	polls := 0
	for {
		polls++
		resp, err := client.Get(url)
		if err == nil {
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				elapsed := time.Since(start)
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
					return result{}, fmt.Errorf("first 200 has Content-Type %q, want text/html", ct)
				}
				cache := resp.Header.Get("X-Frontbase-Cache")
				if cache == "" {
					cache = "-"
				}
				return result{elapsed: elapsed, polls: polls, bytes: n, cache: cache}, nil
			}
		}
		select {
		case err := <-exited:
			exited <- err // let stopProcess see it
			return result{}, fmt.Errorf("server exited before the first 200 (%v): %s", err, strings.TrimSpace(stderr.String()))
		case <-ctx.Done():
			return result{}, ctx.Err()
		default:
		}
		if time.Now().After(deadline) {
			return result{}, fmt.Errorf("no 200 from %s within %s (%d polls): %s", url, limit, polls, strings.TrimSpace(stderr.String()))
		}
		time.Sleep(time.Millisecond)
	}
}

// stopProcess ends the server: SIGTERM, then SIGKILL if it lingers.
func stopProcess(cmd *exec.Cmd, exited chan error) {
	select {
	case <-exited:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(3 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// copyDB copies a SQLite database and its write-ahead log, when there is
// one, so the copy holds everything that was committed.
func copyDB(src, dst string) error {
	if err := copyFile(src, dst); err != nil {
		return err
	}
	err := copyFile(src+"-wal", dst+"-wal")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func median(sorted []float64) float64 {
	m := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[m]
	}
	return (sorted[m-1] + sorted[m]) / 2
}
