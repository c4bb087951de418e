package engine

import (
	"os"
	"strings"

	"github.com/frontbase/edge/core/api"
	"github.com/frontbase/edge/core/config"
)

// manifest is what GET /api/manifest reports: the engine's name, the
// platform it runs on (from the variables each platform sets), and the
// kind of each binding, never a URL or a credential.
func manifest(cfg *config.Config) api.Manifest {
	m := api.Manifest{EngineName: os.Getenv("FRONTBASE_ENGINE_NAME"), Platform: platform(os.Getenv)}
	db := "sqlite"
	if cfg.Env == "cloud" {
		db = "turso"
	}
	cache := "none"
	switch {
	case cfg.RedisURL == "":
	case strings.HasPrefix(cfg.RedisURL, "redis://"), strings.HasPrefix(cfg.RedisURL, "rediss://"):
		cache = "redis"
	default:
		cache = "upstash"
	}
	m.Bindings = map[string]string{"db": db, "cache": cache, "queue": "none"}
	return m
}

// platform names the FaaS the process runs on by the variables it sets.
func platform(getenv func(string) string) string {
	switch {
	case getenv("AWS_LAMBDA_FUNCTION_NAME") != "":
		return "aws-lambda"
	case getenv("VERCEL") != "":
		return "vercel"
	case getenv("FUNCTION_TARGET") != "" || getenv("K_SERVICE") != "":
		return "gcp-functions"
	}
	return "docker"
}
