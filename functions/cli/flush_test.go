package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/frontbase/edge/core/analytics"
)

func TestFlushCommand(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "pages.db")
	getenv := func(k string) string {
		return map[string]string{"FRONTBASE_LOCAL_DB_PATH": dbPath}[k]
	}
	tests := []struct {
		args     []string
		wantCode int
	}{
		{[]string{"flush"}, 0},
		{[]string{"flush", "--timeout", "5s"}, 0},
		{[]string{"flush", "extra"}, 2},
		{[]string{"flush", "--timeout", "soon"}, 2},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tt.args, getenv, &out, &errOut)
		if code != tt.wantCode {
			t.Errorf("%v: exit %d, want %d\n%s%s", tt.args, code, tt.wantCode, out.String(), errOut.String())
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
