// Command edge is the engine on AWS Lambda, built as `bootstrap` for
// provided.al2023. One build serves API Gateway HTTP APIs (payload 2.0),
// Function URLs, REST APIs (payload 1.0) and ALB target groups: the event
// shape is detected per invocation.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/frontbase/edge/functions/internal/engine"
	"github.com/frontbase/edge/functions/lambda/internal/lambdahttp"
	"github.com/frontbase/edge/functions/lambda/internal/lambdainit"
)

func main() {
	cfg, ids, logger := lambdainit.Start()
	// Function URL events stream only when the URL's invoke mode is
	// RESPONSE_STREAM, which the deploy files say through this variable.
	stream, err := lambdahttp.ParseStreaming(os.Getenv(lambdahttp.StreamingEnv))
	if err != nil {
		lambdainit.Fail("Runtime.ConfigError", err)
	}
	eng, err := engine.New(context.Background(), cfg, logger, nil)
	if err != nil {
		lambdainit.Fail("Runtime.InitError", err)
	}
	h := &lambdahttp.Handler{H: eng.Handler, OnRequest: ids.Set, Stream: stream}
	lambda.Start(h.Invoke)
}
