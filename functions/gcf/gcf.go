// Package gcf is the engine on Google Cloud Functions (2nd gen), through
// functions-framework-go. It registers two functions when it loads:
//
//   - Edge, an HTTP function: the engine's one handler;
//   - Flush, a CloudEvent function for the scheduled tick, triggered by a
//     Pub/Sub topic that Cloud Scheduler publishes to every minute.
//
// Cloud Functions builds the package at the root of the uploaded module;
// scripts/gcf-deploy.sh stages the module with a root package that imports
// this one (see there). Nothing is opened at load time: the first request
// wires the engine and warm requests reuse it.
package gcf

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/frontbase/edge/core/tick"
	"github.com/frontbase/edge/functions/internal/faas"
	"github.com/frontbase/edge/functions/internal/fit"
)

func init() {
	functions.HTTP("Edge", Edge)
	functions.CloudEvent("Flush", Flush)
}

var lazy = &faas.Lazy{}

// Edge serves every HTTP request with the engine.
func Edge(w http.ResponseWriter, r *http.Request) {
	eng, logger, err := lazy.Get(r.Context())
	if err != nil {
		logger.Error("engine unavailable", "error", err.Error())
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"success":false,"error":"engine unavailable; see the function's logs"}`)
		return
	}
	// Cloud Functions traces each request; its trace id joins the engine's
	// log lines to the platform's request log.
	if r.Header.Get("X-Request-Id") == "" {
		if tc := r.Header.Get("X-Cloud-Trace-Context"); tc != "" {
			id, _, _ := strings.Cut(tc, "/")
			r.Header.Set("X-Request-Id", id)
		}
	}
	fit.Serve(w, r, eng.Handler, maxResponse)
}

// MaxResponseBytes is the largest answer Cloud Functions (2nd gen) take
// from an HTTP function: 32 MiB; past it the platform answers 500. Cloud
// Run, which runs them, applies it to answers it does not stream and
// streams a flushed answer (chunked) without it, so the route that
// flushes, the realtime SSE stream, passes through as it is written.
// Every other answer is held and fitted (see fit.Serve), so none depends
// on whether net/http happened to send it chunked.
const MaxResponseBytes = 32 << 20

// maxResponse is the limit Edge fits answers to; a test lowers it.
var maxResponse = fit.Limit{Bytes: MaxResponseBytes, What: "(32 MiB) Cloud Functions take from an HTTP function",
	Advice: "ask for less (a smaller ?limit= on listings), or make the page smaller"}

// PubSubMessage is the data of a google.cloud.pubsub.topic.v1.messagePublished event.
type PubSubMessage struct {
	Message struct {
		Data        []byte            `json:"data"` // base64 in JSON
		Attributes  map[string]string `json:"attributes"`
		MessageID   string            `json:"messageId"`
		PublishTime time.Time         `json:"publishTime"`
	} `json:"message"`
	Subscription string `json:"subscription"`
}

// PubSubPublished is the CloudEvent type of a Pub/Sub message: the only
// event Flush runs a tick for.
const PubSubPublished = "google.cloud.pubsub.topic.v1.messagePublished"

// FlushBudget bounds one run; deploy Flush with a timeout above it.
const FlushBudget = 50 * time.Second

// Flush runs one tick for a Pub/Sub CloudEvent. An error makes the
// platform record a failed run (and retry only if retries are enabled).
func Flush(ctx context.Context, e event.Event) error {
	var msg PubSubMessage
	if e.Type() != PubSubPublished {
		return fmt.Errorf("flush: expected a Pub/Sub messagePublished event (%s), got type %q", PubSubPublished, e.Type())
	}
	if err := json.Unmarshal(e.Data(), &msg); err != nil || msg.Message.MessageID == "" {
		return fmt.Errorf("flush: expected a Pub/Sub messagePublished event, got type %q: %v", e.Type(), err)
	}
	eng, logger, err := lazy.Get(ctx)
	if err != nil {
		logger.Error("engine unavailable", "error", err.Error())
		return err
	}
	ctx, cancel := tick.Budget(ctx, 2*time.Second, FlushBudget)
	defer cancel()
	r, err := (&tick.Ticker{Store: eng.Store, Workflows: eng.Workflows, Flush: eng.Flusher}).Tick(ctx)
	if err != nil {
		logger.ErrorContext(ctx, "tick failed", "error", err.Error(), "eventId", e.ID(), "messageId", msg.Message.MessageID)
		return err
	}
	logger.InfoContext(ctx, "tick", "generation", r.Generation, "flushed", r.Flushed, "durationMs", r.DurationMs,
		"eventId", e.ID(), "messageId", msg.Message.MessageID)
	return nil
}
