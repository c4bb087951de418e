// Command flush is the scheduled function on AWS Lambda (an EventBridge
// schedule), built as `bootstrap` for provided.al2023. Each run is one
// core tick, stopped 2 s before the function's timeout.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/frontbase/edge/core/tick"
	"github.com/frontbase/edge/functions/lambda/internal/lambdainit"
)

// margin is kept back from the function's deadline to report the result.
const margin = 2 * time.Second

func main() {
	eng, ids, logger := lambdainit.Start(context.Background())
	t := &tick.Ticker{Store: eng.Store, Workflows: eng.Workflows, Flush: eng.Flusher}
	lambda.Start(func(ctx context.Context, raw json.RawMessage) (tick.Report, error) {
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			ids.Set(lc.AwsRequestID)
		}
		var ev events.EventBridgeEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return tick.Report{}, fmt.Errorf("expected an EventBridge scheduled event: %w", err)
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
