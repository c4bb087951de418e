package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/core/site"
)

// settingsStore is the part of the state store a preview reads: the
// tenant's settings. Any other call panics (site.Store is nil), which is
// the isolation check: a preview never loads or writes a page.
type settingsStore struct {
	site.Store
	reads atomic.Int64
}

// Generation is read for the site's request policy (IP blocklist and
// security headers), which previews obey like pages.
func (s *settingsStore) Generation(context.Context) (int64, error) { return 1, nil }

func (s *settingsStore) Settings(context.Context, string) (*core.Settings, error) {
	s.reads.Add(1)
	return &core.Settings{SiteName: "Published Name"}, nil
}

const testKey = "preview-test-key-0123456789"

type clock struct{ t atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(c.t.Load(), 0) }
func (c *clock) add(d time.Duration) { c.t.Add(int64(d / time.Second)) }

func newPreviewHandler(t *testing.T) (http.Handler, *clock, *settingsStore) {
	t.Helper()
	store := &settingsStore{}
	c := &clock{}
	c.t.Store(time.Now().Unix())
	svc := site.New(store, site.Options{})
	return New(svc, Options{SystemKey: testKey, Analytics: Analytics{Now: c.now}}), c, store
}

func do(h http.Handler, method, path, body string, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

var keyHdr = map[string]string{"X-System-Key": testKey}

const draftPage = `{"id":"p1","slug":"draft","title":"Draft <b>title</b>","isPublic":true,"layoutData":{"content":[{"id":"h","type":"Heading","props":{"text":"Hello draft"}}]}}`

func createPreview(t *testing.T, h http.Handler, body string) (url string, expires time.Time) {
	t.Helper()
	rec := do(h, "POST", "/api/preview", body, keyHdr)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /api/preview: %d %s", rec.Code, rec.Body)
	}
	var out wire.PreviewResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out.URL, out.ExpiresAt
}

func TestPreviewRendersNoindexUncached(t *testing.T) {
	h, c, store := newPreviewHandler(t)
	link, expires := createPreview(t, h, `{"page":`+draftPage+`}`)
	if want := c.now().Add(site.DefaultPreviewTTL); !expires.Equal(want) {
		t.Errorf("expiresAt %v, want the default hour: %v", expires, want)
	}
	path := strings.TrimPrefix(link, "http://example.com")
	token := strings.TrimPrefix(path, "/_preview/")
	if b := len(token) * 6; b < 128+64 { // random bits plus expiry and MAC
		t.Errorf("token %q is only %d bits", token, b)
	}
	rec := do(h, "GET", path, "", nil)
	body := rec.Body.String()
	checks := []struct {
		name string
		ok   bool
	}{
		{"status 200", rec.Code == http.StatusOK},
		{"robots meta", strings.Contains(body, `<meta name="robots" content="noindex">`)},
		{"X-Robots-Tag", rec.Header().Get("X-Robots-Tag") == "noindex"},
		{"Cache-Control", rec.Header().Get("Cache-Control") == "private, no-store"},
		{"draft content", strings.Contains(body, "Hello draft")},
		{"published settings", strings.Contains(body, "Published Name")},
		{"escaped title", strings.Contains(body, "Draft &lt;b&gt;title&lt;/b&gt;") && !strings.Contains(body, "<b>title")},
		{"no ETag", rec.Header().Get("Etag") == ""},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("%s: failed; status %d, headers %v", ch.name, rec.Code, rec.Header())
		}
	}
	if store.reads.Load() == 0 {
		t.Error("the preview did not read the tenant's settings")
	}

	c.add(site.DefaultPreviewTTL)
	if rec := do(h, "GET", path, "", nil); rec.Code != http.StatusGone || rec.Header().Get("Cache-Control") != "private, no-store" {
		t.Errorf("after its TTL: %d %v, want 410 uncached", rec.Code, rec.Header())
	}
}

