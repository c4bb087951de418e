package redis

import (
	"testing"

	"github.com/frontbase/edge/adapters/testservers"
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
