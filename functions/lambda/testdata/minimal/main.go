// Command minimal is the floor the edge bootstrap's cold start is measured
// against: an aws-lambda-go function that answers every event with a fixed
// API Gateway payload 2.0 response, built with the same flags.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, raw json.RawMessage) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"status":"ok"}`}, nil
	})
}
