package contracttest

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// SSE is one server-sent event as EventSource hands it to a listener.
type SSE struct {
	Event string // "message" when the stream names none
	Data  string
}

// EventSource opens path as the builder's `new EventSource(url)` does
// (src/components/actions/ExecutionStream.tsx): a GET from the builder's
// origin, Accept: text/event-stream, no credentials. It reads the stream
// to its end, so it is for streams the engine closes.
func EventSource(t testing.TB, e *enginetest.Engine, path, origin string) (*Response, []SSE) {
	t.Helper()
	req, err := http.NewRequest("GET", e.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("Origin", origin)
	req.Header.Set("User-Agent", "Mozilla/5.0 (contracttest)")
	r := send(t, req)
	return r, ParseSSE(r.Body)
}

// ParseSSE splits a text/event-stream body into events as EventSource
// does: "event:" and "data:" lines (data lines joined by newlines), a
// blank line dispatching; comments and "retry:" are not events.
func ParseSSE(body string) []SSE {
	var out []SSE
	var name string
	var data []string
	has := false
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if has {
				if name == "" {
					name = "message"
				}
				out = append(out, SSE{Event: name, Data: strings.Join(data, "\n")})
			}
			name, data, has = "", nil, false
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			name = value
		case "data":
			data, has = append(data, value), true
		}
	}
	return out
}
