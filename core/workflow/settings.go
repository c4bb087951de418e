package workflow

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Settings are a workflow's runtime settings as the builder's settings
// panel saves them. The builder writes snake_case (rate_limit_max); the
// camelCase spelling of every name is read as well (rateLimitMax), and the
// snake_case one wins when both are given. Unset settings take the
// builder's defaults, which are also the TypeScript engine's.
type Settings struct {
	RateLimitEnabled bool          // rate_limit_enabled, default true
	RateLimitMax     int64         // rate_limit_max: runs per calendar minute, default 60
	Debounce         time.Duration // debounce_ms: triggers after the first within the window are refused
	Cooldown         time.Duration // cooldown_ms: rest after a successful run
	Timeout          time.Duration // execution_timeout_ms, default 30 s
	Concurrency      int64         // concurrency_limit: runs at once, 0 unlimited
	QueueEnabled     bool          // queue_enabled: background runs retry (retry.go)
	RetryCount       int           // retry_count, default 3 (used with queue_enabled)
	RetryBackoff     string        // retry_backoff: exponential (default) or linear
	DLQEnabled       bool          // dlq_enabled: failed records are kept (see docs)
	LogLevel         string        // log_level: all (default), errors or none
}

// The builder's defaults (WorkflowSettingsPanel's DEFAULTS).
const (
	DefaultRateLimitMax = 60
	DefaultRetryCount   = 3
	// MaxTimeout bounds execution_timeout_ms: the longest a FaaS
	// invocation may run (AWS Lambda's 15 minutes).
	MaxTimeout = 15 * time.Minute
	// MaxRetryCount bounds retry_count.
	MaxRetryCount = 10
)

// DefaultSettings are the settings of a workflow that sets none.
func DefaultSettings() Settings {
	return Settings{RateLimitEnabled: true, RateLimitMax: DefaultRateLimitMax, Timeout: DefaultTimeout,
		RetryCount: DefaultRetryCount, RetryBackoff: "exponential", LogLevel: "all"}
}

// settingNames are each setting's spellings, the builder's first; the
// ones after the camelCase name are older names this engine read.
var settingNames = map[string][]string{
	"rate_limit_enabled":   {"rate_limit_enabled", "rateLimitEnabled"},
	"rate_limit_max":       {"rate_limit_max", "rateLimitMax", "rateLimitPerMinute", "rateLimit"},
	"debounce_ms":          {"debounce_ms", "debounceMs"},
	"cooldown_ms":          {"cooldown_ms", "cooldownMs"},
	"execution_timeout_ms": {"execution_timeout_ms", "executionTimeoutMs", "timeoutMs"},
	"concurrency_limit":    {"concurrency_limit", "concurrencyLimit", "maxConcurrent"},
	"queue_enabled":        {"queue_enabled", "queueEnabled"},
	"retry_count":          {"retry_count", "retryCount"},
	"retry_backoff":        {"retry_backoff", "retryBackoff"},
	"dlq_enabled":          {"dlq_enabled", "dlqEnabled"},
	"log_level":            {"log_level", "logLevel"},
}

// normalizeSettings turns the settings a deploy sent into a JSON object or
// nothing. The control plane sends them as a JSON string
// (json.dumps(draft.settings)) or null; other callers send an object.
// Anything else is returned as it came, for Parse to report.
func normalizeSettings(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] != '"' {
		return raw
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return raw
	}
	inner := bytes.TrimSpace([]byte(s))
	if len(inner) == 0 || string(inner) == "null" || string(inner) == "{}" {
		return nil
	}
	var obj map[string]any
	if json.Unmarshal(inner, &obj) != nil {
		return raw // not an object inside: Parse says so
	}
	var out bytes.Buffer
	if json.Compact(&out, inner) != nil {
		return raw
	}
	return out.Bytes()
}

// parseSettings reads the settings object (nil: none), reporting invalid
// values by their JSON path.
func parseSettings(m map[string]any, is *Issues) Settings {
	st := DefaultSettings()
	get := func(name string) (string, any, bool) {
		for _, n := range settingNames[name] {
			if v, ok := m[n]; ok && v != nil {
				return "settings." + n, v, true
			}
		}
		return "", nil, false
	}
	boolean := func(name string, dst *bool) {
		if path, v, ok := get(name); ok {
			switch t := v.(type) {
			case bool:
				*dst = t
			case string:
				if b, err := strconv.ParseBool(strings.TrimSpace(t)); err == nil {
					*dst = b
					return
				}
				is.errorf(path, "must be true or false")
			default:
				is.errorf(path, "must be true or false")
			}
		}
	}
	// whole reads a whole number from 0 to max; a numeric string is
	// accepted (form inputs), a fraction is not.
	whole := func(name string, max float64) (int64, bool) {
		path, v, ok := get(name)
		if !ok {
			return 0, false
		}
		f, isNum := number(v)
		if _, isBool := v.(bool); isBool || !isNum || math.IsNaN(f) || f < 0 || f > max || f != math.Trunc(f) {
			is.errorf(path, "must be a whole number from 0 to %s", strconv.FormatFloat(max, 'f', -1, 64))
			return 0, false
		}
		return int64(f), true
	}
	ms := func(name string, max time.Duration, dst *time.Duration) {
		if n, ok := whole(name, float64(max/time.Millisecond)); ok {
			*dst = time.Duration(n) * time.Millisecond
		}
	}
	oneOf := func(name string, dst *string, allowed ...string) {
		if path, v, ok := get(name); ok {
			s, _ := v.(string)
			s = strings.ToLower(strings.TrimSpace(s))
			for _, a := range allowed {
				if s == a {
					*dst = s
					return
				}
			}
			is.errorf(path, "must be one of %s", strings.Join(allowed, ", "))
		}
	}

	boolean("rate_limit_enabled", &st.RateLimitEnabled)
	if n, ok := whole("rate_limit_max", 1e6); ok && n > 0 {
		st.RateLimitMax = n // 0 keeps the default, as the peer's `|| 60` does
	}
	ms("debounce_ms", 24*time.Hour, &st.Debounce)
	ms("cooldown_ms", 24*time.Hour, &st.Cooldown)
	var timeout time.Duration
	ms("execution_timeout_ms", MaxTimeout, &timeout)
	if timeout > 0 {
		st.Timeout = timeout // 0 keeps the default
	}
	if n, ok := whole("concurrency_limit", 1e6); ok {
		st.Concurrency = n
	}
	boolean("queue_enabled", &st.QueueEnabled)
	if n, ok := whole("retry_count", MaxRetryCount); ok {
		st.RetryCount = int(n)
	}
	oneOf("retry_backoff", &st.RetryBackoff, "exponential", "linear")
	boolean("dlq_enabled", &st.DLQEnabled)
	oneOf("log_level", &st.LogLevel, "all", "errors", "none")
	return st
}
