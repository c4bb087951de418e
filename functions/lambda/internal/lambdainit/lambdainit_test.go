package lambdainit

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestRequestIDOnEveryLine(t *testing.T) {
	var buf bytes.Buffer
	ids := &RequestID{}
	logger := slog.New(ids.Wrap(slog.NewJSONHandler(&buf, nil)))
	derived := logger.With("component", "site").WithGroup("g")
	tests := []struct {
		id   string
		log  func()
		want string // awsRequestId on the line, "" for none
	}{
		{"", func() { logger.Info("before any invocation") }, ""},
		{"req-1", func() { logger.Info("first") }, "req-1"},
		{"req-1", func() { derived.Warn("derived logger", "k", 1) }, "req-1"},
		{"req-2", func() { logger.Error("second") }, "req-2"},
	}
	for i, tt := range tests {
		if tt.id != "" {
			ids.Set(tt.id)
		}
		buf.Reset()
		tt.log()
		var rec map[string]any
		if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		got, _ := rec["awsRequestId"].(string)
		if g, ok := rec["g"].(map[string]any); ok && got == "" {
			got, _ = g["awsRequestId"].(string)
		}
		if got != tt.want {
			t.Errorf("line %d: awsRequestId %q, want %q: %s", i, got, tt.want, strings.TrimSpace(buf.String()))
		}
	}
}
