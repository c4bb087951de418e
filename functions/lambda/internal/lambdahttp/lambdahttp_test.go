package lambdahttp

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name, event string
		want        Shape
		err         bool
	}{
		{"http api 2.0", `{"version":"2.0","requestContext":{"http":{"method":"GET"}}}`, ShapeV2, false},
		{"function url", `{"version":"2.0","requestContext":{"domainName":"x.lambda-url.eu-west-1.on.aws","http":{"method":"POST"}}}`, ShapeV2, false},
		{"rest api 1.0", `{"httpMethod":"GET","path":"/","requestContext":{"stage":"prod"}}`, ShapeV1, false},
		{"alb", `{"httpMethod":"GET","requestContext":{"elb":{"targetGroupArn":"arn"}}}`, ShapeALB, false},
		{"scheduled event", `{"source":"aws.events","detail-type":"Scheduled Event"}`, "", true},
		{"not json", `hello`, "", true},
		{"array", `[1]`, "", true},
	}
	for _, tt := range tests {
		got, err := Detect([]byte(tt.event))
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("%s: %q %v, want %q error %v", tt.name, got, err, tt.want, tt.err)
		}
	}
}

func TestEncodeBody(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		encoding    string
		body        []byte
		base64      bool
	}{
		{"html", "text/html; charset=utf-8", "", []byte("<p>hé</p>"), false},
		{"json", "application/json", "", []byte(`{"a":1}`), false},
		{"problem json", "application/problem+json", "", []byte(`{}`), false},
		{"svg", "image/svg+xml", "", []byte("<svg/>"), false},
		{"gzip of text", "text/html", "gzip", []byte("valid utf-8 but compressed"), true},
		{"png", "image/png", "", []byte("\x89PNG"), true},
		{"octet stream that is ascii", "application/octet-stream", "", []byte("abc"), true},
		{"text that is not utf-8", "text/plain", "", []byte{0xff, 0xfe}, true},
		{"empty", "image/png", "", nil, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.contentType != "" {
			h.Set("Content-Type", tt.contentType)
		}
		if tt.encoding != "" {
			h.Set("Content-Encoding", tt.encoding)
		}
		if _, b64 := encodeBody(h, tt.body); b64 != tt.base64 {
			t.Errorf("%s: base64 %v, want %v", tt.name, b64, tt.base64)
		}
	}
}

// echo reports what the handler saw.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Set-Cookie", "a=1")
	w.Header().Add("Set-Cookie", "b=2")
	w.Header().Add("Vary", "Accept-Encoding")
	w.Header().Add("Vary", "Cookie")
	if r.URL.Path == "/go" {
		w.Header().Set("Location", "/there")
		w.WriteHeader(http.StatusFound)
		return
	}
	dl, hasDeadline := r.Context().Deadline()
	json.NewEncoder(w).Encode(map[string]any{
		"method": r.Method, "uri": r.RequestURI, "host": r.Host, "remote": r.RemoteAddr,
		"cookie": r.Header.Get("Cookie"), "ae": r.Header.Get("Accept-Encoding"), "multi": r.Header.Values("X-Multi"),
		"prefix": r.Header.Get("X-Forwarded-Prefix"), "deadline": hasDeadline && !dl.IsZero(), "reqid": r.Header.Get("X-Request-Id"),
	})
})

func TestInvokeConversions(t *testing.T) {
	ctx, cancel := context.WithTimeout(lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "aws-1"}), 5e9)
	defer cancel()
	var seen []string
	h := &Handler{H: echo, OnRequest: func(id string) { seen = append(seen, id) }}
	tests := []struct {
		name  string
		event string
		want  map[string]any
	}{
		{"v2 keeps comma lists whole and joins cookies", `{"version":"2.0","rawPath":"/a%2Fb/c","rawQueryString":"q=1&q=2","cookies":["s=1","t=2"],
			"headers":{"host":"example.com","accept-encoding":"deflate, gzip"},"requestContext":{"http":{"method":"GET","sourceIp":"203.0.113.9"}}}`,
			map[string]any{"uri": "/a%2Fb/c?q=1&q=2", "host": "example.com", "remote": "203.0.113.9:0", "cookie": "s=1; t=2", "ae": "deflate, gzip", "deadline": true, "reqid": "aws-1"}},
		{"v1 re-encodes decoded query values and keeps multi-value headers", `{"httpMethod":"POST","path":"/p","multiValueQueryStringParameters":{"b":["x y"],"a":["1","2"]},
			"multiValueHeaders":{"X-Multi":["1","2"],"Host":["h.example"]},"requestContext":{"stage":"prod","path":"/prod/p","identity":{"sourceIp":"2001:db8::1"}}}`,
			map[string]any{"method": "POST", "uri": "/p?a=1&a=2&b=x+y", "host": "h.example", "remote": "[2001:db8::1]:0", "multi": []any{"1", "2"}, "prefix": "/prod"}},
		{"v1 on a custom domain has no stage prefix", `{"httpMethod":"GET","path":"/p","requestContext":{"stage":"prod","path":"/p"}}`,
			map[string]any{"uri": "/p", "prefix": ""}},
		{"alb passes the query as encoded and takes the last forwarded address", `{"httpMethod":"GET","path":"/p","queryStringParameters":{"q":"a%20b"},
			"headers":{"x-forwarded-for":"10.0.0.1, 198.51.100.7","host":"alb.example"},"requestContext":{"elb":{"targetGroupArn":"arn"}}}`,
			map[string]any{"uri": "/p?q=a%20b", "remote": "198.51.100.7:0", "host": "alb.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := h.Invoke(ctx, json.RawMessage(tt.event))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(res)
			var out struct {
				Body              string
				Headers           map[string]string
				MultiValueHeaders map[string][]string
				Cookies           []string
			}
			json.Unmarshal(raw, &out)
			var got map[string]any
			if err := json.Unmarshal([]byte(out.Body), &got); err != nil {
				t.Fatalf("body %q: %v", out.Body, err)
			}
			for k, v := range tt.want {
				gj, _ := json.Marshal(got[k])
				wj, _ := json.Marshal(v)
				if string(gj) != string(wj) {
					t.Errorf("%s = %s, want %s", k, gj, wj)
				}
			}
			switch r := res.(type) {
			case events.APIGatewayV2HTTPResponse:
				if strings.Join(r.Cookies, ";") != "a=1;b=2" || r.Headers["Set-Cookie"] != "" || r.Headers["Vary"] != "Accept-Encoding, Cookie" {
					t.Errorf("2.0 response cookies %v headers %v", r.Cookies, r.Headers)
				}
			case events.APIGatewayProxyResponse:
				if len(r.MultiValueHeaders["Set-Cookie"]) != 2 {
					t.Errorf("1.0 response headers %v", r.MultiValueHeaders)
				}
			case events.ALBTargetGroupResponse:
				if r.MultiValueHeaders != nil || r.Headers["Set-Cookie"] != "b=2" || r.StatusDescription != "200 OK" {
					t.Errorf("ALB response %+v", r)
				}
			}
		})
	}
	if len(seen) != len(tests) || seen[0] != "aws-1" {
		t.Errorf("OnRequest saw %v", seen)
	}
}

