// Command flush is the scheduled function on AWS Lambda (an EventBridge
// schedule), built as `bootstrap` for provided.al2023. Each run is one
// core tick, stopped 2 s before the function's timeout.
//
// It is built from the backend alone (state store, cache, actions engine,
// counters): no renderer, Markdown or Liquid engine, nor HTTP API, so its
// binary is smaller and its cold start shorter than the edge function's.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/frontbase/edge/core/tick"
	"github.com/frontbase/edge/functions/internal/backend"
	"github.com/frontbase/edge/functions/lambda/internal/lambdainit"
)

// margin is kept back from the function's deadline to report the result.
const margin = 2 * time.Second

// scheduledEvent is the part of an EventBridge scheduled event (a rule
// with a schedule expression: SAM's Schedule, Serverless' schedule) the
// function checks.
type scheduledEvent struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
}

// checkEvent accepts only an EventBridge scheduled event: anything else (an
// HTTP event sent here by a misrouted API, a test event from the console)
// is refused without running a tick.
func checkEvent(raw []byte) (scheduledEvent, error) {
	var ev scheduledEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return ev, fmt.Errorf("expected an EventBridge scheduled event: %w", err)
	}
	if ev.Source != "aws.events" || ev.DetailType != "Scheduled Event" {
		return ev, fmt.Errorf(`expected an EventBridge scheduled event ("source":"aws.events","detail-type":"Scheduled Event"), got source %q, detail-type %q`, ev.Source, ev.DetailType)
	}
	return ev, nil
}

func main() {
	cfg, ids, logger := lambdainit.Start()
	b, err := backend.Open(context.Background(), cfg, logger)
	if err != nil {
		lambdainit.Fail("Runtime.InitError", err)
	}
	t := &tick.Ticker{Store: b.Store, Workflows: b.Workflows, Flush: b.Flusher}
	lambda.Start(func(ctx context.Context, raw json.RawMessage) (tick.Report, error) {
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			ids.Set(lc.AwsRequestID)
		}
		ev, err := checkEvent(raw)
		if err != nil {
			logger.WarnContext(ctx, "event refused", "error", err.Error())
			return tick.Report{}, err
		}
		ctx, cancel := tick.Budget(ctx, margin, time.Minute)
		defer cancel()
		r, err := t.Tick(ctx)
		if err != nil {
			logger.ErrorContext(ctx, "tick failed", "error", err.Error(), "source", ev.Source, "detailType", ev.DetailType)
			return r, err
		}
		logger.InfoContext(ctx, "tick", "generation", r.Generation, "flushed", r.Flushed, "durationMs", r.DurationMs,
			"budgetMs", r.BudgetMs, "source", ev.Source, "detailType", ev.DetailType)
		return r, nil
	})
}
