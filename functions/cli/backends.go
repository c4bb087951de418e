package main

// This binary links every backend: local mode's SQLite and the Redis TCP
// client (the Lambda functions leave them out unless built with a tag).
import (
	_ "github.com/frontbase/edge/functions/internal/backend/withredis"
	_ "github.com/frontbase/edge/functions/internal/backend/withsqlite"
)
