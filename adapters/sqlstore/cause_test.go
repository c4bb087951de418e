package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestCause: a failed database call says why in words safe to show,
// without the driver's text (SQL, values, the database's address).
func TestCause(t *testing.T) {
	secret := "libsql://db-acme.turso.io/v2/pipeline?x=SECRETSQL"
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("post %s: %w", secret, context.DeadlineExceeded), "timed out after 5s"},
		{context.Canceled, "canceled"},
		{sql.ErrConnDone, "connection to the database was closed"},
		{errors.New("failed to execute SQL: INSERT SECRETSQL\nSQLite error: database is locked"), "busy"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}, "connection refused"},
		{fmt.Errorf("failed to execute SQL:\nerror code 401: %s", secret), "refused the token (HTTP 401)"},
		{errors.New("failed to execute SQL:\nerror code 503: overloaded"), "HTTP 5xx"},
		{errors.New("SQLite error: no such table: pages"), "run `frontbase migrate`"},
		{fmt.Errorf("%s: something new", secret), "unexpected database error"},
	}
	for _, tt := range tests {
		got := Cause(tt.err, 5*time.Second)
		if !strings.Contains(got, tt.want) {
			t.Errorf("Cause(%v) = %q, want it to say %q", tt.err, got, tt.want)
		}
		if strings.Contains(got, "SECRET") || strings.Contains(got, "acme") {
			t.Errorf("Cause(%v) = %q shows the driver's text", tt.err, got)
		}
	}
}
