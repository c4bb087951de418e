// Package upstash is the L2 cache over Upstash's REST API (no Go SDK for
// it is reachable, and the API is small): single commands at POST /, many
// at POST /pipeline, atomic ones at POST /multi-exec, each a JSON array,
// with Authorization: Bearer and base64-encoded responses so that any
// value survives the JSON round trip.
package upstash

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
)

// Client talks to one Upstash database.
type Client struct {
	base    string
	token   string
	http    *http.Client
	timeout time.Duration
	retries int // extra attempts for idempotent reads only
}

var _ core.Cache = (*Client)(nil)

// Options tune a Client; zero values take the defaults.
type Options struct {
	Timeout time.Duration // per request; default 500ms
	Retries int           // for idempotent reads; default 1
	HTTP    *http.Client
}

// New makes a client for an https:// REST URL (http:// is accepted for
// local test servers). No request is made until the first command.
func New(rawURL, token string, opts Options) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("expected the REST URL of an Upstash database, https://NAME.upstash.io, got %q", rawURL)
	}
	if token == "" {
		return nil, errors.New("the REST token is required (FRONTBASE_REDIS_TOKEN or UPSTASH_REDIS_REST_TOKEN)")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 500 * time.Millisecond
	}
	if opts.Retries == 0 {
		opts.Retries = 1
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{}
	}
	return &Client{base: strings.TrimRight(rawURL, "/"), token: token, http: opts.HTTP, timeout: opts.Timeout, retries: max(opts.Retries, 0)}, nil
}

// Result is one command's answer: a decoded JSON value, or the error the
// server gave for that command.
type Result struct {
	Value any
	Err   error
}

// Do runs one command.
func (c *Client) Do(ctx context.Context, args ...any) (any, error) {
	var out struct {
		Result any    `json:"result"`
		Error  string `json:"error"`
	}
	if err := c.post(ctx, "/", args, &out, idempotent(args)); err != nil {
		return nil, err
	}
	if out.Error != "" {
		return nil, commandError(args, out.Error)
	}
	return decode(out.Result), nil
}

// Pipeline runs commands in one request; each has its own result.
func (c *Client) Pipeline(ctx context.Context, cmds ...[]any) ([]Result, error) {
	return c.many(ctx, "/pipeline", cmds)
}

// MultiExec runs commands in one request as a transaction.
func (c *Client) MultiExec(ctx context.Context, cmds ...[]any) ([]Result, error) {
	return c.many(ctx, "/multi-exec", cmds)
}

func (c *Client) many(ctx context.Context, path string, cmds [][]any) ([]Result, error) {
	var out []struct {
		Result any    `json:"result"`
		Error  string `json:"error"`
	}
	readOnly := true
	for _, cmd := range cmds {
		readOnly = readOnly && idempotent(cmd)
	}
	if err := c.post(ctx, path, cmds, &out, readOnly); err != nil {
		return nil, err
	}
	if len(out) != len(cmds) {
		return nil, &core.Error{Code: core.EUNAVAILABLE, Message: fmt.Sprintf("upstash %s: %d results for %d commands", path, len(out), len(cmds))}
	}
	results := make([]Result, len(out))
	for i, r := range out {
		if r.Error != "" {
			results[i].Err = commandError(cmds[i], r.Error)
			continue
		}
		results[i].Value = decode(r.Result)
	}
	return results, nil
}

func (c *Client) post(ctx context.Context, path string, body, out any, retry bool) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return &core.Error{Code: core.EINTERNAL, Message: "upstash: cannot encode command", Err: err}
	}
	attempts := 1
	if retry {
		attempts += c.retries
	}
	var lastErr error
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return unavailable(path, ctx.Err())
			case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
			}
		}
		lastErr = c.once(ctx, path, payload, out)
		var permanent *permanentError
		if lastErr == nil || errors.As(lastErr, &permanent) {
			break
		}
	}
	var permanent *permanentError
	if errors.As(lastErr, &permanent) {
		return permanent.err
	}
	return lastErr
}

// permanentError marks answers that a retry cannot change (bad token, bad
// command).
type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }

