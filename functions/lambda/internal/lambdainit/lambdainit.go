// Package lambdainit holds what both Lambda entrypoints do around the
// engine: configuration with Lambda's defaults, a logger that tags every
// line with the invocation's request id, and reporting an init failure
// through the Runtime API instead of crash-looping silently.
package lambdainit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/frontbase/edge/core/config"
	"github.com/frontbase/edge/functions/internal/backend"
)

// Lambda, like the other FaaS platforms, can write only under /tmp: the
// local-mode default lives there (backend.Getenv).

// Start loads the configuration and sets up the logger, reporting a
// configuration error as an init error. The entrypoint then wires what it
// runs (the whole engine, or only the backend for the flush) and reports a
// failure with Fail("Runtime.InitError", err). Lambda's init makes no
// network I/O: stores and caches connect lazily.
func Start() (*config.Config, *RequestID, *slog.Logger) {
	cfg, err := config.Load(backend.Getenv)
	if err != nil {
		Fail("Runtime.ConfigError", err)
	}
	ids := &RequestID{}
	logger := slog.New(ids.Wrap(backend.NewLogger(cfg).Handler()))
	slog.SetDefault(logger)
	return cfg, ids, logger
}

// Fail reports err to POST /runtime/init/error (when running under the
// Runtime API) and exits: Lambda then shows the message for the failed
// init instead of a bare "exited" status.
func Fail(errorType string, err error) {
	fmt.Fprintln(os.Stderr, "frontbase:", err)
	if api := os.Getenv("AWS_LAMBDA_RUNTIME_API"); api != "" {
		body, _ := json.Marshal(map[string]any{"errorMessage": err.Error(), "errorType": errorType, "stackTrace": []string{}})
		req, rerr := http.NewRequest(http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
		if rerr == nil {
			req.Header.Set("Lambda-Runtime-Function-Error-Type", errorType)
			req.Header.Set("Content-Type", "application/json")
			client := &http.Client{Timeout: 2 * time.Second}
			if resp, derr := client.Do(req); derr == nil {
				resp.Body.Close()
			}
		}
	}
	os.Exit(1)
}

// RequestID holds the current invocation's AWS request id. An execution
// environment runs one invocation at a time, so one value per process is
// exact.
type RequestID struct{ id atomic.Pointer[string] }

// Set records the id of the invocation that starts now.
func (r *RequestID) Set(id string) { r.id.Store(&id) }

// Get returns the current id, "" before the first invocation.
func (r *RequestID) Get() string {
	if p := r.id.Load(); p != nil {
		return *p
	}
	return ""
}

// Wrap returns a handler that adds awsRequestId to every record.
func (r *RequestID) Wrap(h slog.Handler) slog.Handler { return idHandler{h, r} }

type idHandler struct {
	slog.Handler
	ids *RequestID
}

func (h idHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id := h.ids.Get(); id != "" {
		rec.AddAttrs(slog.String("awsRequestId", id))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h idHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return idHandler{h.Handler.WithAttrs(as), h.ids}
}

func (h idHandler) WithGroup(name string) slog.Handler {
	return idHandler{h.Handler.WithGroup(name), h.ids}
}
