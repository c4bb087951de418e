//go:build redis

package main

// Built with the redis tag, the function links the Redis TCP client
// (go-redis) for a redis:// or rediss:// FRONTBASE_REDIS_URL, reachable
// from Lambda only inside a VPC. Without the tag it reaches Upstash over
// HTTPS, and a redis:// URL fails at init naming the tag.
import _ "github.com/frontbase/edge/functions/internal/backend/withredis"
