package redis

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/frontbase/edge/adapters/testservers"
	"github.com/frontbase/edge/core"
)

func TestCacheContract(t *testing.T) {
	r := testservers.StartRedis(t)
	c, err := Open(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	testservers.CacheContract(t, c)

	r.Stop()
	testservers.CacheUnavailable(t, c)
}

func TestOpenRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"http://x", "redis//nohost", "://"} {
		if _, err := Open(u); err == nil {
			t.Errorf("Open(%q) accepted it", u)
		}
	}
}

// TestNoCommandIsAppliedTwice puts a proxy in front of redis-server that
// forwards a pipeline holding HINCRBY and then drops the connection instead
// of the reply, once: the client must report the failure, not send the
// pipeline again, so the counter moves once.
func TestNoCommandIsAppliedTwice(t *testing.T) {
	r := testservers.StartRedis(t)
	proxy := newDroppingProxy(t, strings.TrimPrefix(strings.TrimSuffix(r.URL, "/0"), "redis://"), "HINCRBY")
	c, err := Open("redis://" + proxy + "/0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil { // the connection's handshake goes through
		t.Fatal(err)
	}
	_, execErr := c.Exec(ctx, []any{"HINCRBY", "h", "views", 10}, []any{"PFADD", "u", "v1"})
	n, err := r.Client().HGet(ctx, "h", "views").Int64()
	if err != nil || n != 10 {
		t.Fatalf("counter = %d (%v), want 10: the pipeline was sent again", n, err)
	}
	if core.ErrorCode(execErr) != core.EUNAVAILABLE {
		t.Fatalf("reply dropped: %v, want unavailable", execErr)
	}
	// The next call works (on a new connection).
	if _, err := c.Exec(ctx, []any{"HINCRBY", "h", "views", 1}); err != nil {
		t.Fatal(err)
	}
	if n, _ := r.Client().HGet(ctx, "h", "views").Int64(); n != 11 {
		t.Errorf("counter = %d, want 11", n)
	}
}

// TestADeadRedisFailsAtOnce: with nothing listening, a command fails on
// its one dial, without the dial retries go-redis makes by default (5,
// 100ms apart) that cost the first requests half a second.
func TestADeadRedisFailsAtOnce(t *testing.T) {
	c, err := Open(fmt.Sprintf("redis://127.0.0.1:%d/0", testservers.FreePort(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dials := 0
	dial := c.client.Options().Dialer
	c.client.Options().Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials++
		return dial(ctx, network, addr)
	}
	if _, err := c.Get(context.Background(), "k"); core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Fatalf("refused: %v, want unavailable", err)
	}
	if dials != 1 {
		t.Errorf("%d dials for one command to a refused address, want 1", dials)
	}
}

// newDroppingProxy forwards TCP to addr; the first time a client sends a
// chunk containing marker, the reply to it is dropped and the client's
// connection closed.
func newDroppingProxy(t *testing.T, addr, marker string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var armed atomic.Bool
	armed.Store(true)
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", addr)
			if err != nil {
				client.Close()
				continue
			}
			var drop atomic.Bool
			go func() { // client to server
				defer server.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := client.Read(buf)
					if n > 0 {
						if strings.Contains(string(buf[:n]), marker) && armed.CompareAndSwap(true, false) {
							drop.Store(true)
						}
						if _, err := server.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
			go func() { // server to client
				defer client.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := server.Read(buf)
					if drop.Load() {
						return // the command ran; its reply is lost
					}
					if n > 0 {
						if _, err := client.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}
