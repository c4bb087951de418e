// Package lambdahttp serves an http.Handler behind every HTTP event shape
// Lambda delivers: API Gateway HTTP API (payload 2.0), Function URLs (the
// same 2.0 shape), API Gateway REST API (payload 1.0, with a stage) and
// Application Load Balancer target groups. The shape is detected per event,
// so one build works behind any of them.
//
// It uses aws-lambda-go's event types but its own conversion, rather than
// aws-lambda-go-api-proxy's httpadapter, because that adapter splits every
// 2.0 header value on commas (so Header.Get("Accept-Encoding") of
// "deflate, gzip" is "deflate" and If-None-Match lists lose all but their
// first tag), chooses base64 by a UTF-8 guess (a gzip body that happens to
// be valid UTF-8 would be corrupted), and has no ALB single-header mode or
// REST stage handling for redirects.
package lambdahttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/frontbase/edge/functions/internal/fit"
)

// Shape is the kind of event an invocation carried.
type Shape string

const (
	ShapeV2  Shape = "apigw-v2" // HTTP API payload 2.0 and Function URLs
	ShapeV1  Shape = "apigw-v1" // REST API payload 1.0
	ShapeALB Shape = "alb"
)

// probe holds just enough of an event to tell the shapes apart.
type probe struct {
	Version        string `json:"version"`
	HTTPMethod     string `json:"httpMethod"`
	RequestContext struct {
		HTTP *struct {
			Method string `json:"method"`
		} `json:"http"`
		ELB *struct {
			TargetGroupArn string `json:"targetGroupArn"`
		} `json:"elb"`
		Stage string `json:"stage"`
	} `json:"requestContext"`
}

// Detect names the shape of a raw event, or fails for anything that is not
// an HTTP event this package serves.
func Detect(raw []byte) (Shape, error) {
	var p probe
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", fmt.Errorf("event is not a JSON object: %w", err)
	}
	switch {
	case p.RequestContext.HTTP != nil && p.RequestContext.HTTP.Method != "":
		return ShapeV2, nil
	case p.RequestContext.ELB != nil:
		return ShapeALB, nil
	case p.HTTPMethod != "":
		return ShapeV1, nil
	}
	return "", fmt.Errorf("unsupported event: expected an API Gateway (payload 1.0 or 2.0), Function URL or ALB request")
}

// Handler serves h for raw Lambda events. Its Invoke is the function
// lambda.Start runs.
type Handler struct {
	H http.Handler
	// OnRequest, when set, is called with each invocation's AWS request id
	// before h runs (the entrypoint tags its log lines with it).
	OnRequest func(requestID string)
	// Stream answers Function URL events with a streamed response (see
	// stream.go). Set it only when the function's URL is configured with
	// InvokeMode RESPONSE_STREAM: nothing in an event tells the invoke
	// modes apart, and a buffered URL cannot read a streamed response.
	Stream bool
}

// Invoke converts one event, serves it and returns the matching response.
func (l *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	shape, err := Detect(raw)
	if err != nil {
		return nil, err
	}
	reqID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		reqID = lc.AwsRequestID
	}
	if l.OnRequest != nil {
		l.OnRequest(reqID)
	}
	var (
		req      *http.Request
		stage    string
		multiALB bool
		furl     bool
	)
	switch shape {
	case ShapeV2:
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("payload 2.0 event: %w", err)
		}
		req, err = fromV2(ctx, &ev)
		furl = IsFunctionURL(ev.RequestContext.DomainName)
	case ShapeV1:
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("payload 1.0 event: %w", err)
		}
		req, stage, err = fromV1(ctx, &ev)
	case ShapeALB:
		var ev events.ALBTargetGroupRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("ALB event: %w", err)
		}
		multiALB = ev.MultiValueHeaders != nil
		req, err = fromALB(ctx, &ev)
	}
	if err != nil {
		return nil, err
	}
	if reqID != "" {
		// The engine keeps a platform-assigned X-Request-Id, so its access
		// line and every line it logs for this request carry the AWS id.
		req.Header.Set("X-Request-Id", reqID)
	}
	if l.Stream && furl {
		return l.stream(req)
	}
	rec := newRecorder()
	l.H.ServeHTTP(rec, req)
	if stage != "" {
		prefixLocation(rec.header, stage)
	}
	if req.Method == http.MethodHead {
		rec.body.Reset()
	}
	if shape == ShapeALB {
		fitPayload(rec, req.Header.Get("Accept-Encoding"), albLimit)
	} else {
		fitPayload(rec, req.Header.Get("Accept-Encoding"), lambdaLimit)
	}
	body, b64 := encodeBody(rec.header, rec.body.Bytes())
	switch shape {
	case ShapeV2:
		return toV2(rec, body, b64), nil
	case ShapeV1:
		return events.APIGatewayProxyResponse{StatusCode: rec.status, MultiValueHeaders: rec.header, Body: body, IsBase64Encoded: b64}, nil
	default:
		res := events.ALBTargetGroupResponse{
			StatusCode: rec.status, StatusDescription: strconv.Itoa(rec.status) + " " + http.StatusText(rec.status),
			Body: body, IsBase64Encoded: b64,
		}
		if multiALB {
			res.MultiValueHeaders = rec.header
		} else {
			res.Headers = joinHeaders(rec.header, false)
		}
		return res, nil
	}
}

