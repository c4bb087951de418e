package faas

// Cloud Functions and Vercel link every backend: local mode's SQLite and
// the Redis TCP client (only the Lambda functions leave them out, unless
// built with a tag).
import (
	_ "github.com/frontbase/edge/functions/internal/backend/withredis"
	_ "github.com/frontbase/edge/functions/internal/backend/withsqlite"
)
