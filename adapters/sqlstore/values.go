package sqlstore

import (
	"fmt"
	"strconv"
	"time"

	"github.com/frontbase/edge/core"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func tenantOrDefault(t string) string {
	if t == "" {
		return core.DefaultTenant
	}
	return t
}

// Flags are stored as 0/1 integers (STRICT tables have no boolean type).
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// asInt and asString read a scanned batch value whatever the driver made
// of it.
func asInt(v any) int64 {
	switch t := v.(type) {
	case int64:
		return t
	case float64:
		return int64(t)
	case []byte:
		n, _ := strconv.ParseInt(string(t), 10, 64)
		return n
	case string:
		n, _ := strconv.ParseInt(t, 10, 64)
		return n
	}
	return 0
}

func asString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []byte:
		return string(t)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// Fixed-width nanoseconds keep stored times sortable as text.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// FormatTime is how times are stored.
func FormatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// ScanRows reads every row of rows as values, for Backend.Batch
// implementations.
func ScanRows(rows interface {
	Columns() ([]string, error)
	Next() bool
	Scan(...any) error
	Err() error
}) (Rows, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out Rows
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}
