// Package clientip is the engine's one rule for the address a request came
// from: rate limits key on it and analytics hashes it into a visitor, so a
// visitor behind a trusted proxy (FRONTBASE_TRUSTED_PROXIES) is the same
// client to both.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Of is the address a request came from, as far as the platform can
// vouch for it:
//
//   - the connection's address (r.RemoteAddr). The entrypoints put the
//     platform's own record of the client there: API Gateway's source IP,
//     ALB's appended X-Forwarded-For hop, Vercel's X-Real-IP;
//   - when that address is one of the trusted proxies
//     (FRONTBASE_TRUSTED_PROXIES), X-Forwarded-For is read from the right:
//     each hop a trusted proxy appended is skipped, and the right-most hop
//     that is not trusted is the client. Hops to its left were written by
//     the client and are never believed.
//
// Without trusted proxies X-Forwarded-For is ignored. The result is "" only
// when RemoteAddr holds no address at all.
func Of(r *http.Request, trusted []netip.Prefix) string {
	remote, ok := parseHop(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if len(trusted) == 0 || !contains(trusted, remote) {
		return remote.String()
	}
	client := remote
	values := r.Header.Values("X-Forwarded-For")
	for v := len(values) - 1; v >= 0; v-- {
		hops := values[v]
		for hops != "" {
			i := strings.LastIndexByte(hops, ',')
			hop := strings.TrimSpace(hops[i+1:])
			hops = hops[:max(i, 0)]
			if hop == "" {
				continue
			}
			addr, ok := parseHop(hop)
			if !ok {
				// A trusted proxy wrote something that is not an address:
				// the last hop we could check is the best we know.
				return client.String()
			}
			client = addr
			if !contains(trusted, addr) {
				return addr.String()
			}
		}
	}
	// Every hop is a trusted proxy: the left-most is the closest to the client.
	return client.String()
}

// parseHop reads an address as RemoteAddr or X-Forwarded-For hold it: a
// bare IP, IP:port or [IPv6]:port, IPv4-mapped IPv6 folded to IPv4.
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func contains(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrusted reads FRONTBASE_TRUSTED_PROXIES: CIDRs or single
// addresses, separated by commas or spaces.
func ParseTrusted(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or fd00::/8", f)
			}
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR", f)
		}
		a = a.Unmap().WithZone("")
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
