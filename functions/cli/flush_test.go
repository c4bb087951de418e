package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontbase/edge/adapters/testservers"
	"github.com/frontbase/edge/core/analytics"
)

func TestFlushCommand(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "pages.db")
	redis := testservers.StartRedis(t)
	withRedis := func(k string) string {
		return map[string]string{"FRONTBASE_LOCAL_DB_PATH": dbPath, "FRONTBASE_REDIS_URL": redis.URL}[k]
	}
	noRedis := func(k string) string {
		return map[string]string{"FRONTBASE_LOCAL_DB_PATH": dbPath}[k]
	}
	tests := []struct {
		args     []string
		getenv   func(string) string
		wantCode int
		wantErr  string
	}{
		{[]string{"flush"}, withRedis, 0, ""},
		{[]string{"flush", "--timeout", "5s"}, withRedis, 0, ""},
		{[]string{"flush", "extra"}, withRedis, 2, `unexpected argument "extra"`},
		{[]string{"flush", "--timeout", "soon"}, withRedis, 2, "invalid value"},
		{[]string{"flush"}, noRedis, 2, "no buffer to flush: page views are buffered in Redis only when FRONTBASE_REDIS_URL is set"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tt.args, tt.getenv, &out, &errOut)
		if code != tt.wantCode || !strings.Contains(errOut.String(), tt.wantErr) {
			t.Errorf("%v: exit %d, want %d and %q\n%s%s", tt.args, code, tt.wantCode, tt.wantErr, out.String(), errOut.String())
			continue
		}
		if code == 0 {
			var rep analytics.Report
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Rows != 0 {
				t.Errorf("%v: report %q %v", tt.args, out.String(), err)
			}
		}
	}
}
