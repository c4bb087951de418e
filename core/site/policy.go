package site

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frontbase/edge/core"
)

// The site's request policy: the IP blocklist the control plane syncs
// (securityConfig.ipBlocklist) and the security headers of its pages. Both
// come from the tenant's settings, which every request needs but which
// change only with a publish: the policy is read from the store once per
// publish generation (a settings push bumps it) and kept in memory, so a
// request pays one atomic load for it.

// HeaderDefaults are the engine-wide security headers of published pages
// (FRONTBASE_FRAME_ANCESTORS, FRONTBASE_REFERRER_POLICY, FRONTBASE_CSP);
// a site's settings (securityHeaders) override the first two.
type HeaderDefaults struct {
	// FrameAncestors may frame the site's pages; default 'self'.
	FrameAncestors []string
	// ReferrerPolicy; default strict-origin-when-cross-origin.
	ReferrerPolicy string
	// CSP replaces the whole Content-Security-Policy when not empty; "off"
	// sends none.
	CSP string
}

// DefaultReferrerPolicy keeps the full URL on the site and sends only the
// origin elsewhere.
const DefaultReferrerPolicy = "strict-origin-when-cross-origin"

// Policy is the request policy of one publish generation. Its header
// values are shared between requests and must not be modified.
type Policy struct {
	generation int64
	retryAt    int64 // unix nanos; set when the settings could not be read

	// The blocklist: addresses, and ranges by prefix length, so that a
	// check costs one map lookup per distinct length however long the
	// list is.
	exact    map[netip.Addr]struct{}
	ranges   map[int]map[netip.Prefix]struct{}
	rangeLen []int

	CSP, FrameOptions, ReferrerPolicy []string // nil: header not sent
}

// HasBlocklist reports whether any address is blocked: when none is, the
// client address need not even be worked out.
func (p *Policy) HasBlocklist() bool { return p != nil && (len(p.exact) > 0 || len(p.ranges) > 0) }

// Blocks reports whether the client address ip is on the blocklist.
func (p *Policy) Blocks(ip string) bool {
	if p == nil || (len(p.exact) == 0 && len(p.ranges) == 0) {
		return false
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	if _, ok := p.exact[a]; ok {
		return true
	}
	for _, bits := range p.rangeLen {
		if bits > a.BitLen() {
			continue
		}
		if pr, err := a.Prefix(bits); err == nil {
			if _, ok := p.ranges[bits][pr]; ok {
				return true
			}
		}
	}
	return false
}

type policyCache struct {
	current atomic.Pointer[Policy]
	loading sync.Mutex
}

// Policy returns the request policy of the generation this instance
// serves. When the settings cannot be read it keeps the last policy it
// had (fail open on the blocklist, as the TypeScript engine does) and
// tries again after a TTL.
func (s *Service) Policy(ctx context.Context) *Policy {
	gen := s.currentGeneration(ctx)
	p := s.policy.current.Load()
	if p != nil && p.generation == gen && (p.retryAt == 0 || time.Now().UnixNano() < p.retryAt) {
		return p
	}
	if !s.policy.loading.TryLock() {
		if p == nil {
			return s.buildPolicy(gen, nil)
		}
		return p
	}
	defer s.policy.loading.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	settings, err := s.store.Settings(ctx, s.tenant)
	if err != nil {
		s.log.WarnContext(ctx, "could not read the settings for the IP blocklist and security headers; keeping the last ones", "err", err)
		next := s.buildPolicy(gen, nil)
		if p != nil {
			copied := *p
			next = &copied
			next.generation = gen
		}
		next.retryAt = time.Now().Add(max(s.ttl, time.Second)).UnixNano()
		s.policy.current.Store(next)
		return next
	}
	next := s.buildPolicy(gen, settings)
	s.policy.current.Store(next)
	return next
}

func (s *Service) buildPolicy(gen int64, settings *core.Settings) *Policy {
	p := &Policy{generation: gen}
	for _, pr := range settings.BlockedIPs(s.tenant) {
		if pr.IsSingleIP() {
			if p.exact == nil {
				p.exact = map[netip.Addr]struct{}{}
			}
			p.exact[pr.Addr()] = struct{}{}
			continue
		}
		if p.ranges == nil {
			p.ranges = map[int]map[netip.Prefix]struct{}{}
		}
		if p.ranges[pr.Bits()] == nil {
			p.ranges[pr.Bits()] = map[netip.Prefix]struct{}{}
			p.rangeLen = append(p.rangeLen, pr.Bits())
		}
		p.ranges[pr.Bits()][pr] = struct{}{}
	}
	h := settings.SecurityHeaders()
	d := s.headers
	ancestors := h.FrameAncestors
	if len(ancestors) == 0 {
		ancestors = d.FrameAncestors
	}
	if len(ancestors) == 0 {
		ancestors = []string{"'self'"}
	}
	if slices.Contains(ancestors, "'none'") {
		ancestors = []string{"'none'"}
	}
	switch {
	case d.CSP == "off":
	case d.CSP != "":
		p.CSP = []string{d.CSP}
	default:
		// Nothing here restricts scripts, styles, images or frames the
		// page itself loads: embeds, the GA4/GTM tags and customHeadHtml
		// keep working. It stops <base> hijacking, plugins and framing.
		p.CSP = []string{"base-uri 'self'; object-src 'none'; frame-ancestors " + strings.Join(ancestors, " ")}
	}
	// X-Frame-Options for browsers without frame-ancestors; it can only
	// say "same origin" or "nobody", so it is left out when others may frame.
	switch {
	case len(ancestors) == 1 && ancestors[0] == "'self'":
		p.FrameOptions = []string{"SAMEORIGIN"}
	case len(ancestors) == 1 && ancestors[0] == "'none'":
		p.FrameOptions = []string{"DENY"}
	}
	rp := h.ReferrerPolicy
	if rp == "" {
		rp = d.ReferrerPolicy
	}
	if rp == "" {
		rp = DefaultReferrerPolicy
	}
	p.ReferrerPolicy = []string{rp}
	return p
}
