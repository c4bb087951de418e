package site

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

func (m *memStore) Settings(context.Context, string) (*core.Settings, error) {
	if m.down.Load() {
		return nil, errDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.settings
	return &s, nil
}

func (m *memStore) setSettings(t *testing.T, doc string) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.settings = core.Settings{}
	if err := json.Unmarshal([]byte(doc), &m.settings); err != nil {
		t.Fatal(err)
	}
	m.gen++
}

func TestPolicyFollowsTheGeneration(t *testing.T) {
	store := newMemStore()
	svc := New(store, Options{L1TTL: time.Nanosecond, L1MaxBytes: 1 << 20, Tenant: "acme"})
	ctx := context.Background()
	p := svc.Policy(ctx)
	if p.Blocks("203.0.113.7") || p.CSP[0] != "base-uri 'self'; object-src 'none'; frame-ancestors 'self'" ||
		p.FrameOptions[0] != "SAMEORIGIN" || p.ReferrerPolicy[0] != DefaultReferrerPolicy {
		t.Fatalf("defaults: %+v", p)
	}
	store.setSettings(t, `{"securityConfig": {"ipBlocklist": {"_default": ["203.0.113.7", "10.0.0.0/8"], "acme": ["2001:db8::/32", "198.51.100.0/24"], "other": ["192.0.2.1"]}},
		"securityHeaders": {"frameAncestors": ["https://builder.example.com"], "referrerPolicy": "no-referrer"}}`)
	p = svc.Policy(ctx)
	for ip, want := range map[string]bool{
		"203.0.113.7": true, "10.200.3.4": true, "2001:db8:1::5": true, "198.51.100.9": true, "::ffff:10.0.0.1": true,
		"203.0.113.8": false, "192.0.2.1": false, "11.0.0.1": false, "2001:db9::1": false, "not-an-ip": false, "": false,
	} {
		if got := p.Blocks(ip); got != want {
			t.Errorf("Blocks(%q) = %v, want %v", ip, got, want)
		}
	}
	if p.CSP[0] != "base-uri 'self'; object-src 'none'; frame-ancestors https://builder.example.com" || p.FrameOptions != nil || p.ReferrerPolicy[0] != "no-referrer" {
		t.Errorf("headers from the settings: %+v", p)
	}
	// The store down: the last policy stays (the blocklist fails open
	// only when there never was one).
	store.down.Store(true)
	store.mu.Lock()
	store.gen++
	store.mu.Unlock()
	if p := svc.Policy(ctx); !p.Blocks("203.0.113.7") {
		t.Errorf("the blocklist was dropped when the store went down")
	}
}

func TestPolicyEnvironmentDefaults(t *testing.T) {
	store := newMemStore()
	svc := New(store, Options{L1TTL: time.Minute, L1MaxBytes: 1 << 20,
		Headers: HeaderDefaults{FrameAncestors: []string{"'none'"}, ReferrerPolicy: "same-origin"}})
	p := svc.Policy(context.Background())
	if p.CSP[0] != "base-uri 'self'; object-src 'none'; frame-ancestors 'none'" || p.FrameOptions[0] != "DENY" || p.ReferrerPolicy[0] != "same-origin" {
		t.Errorf("%+v", p)
	}
	off := New(store, Options{L1TTL: time.Minute, L1MaxBytes: 1 << 20, Headers: HeaderDefaults{CSP: "off"}})
	if p := off.Policy(context.Background()); p.CSP != nil || p.FrameOptions[0] != "SAMEORIGIN" {
		t.Errorf("CSP off: %+v", p)
	}
}
