package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/core/workflow"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// A signed webhook delivery accepted by one instance is refused as a
// replay by another instance sharing the cache (Redis over TCP, and the
// Upstash REST front), and the replay key lives only as long as the
// signature's timestamp stays within the tolerance.
func TestWebhookReplayRefusedAcrossInstances(t *testing.T) {
	for _, mode := range cloudModes {
		t.Run(mode, func(t *testing.T) {
			a, b := twoEngines(t, mode, "1h")
			if resp, body := a.Manage(t, "POST", "/api/deploy", signedHook); resp.StatusCode != 200 {
				t.Fatalf("deploy %s", body)
			}
			body := `{"n":5}`
			send := func(e *enginetest.Engine, sig string) (int, string) {
				req, _ := http.NewRequest("PUT", e.URL+"/api/webhook/hook-basic", strings.NewReader(body))
				req.SetBasicAuth("u", "p")
				req.Header.Set("X-Frontbase-Signature", sig)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			now := time.Now()
			first := workflow.Sign("whsec", now, []byte(body))
			other := workflow.Sign("whsec", now.Add(-time.Second), []byte(body))
			tests := []struct {
				name     string
				e        *enginetest.Engine
				sig      string
				status   int
				contains string
			}{
				{"first delivery on a", a, first, 202, "executionId"},
				{"the same delivery on b", b, first, 401, "replay refused"},
				{"the same delivery on a again", a, first, 401, "replay refused"},
				{"another signature on b", b, other, 202, "executionId"},
				{"that one on a", a, other, 401, "replay refused"},
			}
			for _, tt := range tests {
				if status, got := send(tt.e, tt.sig); status != tt.status || !strings.Contains(got, tt.contains) {
					t.Errorf("%s: %d %s", tt.name, status, got)
				}
			}
			keys, err := a.Servers.Redis.Client().Keys(context.Background(), "fb:wh:*").Result()
			if err != nil || len(keys) != 2 {
				t.Fatalf("replay keys %v %v", keys, err)
			}
			for _, k := range keys {
				ttl := a.Servers.Redis.Client().PTTL(context.Background(), k).Val()
				if ttl <= 0 || ttl > workflow.SignatureTolerance+time.Second {
					t.Errorf("%s expires in %s, want at most the tolerance (%s)", k, ttl, workflow.SignatureTolerance)
				}
			}
		})
	}
}
