package clientip

import (
	"net/http/httptest"
	"testing"
)

func TestOf(t *testing.T) {
	proxies, err := ParseTrusted("10.0.0.0/8, 172.16.0.1 fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		remote  string
		xff     []string // one entry per header line
		trusted bool     // use proxies
		want    string
	}{
		{name: "connection address", remote: "203.0.113.9:5123", want: "203.0.113.9"},
		{name: "xff ignored without trusted proxies", remote: "203.0.113.9:5123", xff: []string{"1.1.1.1"}, want: "203.0.113.9"},
		{name: "xff ignored from an untrusted peer", remote: "203.0.113.9:5123", xff: []string{"1.1.1.1"}, trusted: true, want: "203.0.113.9"},
		{name: "one trusted proxy", remote: "10.1.2.3:80", xff: []string{"198.51.100.7"}, trusted: true, want: "198.51.100.7"},
		{name: "spoofed left hops are skipped", remote: "10.1.2.3:80", xff: []string{"6.6.6.6, 1.2.3.4, 198.51.100.7"}, trusted: true, want: "198.51.100.7"},
		{name: "chain of trusted proxies", remote: "10.1.2.3:80", xff: []string{"6.6.6.6, 198.51.100.7, 172.16.0.1, 10.9.9.9"}, trusted: true, want: "198.51.100.7"},
		{name: "several header lines read right to left", remote: "10.1.2.3:80", xff: []string{"6.6.6.6", "198.51.100.7, 10.2.2.2"}, trusted: true, want: "198.51.100.7"},
		{name: "hops with ports and brackets", remote: "10.1.2.3:80", xff: []string{"[2001:db8::1]:443, 10.0.0.2:8080"}, trusted: true, want: "2001:db8::1"},
		{name: "garbage written by a trusted hop", remote: "10.1.2.3:80", xff: []string{"198.51.100.7, unknown, 10.0.0.5"}, trusted: true, want: "10.0.0.5"},
		{name: "empty hops are skipped", remote: "10.1.2.3:80", xff: []string{"198.51.100.7,, "}, trusted: true, want: "198.51.100.7"},
		{name: "every hop trusted", remote: "10.1.2.3:80", xff: []string{"10.0.0.8, 10.0.0.9"}, trusted: true, want: "10.0.0.8"},
		{name: "trusted peer without xff", remote: "10.1.2.3:80", trusted: true, want: "10.1.2.3"},
		{name: "ipv4-mapped ipv6 peer is trusted as ipv4", remote: "[::ffff:10.1.2.3]:80", xff: []string{"198.51.100.7"}, trusted: true, want: "198.51.100.7"},
		{name: "ipv6 proxy", remote: "[fd00::1]:80", xff: []string{"2001:db8::7"}, trusted: true, want: "2001:db8::7"},
		{name: "lambda sets ip:0", remote: "198.51.100.7:0", want: "198.51.100.7"},
		{name: "zone dropped", remote: "[fe80::1%eth0]:80", want: "fe80::1"},
		{name: "not an address", remote: "pipe", want: "pipe"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		trusted := proxies
		if !tt.trusted {
			trusted = nil
		}
		if got := Of(r, trusted); got != tt.want {
			t.Errorf("%s: Of = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseTrusted(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "proxy.local", "10.0.0.0/8,,nope"} {
		if _, err := ParseTrusted(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
	got, err := ParseTrusted(" 10.1.2.3/8 ::ffff:192.0.2.0/120 ")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].String() != "10.0.0.0/8" || got[1].String() != "192.0.2.0/24" {
		t.Errorf("got %v", got)
	}
}