// MaxPayload is Lambda's limit on a synchronous invocation's response (6
// MB, the JSON envelope included). Past it, API Gateway, Function URLs and
// ALB answer 502 with no word of why.
const MaxPayload = 6 << 20

// MaxALBPayload is what an Application Load Balancer takes from a Lambda
// target (1 MB of response JSON); past it, it answers 502 too.
const MaxALBPayload = 1 << 20

// envelope is room kept for the response's JSON around the body: status,
// headers, cookies.
const envelope = 64 << 10

// Lambda's limits, for fit: the advice is the same, the platform differs.
var (
	lambdaLimit = fit.Limit{Bytes: MaxPayload, What: "(6 MB) Lambda can return from a function", Advice: bigAdvice}
	albLimit    = fit.Limit{Bytes: MaxALBPayload, What: "(1 MB) an ALB takes from a Lambda function", Advice: bigAdvice}
)

const bigAdvice = "serve large pages through a Function URL with response streaming, or make them smaller"

// fitPayload keeps a response under l once encoded (fit's rule: gzip when
// the client takes it and that fits, else a 500 that names the limit,
// instead of the platform's bare 502). The event response carries a
// gzipped body in base64, a text body as JSON text, both inside the
// envelope.
func fitPayload(rec *recorder, acceptEncoding string, l fit.Limit) {
	cost := func(body []byte, gzipped bool) int {
		if gzipped {
			return base64.StdEncoding.EncodedLen(len(body)) + envelope
		}
		return encodedLen(rec.header, body) + envelope
	}
	if status, body, changed := fit.Fit(rec.header, rec.status, rec.body.Bytes(), acceptEncoding, l, cost); changed {
		rec.status = status
		rec.body.Reset()
		rec.body.Write(body)
	}
}

// encodedLen is the length of the body as the event response carries it
// (see encodeBody), an upper bound for text: JSON escapes only what
// needs it, and text bodies are mostly plain.
func encodedLen(h http.Header, body []byte) int {
	if len(body) == 0 {
		return 0
	}
	if ce := h.Get("Content-Encoding"); (ce == "" || ce == "identity") && isText(h.Get("Content-Type")) && utf8.Valid(body) {
		n := len(body)
		for _, c := range body {
			if c == '"' || c == '\\' || c < 0x20 {
				n += 5 // at worst \u00XX
			}
		}
		return n
	}
	return base64.StdEncoding.EncodedLen(len(body))
}

func fromV2(ctx context.Context, ev *events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	req, err := newRequest(ctx, ev.RequestContext.HTTP.Method, path, ev.RawQueryString, body)
	if err != nil {
		return nil, err
	}
	// 2.0 joins repeated headers with commas: keep the value whole, as a
	// proxy would have sent it.
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	finish(req, ev.RequestContext.DomainName, ev.RequestContext.HTTP.SourceIP)
	return req, nil
}

func fromV1(ctx context.Context, ev *events.APIGatewayProxyRequest) (*http.Request, string, error) {
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, "", err
	}
	// 1.0 gives decoded query values: encode them again, keys sorted so the
	// URL (and any cache key made from it) is stable.
	q := url.Values{}
	if len(ev.MultiValueQueryStringParameters) > 0 {
		for k, vs := range ev.MultiValueQueryStringParameters {
			q[k] = append(q[k], vs...)
		}
	} else {
		for k, v := range ev.QueryStringParameters {
			q.Set(k, v)
		}
	}
	req, err := newRequest(ctx, ev.HTTPMethod, ev.Path, q.Encode(), body)
	if err != nil {
		return nil, "", err
	}
	setHeaders(req, ev.MultiValueHeaders, ev.Headers)
	finish(req, ev.RequestContext.DomainName, ev.RequestContext.Identity.SourceIP)
	// On the default execute-api host the visitor's URL carries the stage
	// (/prod/about) while the event's path does not (/about): redirects
	// must put it back. Custom domains map the stage away.
	stage := ""
	if s, p := ev.RequestContext.Stage, ev.RequestContext.Path; s != "" && s != "$default" && (p == "/"+s || strings.HasPrefix(p, "/"+s+"/")) {
		stage = "/" + s
		req.Header.Set("X-Forwarded-Prefix", stage)
	}
	return req, stage, nil
}

