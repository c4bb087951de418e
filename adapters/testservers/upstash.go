package testservers

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Upstash is a REST front over a real Redis that answers as Upstash's REST
// API does: POST / with one command as a JSON array, POST /pipeline and
// POST /multi-exec with a list of them, Bearer auth, and base64-encoded
// strings when the client sends Upstash-Encoding: base64. Its conformance
// test drives it with Upstash's own npm client, so the engine's client is
// tested against the behaviour of the real service, not our reading of it.
type Upstash struct {
	URL   string
	Token string
}

// StartUpstash serves the front over r until the test ends.
func StartUpstash(t testing.TB, r *Redis) *Upstash {
	t.Helper()
	client := goredis.NewClient(&goredis.Options{Addr: r.addr, Protocol: 2, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	u := &Upstash{Token: "test-upstash-token"}
	srv := httptest.NewServer(&shim{client: client, token: u.Token})
	u.URL = srv.URL
	t.Cleanup(func() {
		srv.Close()
		client.Close()
	})
	return u
}

type shim struct {
	client *goredis.Client
	token  string
}

type reply struct {
	Result any    `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

func (s *shim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(reply{Error: "Unauthorized"})
		return
	}
	b64 := strings.EqualFold(r.Header.Get("Upstash-Encoding"), "base64")
	ctx := r.Context()
	switch r.URL.Path {
	case "/", "":
		var cmd []any
		if err := json.NewDecoder(r.Body).Decode(&cmd); err != nil || len(cmd) == 0 {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(reply{Error: "ERR failed to parse command"})
			return
		}
		v, err := s.client.Do(ctx, cmd...).Result()
		if unreachable(err) {
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(reply{Error: "backend unavailable"})
			return
		}
		out := toReply(v, err, b64)
		if out.Error != "" {
			w.WriteHeader(http.StatusBadRequest)
		}
		json.NewEncoder(w).Encode(out)
	case "/pipeline", "/multi-exec":
		var cmds [][]any
		if err := json.NewDecoder(r.Body).Decode(&cmds); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(reply{Error: "ERR failed to parse commands"})
			return
		}
		if err := s.client.Ping(ctx).Err(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(reply{Error: "backend unavailable"})
			return
		}
		out := make([]reply, len(cmds))
		if r.URL.Path == "/pipeline" {
			for i, cmd := range cmds {
				v, err := s.client.Do(ctx, cmd...).Result()
				out[i] = toReply(v, err, b64)
			}
		} else {
			pipe := s.client.TxPipeline()
			results := make([]*goredis.Cmd, len(cmds))
			for i, cmd := range cmds {
				results[i] = pipe.Do(ctx, cmd...)
			}
			pipe.Exec(ctx)
			for i, c := range results {
				out[i] = toReply(c.Val(), c.Err(), b64)
			}
		}
		json.NewEncoder(w).Encode(out)
	default:
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(reply{Error: "not found"})
	}
}

// unreachable tells a dead backend (the service answers 5xx) from an
// error reply to the command (the service answers 400).
func unreachable(err error) bool {
	var replyErr goredis.Error
	return err != nil && !errors.Is(err, goredis.Nil) && !errors.As(err, &replyErr)
}

func toReply(v any, err error, b64 bool) reply {
	if errors.Is(err, goredis.Nil) {
		return reply{Result: json.RawMessage("null")}
	}
	if err != nil {
		return reply{Error: err.Error()}
	}
	return reply{Result: encode(v, b64)}
}

// encode applies Upstash-Encoding: base64 to every string but the status
// reply OK, as the service does.
func encode(v any, b64 bool) any {
	switch t := v.(type) {
	case string:
		if b64 && t != "OK" {
			return base64.StdEncoding.EncodeToString([]byte(t))
		}
		return t
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			if e == nil {
				out[i] = nil
				continue
			}
			out[i] = encode(e, b64)
		}
		return out
	case nil:
		return json.RawMessage("null")
	default:
		return v
	}
}
