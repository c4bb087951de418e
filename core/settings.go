package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Project settings as the control plane pushes them to POST
// /api/import/settings. Every call site sends a different part of them:
//
//   - the publish flow (fastapi-backend/app/routers/pages/publish.py):
//     faviconUrl, logoUrl, siteName, siteDescription, appUrl, usersConfig,
//     any of them null;
//   - the security sync (routers/auth.py): {"securityConfig": {"ipBlocklist":
//     {tenant: [ip or CIDR, ...]}, "botProtection": {...}}};
//   - the auth forms sync (routers/auth_forms.py): {"authForms": "<JSON
//     text>"} or {"authForms": null}.
//
// A push therefore changes only the members it names (null clears one),
// as the TypeScript engine does; the others are kept. The members this
// engine reads are validated with the same path-named errors as pages;
// the others are kept as sent, within the size, depth and number bounds.

// Bounds on a settings document.
const (
	MaxSettingsBytes  = 1 << 20
	MaxSettingsDepth  = 32
	MaxCustomHeadHTML = 64 << 10
	MaxBlockedIPs     = 10000
	maxSettingsText   = 4096
)

var (
	ga4Pattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^G-[A-Z0-9]{6,}$`) })
	gtmPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^GTM-[A-Z0-9]+$`) })
	// keyPattern: the names of top-level members, which the store
	// addresses in a JSON path.
	keyPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$-]{0,63}$`) })
)

// ReferrerPolicies are the values Referrer-Policy accepts.
var ReferrerPolicies = []string{"no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
	"same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url"}

// SettingsPatch is a validated settings push: the top-level members to
// set (compact JSON) and the ones to clear (sent as null).
type SettingsPatch struct {
	Set    map[string]json.RawMessage
	Remove []string
}

// DecodeSettingsPatch parses and validates a settings push.
func DecodeSettingsPatch(data []byte) (*SettingsPatch, error) {
	obj, err := decodeSettingsObject(data)
	if err != nil {
		return nil, err
	}
	p := &SettingsPatch{Set: map[string]json.RawMessage{}}
	for k, v := range obj {
		switch k {
		case "name", "description":
			// The TypeScript engine's aliases of siteName and siteDescription.
			target := "site" + strings.ToUpper(k[:1]) + k[1:]
			if _, present := obj[target]; present {
				continue
			}
			k = target
		}
		if v == nil {
			p.Remove = append(p.Remove, k)
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, &Error{Code: EINVALID, Message: "settings cannot be re-encoded", Err: err}
		}
		if k == "appUrl" {
			raw, _ = json.Marshal(strings.TrimRight(v.(string), "/"))
		}
		p.Set[k] = raw
	}
	sort.Strings(p.Remove)
	return p, nil
}

// DecodeSettings parses and validates a whole settings document (the
// settings of a site publish).
func DecodeSettings(data []byte) (*Settings, error) {
	if _, err := decodeSettingsObject(data); err != nil {
		return nil, err
	}
	var s Settings
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, &Error{Code: EINVALID, Message: "settings do not match the expected shape", Err: err}
	}
	s.AppURL = strings.TrimRight(s.AppURL, "/")
	return &s, nil
}

// decodeSettingsObject checks the bounds and the known members of a
// settings body and returns it decoded (numbers as json.Number).
func decodeSettingsObject(data []byte) (map[string]any, error) {
	if len(data) > MaxSettingsBytes {
		return nil, Errorf(ETOOLARGE, "settings are larger than %d bytes", MaxSettingsBytes)
	}
	if !withinDepth(data, MaxSettingsDepth) {
		return nil, invalid([]FieldError{{Path: "$", Message: fmt.Sprintf("nested deeper than %d levels", MaxSettingsDepth)}})
	}
	root, err := decodeGeneric(data)
	if err != nil {
		return nil, err
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, invalid([]FieldError{{Path: "$", Message: "must be an object"}})
	}
	v := &validator{}
	v.finite("", root)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys) // errors in a stable order
	for _, k := range keys {
		val := obj[k]
		switch {
		case k == "settings":
			v.add(k, "send the settings members at the top level of the body, not under settings")
			continue
		case !keyPattern().MatchString(k):
			v.add(strconv.Quote(k), "member names must be 1-64 letters, digits, '_', '$' or '-'")
			continue
		}
		if val == nil {
			continue
		}
		switch k {
		case "siteName", "name":
			v.text(k, val, 256)
		case "siteDescription", "description":
			v.text(k, val, maxSettingsText)
		case "faviconUrl", "logoUrl":
			v.text(k, val, 2048)
		case "appUrl":
			if s, ok := v.text(k, val, 2048); ok && s != "" {
				if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					v.add(k, "must be an absolute http(s) URL")
				}
			}
		case "authForms":
			if _, isObj := val.(map[string]any); !isObj {
				v.str(k, val)
			}
		case "usersConfig":
			v.object(k, val)
		case "ga4MeasurementId", "gtmContainerId", "customHeadHtml":
			v.tracking(k, k, val)
		case "privacy":
			if m, ok := v.object(k, val); ok {
				for _, f := range []string{"ga4MeasurementId", "gtmContainerId", "customHeadHtml"} {
					if fv, present := m[f]; present && fv != nil {
						v.tracking(join(k, f), f, fv)
					}
				}
			}
		case "securityConfig":
			v.securityConfig(k, val)
		case "securityHeaders":
			v.securityHeaders(k, val)
		}
	}
	if len(v.errs) > 0 {
		return nil, invalid(v.errs)
	}
	return obj, nil
}

// text checks a string member: valid UTF-8 and at most max bytes.
func (v *validator) text(path string, val any, max int) (string, bool) {
	s, ok := v.str(path, val)
	switch {
	case !ok:
	case len(s) > max:
		v.add(path, fmt.Sprintf("longer than %d bytes", max))
		ok = false
	case !utf8.ValidString(s):
		v.add(path, "not valid UTF-8")
		ok = false
	}
	return s, ok
}

func (v *validator) tracking(path, field string, val any) {
	switch field {
	case "ga4MeasurementId":
		if s, ok := v.str(path, val); ok && s != "" && !ga4Pattern().MatchString(s) {
			v.add(path, "must be a GA4 measurement id such as G-ABC123XYZ (or empty)")
		}
	case "gtmContainerId":
		if s, ok := v.str(path, val); ok && s != "" && !gtmPattern().MatchString(s) {
			v.add(path, "must be a Tag Manager container id such as GTM-ABC123 (or empty)")
		}
	case "customHeadHtml":
		v.text(path, val, MaxCustomHeadHTML)
	}
}

func (v *validator) securityConfig(path string, val any) {
	m, ok := v.object(path, val)
	if !ok {
		return
	}
	if bl, present := m["ipBlocklist"]; present && bl != nil {
		lists, ok := v.object(join(path, "ipBlocklist"), bl)
		if !ok {
			return
		}
		total := 0
		for tenant, list := range lists {
			p := join(join(path, "ipBlocklist"), tenant)
			entries, ok := v.array(p, list)
			if !ok {
				continue
			}
			total += len(entries)
			if total > MaxBlockedIPs {
				v.add(join(path, "ipBlocklist"), fmt.Sprintf("more than %d addresses", MaxBlockedIPs))
				return
			}
			for i, e := range entries {
				if s, ok := v.str(index(p, i), e); ok {
					if _, ok := ParseIPOrPrefix(s); !ok {
						v.add(index(p, i), "must be an IP address or a CIDR range")
					}
				}
			}
		}
	}
	if bp, present := m["botProtection"]; present && bp != nil {
		v.object(join(path, "botProtection"), bp)
	}
}

func (v *validator) securityHeaders(path string, val any) {
	m, ok := v.object(path, val)
	if !ok {
		return
	}
	if fa, present := m["frameAncestors"]; present && fa != nil {
		p := join(path, "frameAncestors")
		if list, ok := v.array(p, fa); ok {
			for i, e := range list {
				if s, ok := v.str(index(p, i), e); ok && !ValidFrameAncestor(s) {
					v.add(index(p, i), "must be 'self', 'none', * or an origin such as https://builder.example.com")
				}
			}
		}
	}
	if rp, present := m["referrerPolicy"]; present && rp != nil {
		p := join(path, "referrerPolicy")
		if s, ok := v.str(p, rp); ok && s != "" && !slices.Contains(ReferrerPolicies, s) {
			v.add(p, "must be one of "+strings.Join(ReferrerPolicies, ", "))
		}
	}
}

// finite reports numbers that do not fit a float64 (1e400), which other
// JSON readers would turn into infinity or refuse.
func (v *validator) finite(path string, val any) {
	switch x := val.(type) {
	case json.Number:
		if _, err := strconv.ParseFloat(string(x), 64); err != nil {
			v.add(orRoot(path), "number out of range")
		}
	case map[string]any:
		for k, e := range x {
			v.finite(join(path, k), e)
		}
	case []any:
		for i, e := range x {
			v.finite(index(path, i), e)
		}
	}
}

func orRoot(path string) string {
	if path == "" {
		return "$"
	}
	return path
}

// withinDepth reports whether the JSON text nests arrays and objects at
// most limit levels deep, without decoding it.
func withinDepth(data []byte, limit int) bool {
	depth, inString, escaped := 0, false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			if depth++; depth > limit {
				return false
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return true
}

// ParseIPOrPrefix reads one IP blocklist entry: an address or a CIDR
// range, IPv4-mapped IPv6 folded to IPv4.
func ParseIPOrPrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), true
}

// ValidFrameAncestor reports whether s is a frame-ancestors source this
// engine accepts: 'self', 'none', *, a scheme ("https:") or an origin,
// optionally with a wildcard host ("https://*.example.com").
func ValidFrameAncestor(s string) bool {
	switch s {
	case "'self'", "'none'", "*":
		return true
	}
	if strings.ContainsAny(s, " ;,'\"\t\r\n") || len(s) > 255 {
		return false
	}
	if scheme, ok := strings.CutSuffix(s, ":"); ok {
		return scheme == "http" || scheme == "https"
	}
	u, err := url.Parse(strings.Replace(s, "://*.", "://wildcard.", 1))
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		(u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.Fragment == "" && u.User == nil
}

// Tracking is what a site's settings ask to add to every published page's
// head: the builder's Privacy & Tracking settings.
type Tracking struct {
	GA4MeasurementID string
	GTMContainerID   string
	CustomHeadHTML   string
}

// Tracking reads the tracking members: top-level, or under privacy (the
// shape of the control plane's privacy settings).
func (s *Settings) Tracking() Tracking {
	var t Tracking
	if s == nil {
		return t
	}
	var privacy map[string]json.RawMessage
	if raw := s.Extra["privacy"]; raw != nil {
		json.Unmarshal(raw, &privacy)
	}
	read := func(name string) string {
		var v string
		if raw := s.Extra[name]; raw != nil && json.Unmarshal(raw, &v) == nil && v != "" {
			return v
		}
		if raw := privacy[name]; raw != nil && json.Unmarshal(raw, &v) == nil {
			return v
		}
		return ""
	}
	t.GA4MeasurementID, t.GTMContainerID, t.CustomHeadHTML = read("ga4MeasurementId"), read("gtmContainerId"), read("customHeadHtml")
	if !ga4Pattern().MatchString(t.GA4MeasurementID) {
		t.GA4MeasurementID = ""
	}
	if !gtmPattern().MatchString(t.GTMContainerID) {
		t.GTMContainerID = ""
	}
	return t
}

// BlockedIPs returns the IP blocklist entries of the securityConfig that
// apply to tenant: its own and those of _default, as the TypeScript engine
// applies them. Entries that do not parse are left out.
func (s *Settings) BlockedIPs(tenant string) []netip.Prefix {
	if s == nil || s.Extra["securityConfig"] == nil {
		return nil
	}
	var cfg struct {
		IPBlocklist map[string][]string `json:"ipBlocklist"`
	}
	if json.Unmarshal(s.Extra["securityConfig"], &cfg) != nil {
		return nil
	}
	var out []netip.Prefix
	for _, t := range []string{tenant, DefaultTenant} {
		for _, e := range cfg.IPBlocklist[t] {
			if p, ok := ParseIPOrPrefix(e); ok {
				out = append(out, p)
			}
		}
		if tenant == DefaultTenant {
			break
		}
	}
	return out
}

// HeaderSettings are the securityHeaders member: the response headers a
// site's settings override.
type HeaderSettings struct {
	FrameAncestors []string `json:"frameAncestors"`
	ReferrerPolicy string   `json:"referrerPolicy"`
}

// SecurityHeaders reads the securityHeaders member.
func (s *Settings) SecurityHeaders() HeaderSettings {
	var h HeaderSettings
	if s != nil && s.Extra["securityHeaders"] != nil {
		json.Unmarshal(s.Extra["securityHeaders"], &h)
	}
	return h
}

// ApplyPatch returns s with p applied (s is not modified).
func (s *Settings) ApplyPatch(p *SettingsPatch) (*Settings, error) {
	doc := map[string]json.RawMessage{}
	if s != nil {
		data, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, err
		}
	}
	for k, v := range p.Set {
		doc[k] = v
	}
	for _, k := range p.Remove {
		delete(doc, k)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var out Settings
	if err := json.Unmarshal(bytes.TrimSpace(data), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Redacted returns s for an API answer: the bot protection secret the
// security sync carries (securityConfig.botProtection.secretKey) is
// replaced; it is stored, never shown back.
func (s *Settings) Redacted() *Settings {
	if s == nil || s.Extra["securityConfig"] == nil {
		return s
	}
	var cfg map[string]json.RawMessage
	if json.Unmarshal(s.Extra["securityConfig"], &cfg) != nil || cfg["botProtection"] == nil {
		return s
	}
	var bot map[string]json.RawMessage
	if json.Unmarshal(cfg["botProtection"], &bot) != nil || bot["secretKey"] == nil || string(bot["secretKey"]) == `""` || string(bot["secretKey"]) == "null" {
		return s
	}
	bot["secretKey"] = json.RawMessage(`"[redacted]"`)
	cfg["botProtection"], _ = json.Marshal(bot)
	out := *s
	out.Extra = make(map[string]json.RawMessage, len(s.Extra))
	for k, v := range s.Extra {
		out.Extra[k] = v
	}
	out.Extra["securityConfig"], _ = json.Marshal(cfg)
	return &out
}
