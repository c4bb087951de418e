package workflow

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// MaxResponseBytes caps an http_request node's response body.
const MaxResponseBytes = 5 << 20

const (
	defaultRequestTimeout = 30 * time.Second
	maxRedirects          = 5
)

// AllowList names internal targets an operator lets http_request reach
// (FRONTBASE_HTTP_ALLOW): host names, host:port pairs, IPs and CIDRs.
type AllowList struct {
	hosts    map[string]bool // "host" or "host:port", lower case
	prefixes []netip.Prefix
}

// ParseAllowList reads a comma or space separated list.
func ParseAllowList(s string) (*AllowList, error) {
	a := &AllowList{hosts: map[string]bool{}}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			a.prefixes = append(a.prefixes, p.Masked())
			continue
		}
		if strings.ContainsAny(f, "/?#@") {
			return nil, fmt.Errorf("%q is not a host, host:port, IP or CIDR", f)
		}
		a.hosts[strings.ToLower(f)] = true
	}
	return a, nil
}

func (a *AllowList) hostAllowed(host, port string) bool {
	if a == nil {
		return false
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	return a.hosts[host] || a.hosts[net.JoinHostPort(host, port)]
}

func (a *AllowList) ipAllowed(ip netip.Addr) bool {
	if a == nil {
		return false
	}
	for _, p := range a.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// blocked are the ranges no workflow may reach unless allowed: besides
// what netip's predicates cover (loopback, private, link-local, multicast,
// unspecified), shared, benchmark, reserved and NAT64 space.
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "64:ff9b::/96", "64:ff9b:1::/48", "2001:db8::/32", "100::/64"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// refuse says why ip may not be reached, or "" when it may.
func refuse(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip == netip.MustParseAddr("169.254.169.254") || ip == netip.MustParseAddr("fd00:ec2::254"):
		return "cloud metadata"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast(), ip.IsLinkLocalMulticast():
		return "multicast"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsPrivate():
		if ip.Is6() {
			return "unique-local"
		}
		return "private"
	case ip.IsUnspecified():
		return "unspecified"
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return "reserved"
		}
	}
	return ""
}

// Guard resolves and checks every address http_request connects to.
type Guard struct {
	Allow    *AllowList
	Resolver *net.Resolver
	dialer   net.Dialer
}

// DialContext resolves the host, refuses blocked addresses and dials the
// address it checked (so a second DNS answer cannot swap it).
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	hostOK := g.Allow.hostAllowed(host, port)
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		ips = []netip.Addr{ip}
	} else {
		r := cmp.Or(g.Resolver, net.DefaultResolver)
		if ips, err = r.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
	}
	var lastErr error
	for _, ip := range ips {
		if why := refuse(ip); why != "" && !hostOK && !g.Allow.ipAllowed(ip.Unmap()) {
			lastErr = &BlockedError{Host: host, IP: ip, Why: why}
			continue
		}
		conn, err := g.dialer.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("resolve %s: no addresses", host)
	}
	return nil, lastErr
}

// BlockedError is an address the SSRF guard refused.
type BlockedError struct {
	Host string
	IP   netip.Addr
	Why  string
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("refused to connect to %s (%s): %s addresses are blocked; list the host in FRONTBASE_HTTP_ALLOW to allow it", e.Host, e.IP, e.Why)
}

// NewHTTPClient returns the client http_request nodes use: no proxy, no
// cookie jar, every connection and redirect hop through the guard.
func NewHTTPClient(allow *AllowList) *http.Client {
	g := &Guard{Allow: allow}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to a %s URL refused", req.URL.Scheme)
			}
			return nil
		},
	}
}

// httpRequest runs an httpRequest node: it builds the request from the
// node's inputs, sends it through the run's (SSRF-guarded) client and
// answers {data, status, headers}.
func (st *run) httpRequest(n *Node, sc scope) (any, error) {
	u, err := st.requestURL(n, sc)
	if err != nil {
		return nil, err
	}
	method := strings.ToUpper(cmp.Or(str(n.Inputs["method"]), "GET"))
	var body io.Reader
	contentType := ""
	if truthy(n.Inputs["sendBody"]) && method != "GET" && method != "HEAD" {
		if body, contentType, err = st.requestBody(n, sc); err != nil {
			return nil, err
		}
	}
	timeout := defaultRequestTimeout
	if v, err := st.intInput(n, "timeout", sc, 0); err != nil {
		return nil, err
	} else if v > 0 {
		timeout = time.Duration(v) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(st.ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("build request: %v", err)
	}
	req.Header.Set("User-Agent", "frontbase-edge-workflow")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if err := st.requestHeaders(req, n, sc); err != nil {
		return nil, err
	}
	if err := st.authenticate(req, n, sc); err != nil {
		return nil, err
	}
	return st.send(req, method, u, timeout)
}

// requestURL reads the node's url, which must be absolute http(s), and
// adds its query parameters.
func (st *run) requestURL(n *Node, sc scope) (*url.URL, error) {
	rawURL, err := st.inputStr(n, "url", sc)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q is not an absolute http(s) URL", rawURL)
	}
	if truthy(n.Inputs["sendQuery"]) || n.Inputs["queryParameters"] != nil {
		qs, err := st.pairs(n, "queryParameters", sc)
		if err != nil {
			return nil, err
		}
		q := u.Query()
		for _, kv := range qs {
			q.Add(kv[0], kv[1])
		}
		u.RawQuery = q.Encode()
	}
	return u, nil
}