func TestStageRedirect(t *testing.T) {
	h := &Handler{H: echo}
	tests := []struct{ stage, path, want string }{
		{"prod", "/prod/go", "/prod/there"},
		{"prod", "/go", "/there"}, // custom domain: no stage in the visitor's URL
		{"$default", "/go", "/there"},
	}
	for _, tt := range tests {
		ev := `{"httpMethod":"GET","path":"/go","requestContext":{"stage":"` + tt.stage + `","path":"` + tt.path + `"}}`
		res, err := h.Invoke(context.Background(), json.RawMessage(ev))
		if err != nil {
			t.Fatal(err)
		}
		r := res.(events.APIGatewayProxyResponse)
		if r.StatusCode != 302 || r.MultiValueHeaders["Location"][0] != tt.want {
			t.Errorf("stage %s path %s: %d %v, want Location %s", tt.stage, tt.path, r.StatusCode, r.MultiValueHeaders["Location"], tt.want)
		}
	}
}

// TestResponsesFitLambdasPayload: a response that would pass Lambda's 6 MB
// (where the platform answers a bare 502) is gzipped when the client takes
// it, else replaced by a 500 that names the limit; the whole encoded
// response stays under MaxPayload either way.
func TestResponsesFitLambdasPayload(t *testing.T) {
	page := []byte("<!doctype html><html><body>" + strings.Repeat(`<p class="row">a "quoted" line of a long page</p>`+"\n", 160_000) + "</body></html>")
	noise := make([]byte, 5<<20)
	rand.NewChaCha8([32]byte{1}).Read(noise)
	tests := []struct {
		name, accept string
		body         []byte
		ct           string
		status       int
		gzip         bool
	}{
		{"small page untouched", "", []byte("<p>hi</p>"), "text/html; charset=utf-8", 200, false},
		{"large page gzipped", "deflate, gzip", page, "text/html; charset=utf-8", 200, true},
		{"large page without gzip", "identity", page, "text/html; charset=utf-8", 500, false},
		{"gzip refused with q=0", "gzip;q=0", page, "text/html; charset=utf-8", 500, false},
		{"incompressible body", "gzip", noise, "application/octet-stream", 500, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Handler{H: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ct)
				w.Header().Set("Etag", `"abc"`)
				w.Write(tt.body)
			})}
			ev, _ := json.Marshal(map[string]any{"version": "2.0", "rawPath": "/", "headers": map[string]string{"accept-encoding": tt.accept},
				"requestContext": map[string]any{"http": map[string]any{"method": "GET", "path": "/"}}})
			out, err := h.Invoke(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			res := out.(events.APIGatewayV2HTTPResponse)
			enc, _ := json.Marshal(res)
			if len(enc) > MaxPayload {
				t.Errorf("encoded response %d bytes, over %d", len(enc), MaxPayload)
			}
			if res.StatusCode != tt.status || (res.Headers["Content-Encoding"] == "gzip") != tt.gzip {
				t.Fatalf("status %d Content-Encoding %q, want %d gzip %v", res.StatusCode, res.Headers["Content-Encoding"], tt.status, tt.gzip)
			}
			switch {
			case tt.gzip:
				raw, _ := base64.StdEncoding.DecodeString(res.Body)
				zr, err := gzip.NewReader(bytes.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				if got, _ := io.ReadAll(zr); !bytes.Equal(got, tt.body) || res.Headers["Etag"] != "" {
					t.Errorf("gzip body does not decompress to the page (or kept the identity ETag %q)", res.Headers["Etag"])
				}
			case tt.status == 500:
				if !strings.Contains(res.Body, "6 MB") || !strings.Contains(res.Body, `"success":false`) {
					t.Errorf("body %s", res.Body)
				}
			default:
				if res.Body != string(tt.body) {
					t.Errorf("body %q", res.Body)
				}
			}
		})
	}
}
