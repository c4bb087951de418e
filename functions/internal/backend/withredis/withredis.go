// Package withredis links the Redis TCP client (go-redis) into a binary:
// importing it lets package backend open redis:// and rediss:// caches.
// Every entrypoint imports it except the Lambda functions, which do only
// when built with the redis tag (they reach Upstash over HTTPS without it).
package withredis

import (
	"time"

	"github.com/frontbase/edge/adapters/redis"
	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/functions/internal/backend"
)

func init() {
	backend.RegisterRedis(func(url string, timeout time.Duration) (core.Cache, error) {
		c, err := redis.OpenTimeout(url, timeout)
		if err != nil {
			return nil, err // not a nil *Cache in a non-nil interface
		}
		return c, nil
	})
}