func (c *Client) once(ctx context.Context, path string, payload []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(payload))
	if err != nil {
		return &permanentError{&core.Error{Code: core.EINTERNAL, Message: "upstash: bad request", Err: err}}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Upstash-Encoding", "base64")
	resp, err := c.http.Do(req)
	if err != nil {
		return unavailable(path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return unavailable(path, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return &permanentError{&core.Error{Code: core.EUNAVAILABLE, Message: fmt.Sprintf("upstash %s: HTTP %d, check FRONTBASE_REDIS_TOKEN", path, resp.StatusCode)}}
	case resp.StatusCode >= 500:
		return unavailable(path, fmt.Errorf("HTTP %d: %s", resp.StatusCode, truncate(data)))
	case resp.StatusCode == http.StatusBadRequest && path == "/":
		// A single command's error comes back as 400 {"error": "..."}.
	case resp.StatusCode != http.StatusOK:
		return &permanentError{&core.Error{Code: core.EUNAVAILABLE, Message: fmt.Sprintf("upstash %s: HTTP %d: %s", path, resp.StatusCode, truncate(data))}}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &permanentError{&core.Error{Code: core.EUNAVAILABLE, Message: "upstash " + path + ": unreadable response", Err: err}}
	}
	return nil
}

// decode undoes Upstash-Encoding: base64, which encodes every string in
// the result (except the status reply "OK").
func decode(v any) any {
	switch t := v.(type) {
	case string:
		if t == "OK" {
			return t
		}
		if b, err := base64.StdEncoding.DecodeString(t); err == nil {
			return string(b)
		}
		return t
	case []any:
		for i := range t {
			t[i] = decode(t[i])
		}
		return t
	default:
		return v
	}
}

// idempotent commands may be retried; anything that writes may not.
func idempotent(cmd []any) bool {
	if len(cmd) == 0 {
		return false
	}
	name, _ := cmd[0].(string)
	switch strings.ToUpper(name) {
	case "GET", "MGET", "EXISTS", "TTL", "PTTL", "PING", "STRLEN", "HGET", "HGETALL", "PFCOUNT":
		return true
	}
	return false
}

func commandError(cmd []any, msg string) error {
	name := "command"
	if len(cmd) > 0 {
		name = fmt.Sprint(cmd[0])
	}
	return &core.Error{Code: core.EINVALID, Message: fmt.Sprintf("upstash %s: %s", strings.ToUpper(name), msg)}
}

func unavailable(path string, err error) error {
	return &core.Error{Code: core.EUNAVAILABLE, Message: "upstash " + path + " unreachable", Err: err}
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// The core.Cache methods.

func (c *Client) Get(ctx context.Context, keys ...string) ([][]byte, error) {
	args := make([]any, 0, len(keys)+1)
	args = append(args, "MGET")
	for _, k := range keys {
		args = append(args, k)
	}
	v, err := c.Do(ctx, args...)
	if err != nil {
		return nil, err
	}
	list, _ := v.([]any)
	out := make([][]byte, len(keys))
	for i := range out {
		if i < len(list) {
			if s, ok := list[i].(string); ok {
				out[i] = []byte(s)
			}
		}
	}
	return out, nil
}

func (c *Client) Set(ctx context.Context, entries ...core.CacheEntry) error {
	if len(entries) == 0 {
		return nil
	}
	cmds := make([][]any, len(entries))
	for i, e := range entries {
		cmd := []any{"SET", e.Key, string(e.Value)}
		if e.TTL > 0 {
			cmd = append(cmd, "PX", strconv.FormatInt(e.TTL.Milliseconds(), 10))
		}
		cmds[i] = cmd
	}
	results, err := c.Pipeline(ctx, cmds...)
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

func (c *Client) SetMax(ctx context.Context, key string, n int64) error {
	_, err := c.Do(ctx, "EVAL", core.SetMaxScript, "1", key, strconv.FormatInt(n, 10))
	return err
}

const incrScript = `local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) > 0 and n == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`

func (c *Client) Incr(ctx context.Context, key string, delta int64, ttl time.Duration) (int64, error) {
	res, err := c.Do(ctx, "EVAL", incrScript, "1", key, strconv.FormatInt(delta, 10), strconv.FormatInt(ttl.Milliseconds(), 10))
	if err != nil {
		return 0, err
	}
	switch v := res.(type) {
	case float64:
		return int64(v), nil
	case string:
		return strconv.ParseInt(v, 10, 64)
	}
	return 0, &core.Error{Code: core.EUNAVAILABLE, Message: "upstash EVAL returned an unexpected value"}
}

func (c *Client) Exec(ctx context.Context, cmds ...[]any) ([]any, error) {
	if len(cmds) == 0 {
		return nil, nil
	}
	results, err := c.Pipeline(ctx, cmds...)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(results))
	for i, r := range results {
		if r.Err != nil {
			return nil, r.Err
		}
		out[i] = integers(r.Value)
	}
	return out, nil
}

// integers turns JSON numbers back into the integers Redis replied.
func integers(v any) any {
	switch t := v.(type) {
	case float64:
		return int64(t)
	case []any:
		for i := range t {
			t[i] = integers(t[i])
		}
		return t
	}
	return v
}

func (c *Client) Ping(ctx context.Context) error {
	_, err := c.Do(ctx, "PING")
	return err
}

func (c *Client) Close() error { return nil }
