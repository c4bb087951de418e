package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/core/ratelimit"
)

func TestLoadRateLimitSettings(t *testing.T) {
	tests := []struct {
		env         map[string]string
		wantProxies []netip.Prefix
		wantTimeout time.Duration
		wantErr     string
	}{
		{env: nil, wantTimeout: ratelimit.DefaultTimeout},
		{env: map[string]string{"FRONTBASE_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7 fd00::/8", "FRONTBASE_RATELIMIT_TIMEOUT": "120ms"},
			wantProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("fd00::/8")},
			wantTimeout: 120 * time.Millisecond},
		{env: map[string]string{"FRONTBASE_TRUSTED_PROXIES": "10.0.0.0/33"}, wantErr: "FRONTBASE_TRUSTED_PROXIES: expected CIDRs"},
		{env: map[string]string{"FRONTBASE_TRUSTED_PROXIES": "proxy.internal"}, wantErr: "FRONTBASE_TRUSTED_PROXIES"},
		{env: map[string]string{"FRONTBASE_RATELIMIT_TIMEOUT": "soon"}, wantErr: "FRONTBASE_RATELIMIT_TIMEOUT"},
	}
	for _, tt := range tests {
		c, err := Load(env(tt.env))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: error %v, want %q", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tt.env, err)
		}
		if !reflect.DeepEqual(c.TrustedProxies, tt.wantProxies) || c.RateLimitTimeout != tt.wantTimeout {
			t.Errorf("%v: proxies %v timeout %v", tt.env, c.TrustedProxies, c.RateLimitTimeout)
		}
	}
}
