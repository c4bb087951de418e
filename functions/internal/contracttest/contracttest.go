// Package contracttest sends requests to a real engine the way the
// Frontbase control plane (FastAPI, httpx) and a published page's browser
// script send them, so that contract tests exercise exactly the wire
// format the client produces: its headers, its JSON encoding, an absent
// body where it sends none. docs/control-plane-contract.md names, per
// route, the client code each request here copies.
package contracttest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// HTTPXUserAgent is what httpx sends when the caller sets none.
const HTTPXUserAgent = "python-httpx/0.28.1"

// Call is one request of the control plane, as its Python code writes it:
// client.METHOD(f"{engine_url}{Path}", json=JSON, params=Params,
// headers=Headers). Headers usually come from SystemKeyHeaders.
type Call struct {
	Method  string
	Path    string
	JSON    any        // httpx json=: sent as Python's json.dumps encodes it; nil sends no body
	RawBody []byte     // content= instead of json=, sent as is
	Params  url.Values // httpx params=
	Headers map[string]string
}

// SystemKeyHeaders is get_edge_headers(engine) of
// fastapi-backend/app/services/edge_client.py: {"x-system-key": key}, or
// no header at all for an engine without a key (dev mode).
func SystemKeyHeaders(key string) map[string]string {
	if key == "" {
		return map[string]string{}
	}
	return map[string]string{"x-system-key": key}
}

// Response is an engine's answer.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// JSON decodes the body as a JSON object, failing the test otherwise (the
// control plane calls resp.json() on it).
func (r *Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("the body is not a JSON object (%v): %s", err, r.Body)
	}
	return m
}

// ControlPlane sends c to e as httpx would.
func ControlPlane(t testing.TB, e *enginetest.Engine, c Call) *Response {
	t.Helper()
	u := e.URL + c.Path
	if len(c.Params) > 0 {
		u += "?" + c.Params.Encode()
	}
	var body io.Reader
	var ctype string
	switch {
	case c.JSON != nil:
		body, ctype = bytes.NewReader(PythonJSON(t, c.JSON)), "application/json"
	case c.RawBody != nil:
		body = bytes.NewReader(c.RawBody)
	}
	req, err := http.NewRequest(c.Method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if body == nil && (c.Method == http.MethodPost || c.Method == http.MethodPut || c.Method == http.MethodPatch) {
		req.Body, req.ContentLength = http.NoBody, 0 // httpx sends Content-Length: 0
		req.Header.Set("Content-Length", "0")
	}
	req.Header.Set("User-Agent", HTTPXUserAgent)
	req.Header.Set("Accept", "*/*")
	req.Header.Set("Accept-Encoding", "gzip, deflate")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range c.Headers {
		req.Header.Set(k, v)
	}
	return send(t, req)
}

// Browser sends what a published page's script sends with fetch(path) or
// fetch(path, {method, headers: {'Content-Type': 'application/json'},
// body: JSON.stringify(body)}), same origin.
func Browser(t testing.TB, e *enginetest.Engine, method, path string, body any) *Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "*/*")
	req.Header.Set("User-Agent", "Mozilla/5.0 (contracttest)")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return send(t, req)
}

// BrowserForm sends what a browser sends for a page's <form method="POST">
// (form != nil; application/x-www-form-urlencoded, same origin) or for a
// plain navigation (form nil), with the cookies it holds for the site.
func BrowserForm(t testing.TB, e *enginetest.Engine, method, path string, form url.Values, cookies ...*http.Cookie) *Response {
	t.Helper()
	var r io.Reader
	if form != nil {
		r = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	req.Header.Set("User-Agent", "Mozilla/5.0 (contracttest)")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.URL)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return send(t, req)
}

func send(t testing.TB, req *http.Request) *Response {
	t.Helper()
	client := &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req) // Go's transport undoes the gzip it asked for, as httpx does
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: string(data)}
}

// PythonJSON encodes v as Python's json.dumps does by default: ", " and
// ": " separators, non-ASCII escaped. Go's encoder writes the same values
// (map keys sorted); only the spacing and escaping differ.
func PythonJSON(t testing.TB, v any) []byte {
	t.Helper()
	compact, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	inString, escaped := false, false
	for _, r := range string(compact) {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case r == '\\':
				escaped = true
			case r == '"':
				inString = false
			}
			if r > 0x7e {
				writeEscapedRune(&out, r)
				continue
			}
		case r == '"':
			inString = true
		case r == ',':
			out.WriteString(", ")
			continue
		case r == ':':
			out.WriteString(": ")
			continue
		}
		out.WriteRune(r)
	}
	return out.Bytes()
}

func writeEscapedRune(b *bytes.Buffer, r rune) {
	const hex = "0123456789abcdef"
	esc := func(u rune) {
		b.WriteString(`\u`)
		for s := 12; s >= 0; s -= 4 {
			b.WriteByte(hex[(u>>uint(s))&0xf])
		}
	}
	if r > 0xffff {
		r -= 0x10000
		esc(0xd800 + (r>>10)&0x3ff)
		esc(0xdc00 + r&0x3ff)
		return
	}
	esc(r)
}

// Field returns the value at a dotted path ("gpu_models", "bindings.db")
// of a decoded JSON object, and whether it is there.
func Field(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, part := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Kind names a JSON value's type as the caller's code tests it: "string",
// "number", "bool", "null", "array", "object".
func Kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// Expect fails the test unless every path of want is in m with one of the
// kinds named ("string|null").
func Expect(t testing.TB, m map[string]any, want map[string]string) {
	t.Helper()
	for path, kinds := range want {
		v, ok := Field(m, path)
		if !ok {
			t.Errorf("the caller reads %q, which the response lacks: %v", path, m)
			continue
		}
		if !strings.Contains("|"+kinds+"|", "|"+Kind(v)+"|") {
			t.Errorf("%q is %s %v, the caller expects %s", path, Kind(v), v, kinds)
		}
	}
}

// ForModes runs fn against a fresh engine in every deployment of
// enginetest.Modes: local SQLite, and cloud mode on real tursodb with Redis
// or the Upstash REST front. Cloud servers that cannot start fail the test
// in CI (testservers.Missing).
func ForModes(t *testing.T, fn func(t *testing.T, e *enginetest.Engine)) {
	for _, mode := range enginetest.Modes {
		t.Run(mode, func(t *testing.T) {
			fn(t, enginetest.Start(t, enginetest.Options{Mode: mode}))
		})
	}
}