// requestBody encodes the node's body as its contentType says (json by
// default) and returns it with its Content-Type; nil and "" for a
// contentType it does not know.
func (st *run) requestBody(n *Node, sc scope) (io.Reader, string, error) {
	switch cmp.Or(str(n.Inputs["contentType"]), "json") {
	case "json":
		b, err := st.jsonBody(n, sc)
		if err != nil {
			return nil, "", err
		}
		return strings.NewReader(b), "application/json", nil
	case "x-www-form-urlencoded":
		ps, err := st.pairs(n, "bodyParameters", sc)
		if err != nil {
			return nil, "", err
		}
		form := url.Values{}
		for _, p := range ps {
			form.Add(p[0], p[1])
		}
		return strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", nil
	case "form-data":
		ps, err := st.pairs(n, "bodyParameters", sc)
		if err != nil {
			return nil, "", err
		}
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, p := range ps {
			mw.WriteField(p[0], p[1])
		}
		mw.Close()
		return &buf, mw.FormDataContentType(), nil
	case "raw":
		s, err := st.inputStr(n, "body", sc)
		if err != nil {
			return nil, "", err
		}
		return strings.NewReader(s), cmp.Or(str(n.Inputs["rawContentType"]), "text/plain"), nil
	}
	return nil, "", nil
}

// jsonBody is the body document, or else an object of the body
// parameters, as JSON text; a string document is sent as it is.
func (st *run) jsonBody(n *Node, sc scope) (string, error) {
	v, err := st.document(n, "body", sc)
	if err != nil {
		return "", err
	}
	if v == nil && n.Inputs["bodyParameters"] != nil {
		ps, err := st.pairsAny(n, "bodyParameters", sc)
		if err != nil {
			return "", err
		}
		m := map[string]any{}
		for _, p := range ps {
			m[p.k] = p.v
		}
		v = m
	}
	b, ok := v.(string)
	if !ok {
		enc, err := json.Marshal(v)
		if err != nil {
			return "", fmt.Errorf("body cannot be encoded as JSON: %v", err)
		}
		b = string(enc)
	}
	return b, nil
}

// requestHeaders sets the node's headers on req.
func (st *run) requestHeaders(req *http.Request, n *Node, sc scope) error {
	if !truthy(n.Inputs["sendHeaders"]) && n.Inputs["headers"] == nil {
		return nil
	}
	hs, err := st.pairs(n, "headers", sc)
	if err != nil {
		return err
	}
	for _, kv := range hs {
		req.Header.Set(kv[0], kv[1])
	}
	return nil
}

// authenticate sets the credentials of the node's authentication (basic,
// bearer token or a header of its own) on req.
func (st *run) authenticate(req *http.Request, n *Node, sc scope) error {
	switch str(n.Inputs["authentication"]) {
	case "basicAuth":
		user, err := st.inputStr(n, "username", sc)
		if err != nil {
			return err
		}
		pass, err := st.inputStr(n, "password", sc)
		if err != nil {
			return err
		}
		req.SetBasicAuth(user, pass)
	case "bearerToken":
		tok, err := st.inputStr(n, "bearerToken", sc)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	case "headerAuth":
		name, err := st.inputStr(n, "headerAuthName", sc)
		if err != nil {
			return err
		}
		val, err := st.inputStr(n, "headerAuthValue", sc)
		if err != nil {
			return err
		}
		req.Header.Set(name, val)
	}
	return nil
}

// send does req (whose context ends after timeout) and reads at most
// MaxResponseBytes of the answer into {data, status, headers}: data is the
// decoded JSON of a JSON response, else the text. Errors name method and u
// without its password.
func (st *run) send(req *http.Request, method string, u *url.URL, timeout time.Duration) (any, error) {
	client := st.r.HTTP
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var blocked *BlockedError
		switch {
		case errors.As(err, &blocked):
			return nil, blocked
		case errors.Is(err, context.DeadlineExceeded) && st.ctx.Err() != nil && st.timeout > 0:
			return nil, fmt.Errorf("%s %s: the execution's timeout of %s ran out (execution_timeout_ms)", method, u.Redacted(), st.timeout)
		case errors.Is(err, context.DeadlineExceeded):
			return nil, fmt.Errorf("%s %s: no response within %s", method, u.Redacted(), timeout)
		}
		return nil, fmt.Errorf("%s %s: %v", method, u.Redacted(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the response: %v", method, u.Redacted(), unwrapURLError(err))
	}
	if len(raw) > MaxResponseBytes {
		return nil, fmt.Errorf("%s %s: the response is larger than %d bytes", method, u.Redacted(), MaxResponseBytes)
	}
	var data any = string(raw)
	if strings.Contains(resp.Header.Get("Content-Type"), "json") && len(raw) > 0 {
		if json.Unmarshal(raw, &data) != nil {
			data = string(raw)
		}
	}
	headers := map[string]any{}
	for k, v := range resp.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	return map[string]any{"data": data, "status": resp.StatusCode, "headers": headers}, nil
}

var defaultClient = NewHTTPClient(nil)

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