func fromALB(ctx context.Context, ev *events.ALBTargetGroupRequest) (*http.Request, error) {
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	// ALB passes query keys and values as the client encoded them.
	var parts []string
	if len(ev.MultiValueQueryStringParameters) > 0 {
		for k, vs := range ev.MultiValueQueryStringParameters {
			for _, v := range vs {
				parts = append(parts, k+"="+v)
			}
		}
	} else {
		for k, v := range ev.QueryStringParameters {
			parts = append(parts, k+"="+v)
		}
	}
	sort.Strings(parts)
	req, err := newRequest(ctx, ev.HTTPMethod, ev.Path, strings.Join(parts, "&"), body)
	if err != nil {
		return nil, err
	}
	setHeaders(req, ev.MultiValueHeaders, ev.Headers)
	// ALB appends the client to X-Forwarded-For; its last entry is the
	// address ALB saw.
	ip := ""
	if xff := req.Header.Get("X-Forwarded-For"); xff != "" {
		ip = strings.TrimSpace(xff[strings.LastIndexByte(xff, ',')+1:])
	}
	finish(req, "", ip)
	return req, nil
}

func newRequest(ctx context.Context, method, path, rawQuery string, body []byte) (*http.Request, error) {
	if method == "" {
		return nil, fmt.Errorf("event has no HTTP method")
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u := &url.URL{Scheme: "https", Host: "lambda", Path: path, RawQuery: rawQuery}
	if p, err := url.PathUnescape(path); err == nil && p != path {
		u.Path, u.RawPath = p, path
	}
	req, err := http.NewRequestWithContext(ctx, strings.ToUpper(method), u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("event request %s %q: %w", method, path, err)
	}
	req.RequestURI = req.URL.RequestURI()
	req.Proto, req.ProtoMajor, req.ProtoMinor = "HTTP/1.1", 1, 1
	return req, nil
}

// finish sets the host (the Host header, else the platform's domain) and
// the client address (ip:0, so net.SplitHostPort works on it).
func finish(req *http.Request, domain, ip string) {
	host := req.Header.Get("Host")
	if host == "" {
		host = domain
	}
	if host != "" {
		req.Host, req.URL.Host = host, host
	}
	req.Header.Del("Host")
	if ip != "" {
		req.RemoteAddr = net.JoinHostPort(ip, "0")
	}
	if req.Header.Get("X-Forwarded-Proto") == "" {
		req.Header.Set("X-Forwarded-Proto", "https")
	}
}

func decodeBody(body string, b64 bool) ([]byte, error) {
	if !b64 {
		return []byte(body), nil
	}
	out, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("event body is marked base64 but does not decode: %w", err)
	}
	return out, nil
}

// encodeBody returns the body as the event response carries it: as text
// when it is text, base64 otherwise (any Content-Encoding, binary types,
// or bytes that are not UTF-8).
func encodeBody(h http.Header, body []byte) (string, bool) {
	if len(body) == 0 {
		return "", false
	}
	if ce := h.Get("Content-Encoding"); (ce == "" || ce == "identity") && isText(h.Get("Content-Type")) && utf8.Valid(body) {
		return string(body), false
	}
	return base64.StdEncoding.EncodeToString(body), true
}

func isText(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"), strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/json", "application/javascript", "application/xml", "application/x-www-form-urlencoded", "image/svg+xml":
		return true
	}
	return false
}

func toV2(rec *recorder, body string, b64 bool) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: rec.status, Headers: joinHeaders(rec.header, true),
		Cookies: rec.header.Values("Set-Cookie"), Body: body, IsBase64Encoded: b64,
	}
}

// joinHeaders flattens headers for shapes with one value per name. Only
// Set-Cookie cannot be joined: 2.0 sends it in its cookies field (skip),
// single-value ALB keeps the last one.
func joinHeaders(h http.Header, skipCookies bool) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		if len(vs) == 0 {
			continue
		}
		if k == "Set-Cookie" {
			if !skipCookies {
				out[k] = vs[len(vs)-1]
			}
			continue
		}
		out[k] = strings.Join(vs, ", ")
	}
	return out
}

func prefixLocation(h http.Header, stage string) {
	loc := h.Get("Location")
	if strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") && !strings.HasPrefix(loc, stage+"/") && loc != stage {
		h.Set("Location", stage+loc)
	}
}

// recorder is a buffered http.ResponseWriter.
type recorder struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, status: http.StatusOK} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.wroteHeader || code < 200 {
		return
	}
	r.status, r.wroteHeader = code, true
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	return r.body.Write(b)
}

// setHeaders copies an event's headers: REST APIs and ALB (with multi-value
// headers on) send every value in the multi-value map, otherwise one value
// per name.
func setHeaders(req *http.Request, multi map[string][]string, single map[string]string) {
	if len(multi) > 0 {
		for k, vs := range multi {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
		return
	}
	for k, v := range single {
		req.Header.Set(k, v)
	}
}