func TestPreviewTokens(t *testing.T) {
	h, c, _ := newPreviewHandler(t)
	link, _ := createPreview(t, h, `{"page":`+draftPage+`,"ttlSeconds":60}`)
	token := strings.TrimPrefix(link, "http://example.com/_preview/")
	other, _ := createPreview(t, h, `{"page":`+draftPage+`,"ttlSeconds":60}`)
	if other == link {
		t.Fatal("two previews got the same link")
	}
	flip := []byte(token)
	flip[3] ^= 1
	if flip[3] == '_' || flip[3] == '-' || flip[3] > 'z' {
		flip[3] = 'A'
	}
	// Another engine's token: same shape, another key's MAC.
	otherEngine := &handler{keyHash: [32]byte{1}, opts: Options{SystemKey: "x"}}
	foreign := otherEngine.newPreviewToken(c.now().Add(time.Hour))
	tests := []struct {
		name  string
		path  string
		after time.Duration
		want  int
	}{
		{"issued", "/_preview/" + token, 0, http.StatusOK},
		{"unknown", "/_preview/" + strings.Repeat("A", len(token)), 0, http.StatusNotFound},
		{"tampered", "/_preview/" + string(flip), 0, http.StatusNotFound},
		{"short", "/_preview/abc", 0, http.StatusNotFound},
		{"another key", "/_preview/" + foreign, 0, http.StatusNotFound},
		{"hostile", "/_preview/%3Cscript%3E", 0, http.StatusNotFound},
		{"expired", "/_preview/" + token, 61 * time.Second, http.StatusGone},
	}
	for _, tt := range tests {
		c.add(tt.after)
		rec := do(h, "GET", tt.path, "", nil)
		if rec.Code != tt.want {
			t.Errorf("%s: %d, want %d: %s", tt.name, rec.Code, tt.want, rec.Body)
		}
		if rec.Header().Get("X-Robots-Tag") != "noindex" || strings.Contains(rec.Body.String(), "<script") {
			t.Errorf("%s: headers %v body %q", tt.name, rec.Header(), rec.Body)
		}
	}
}

func TestPreviewRequests(t *testing.T) {
	h, _, _ := newPreviewHandler(t)
	tests := []struct {
		name   string
		body   string
		hdr    map[string]string
		status int
		paths  []string // JSON paths the details must name
	}{
		{"no key", `{"page":` + draftPage + `}`, nil, http.StatusUnauthorized, nil},
		{"wrong key", `{"page":` + draftPage + `}`, map[string]string{"X-System-Key": "nope-nope-nope-nope"}, http.StatusUnauthorized, nil},
		{"ok", `{"page":` + draftPage + `,"ttlSeconds":604800}`, keyHdr, http.StatusOK, nil},
		{"ttl above 7 days", `{"page":` + draftPage + `,"ttlSeconds":604801}`, keyHdr, http.StatusBadRequest, []string{"ttlSeconds"}},
		{"ttl zero", `{"page":` + draftPage + `,"ttlSeconds":0}`, keyHdr, http.StatusBadRequest, []string{"ttlSeconds"}},
		{"ttl fraction", `{"page":` + draftPage + `,"ttlSeconds":1.5}`, keyHdr, http.StatusBadRequest, []string{"ttlSeconds"}},
		{"ttl string", `{"page":` + draftPage + `,"ttlSeconds":"60"}`, keyHdr, http.StatusBadRequest, []string{"ttlSeconds"}},
		{"no page", `{}`, keyHdr, http.StatusBadRequest, []string{"page"}},
		{"bad page and ttl", `{"page":{"slug":"bad/../slug"},"ttlSeconds":-1}`, keyHdr, http.StatusBadRequest, []string{"slug", "ttlSeconds"}},
		{"broken JSON", `{"page":`, keyHdr, http.StatusBadRequest, nil},
	}
	for _, tt := range tests {
		rec := do(h, "POST", "/api/preview", tt.body, tt.hdr)
		if rec.Code != tt.status {
			t.Errorf("%s: %d, want %d: %s", tt.name, rec.Code, tt.status, rec.Body)
			continue
		}
		if tt.status == http.StatusOK {
			continue
		}
		var e wire.Error
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Success || e.Error == "" {
			t.Errorf("%s: not the control plane's error shape: %s", tt.name, rec.Body)
		}
		for _, p := range tt.paths {
			found := false
			for _, d := range e.Details {
				found = found || d.Path == p
			}
			if !found {
				t.Errorf("%s: details %+v name no %q", tt.name, e.Details, p)
			}
		}
	}
}

func TestPreviewClosedWithoutKey(t *testing.T) {
	h := New(site.New(&settingsStore{}, site.Options{}), Options{})
	if rec := do(h, "POST", "/api/preview", `{"page":`+draftPage+`}`, keyHdr); rec.Code != http.StatusUnauthorized {
		t.Errorf("POST without a configured key: %d", rec.Code)
	}
	if rec := do(h, "GET", "/_preview/"+strings.Repeat("A", 43), "", nil); rec.Code != http.StatusNotFound {
		t.Errorf("GET without a configured key: %d", rec.Code)
	}
}
