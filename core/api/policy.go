package api

import (
	"net/http"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/clientip"
	"github.com/frontbase/edge/core/site"
)

// blocklisted refuses, with 403, requests from an address on the IP
// blocklist the control plane syncs in the settings (securityConfig):
// on the routes rate limits apply to (the public site and the public
// workflow routes), never on the management API, so that a careless
// entry cannot lock the control plane out. The client address is the one
// rate limits use (clientip.Of and FRONTBASE_TRUSTED_PROXIES).
func (h *handler) blocklisted(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if limitable(r.URL.Path) {
			if p := h.site.Policy(r.Context()); p.HasBlocklist() && p.Blocks(clientip.Of(r, h.opts.TrustedProxies)) {
				w.Header().Set("Cache-Control", "no-store")
				refuse(w, r, core.Errorf(core.EFORBIDDEN, "Access denied. Your IP address is blocked."))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// setSecurityHeaders adds the page security headers of the site's policy
// (core/site/policy.go): Content-Security-Policy, X-Frame-Options and,
// unless the caller sets its own, Referrer-Policy.
func setSecurityHeaders(hdr http.Header, p *site.Policy, referrer bool) {
	if p.CSP != nil {
		hdr["Content-Security-Policy"] = p.CSP
	}
	if p.FrameOptions != nil {
		hdr["X-Frame-Options"] = p.FrameOptions
	}
	if referrer && p.ReferrerPolicy != nil {
		hdr["Referrer-Policy"] = p.ReferrerPolicy
	}
}
