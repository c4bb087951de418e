package vercel

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
	"github.com/frontbase/edge/functions/internal/faas"
)

// bridge is what Vercel's Go bridge hands the handler: a writer that
// records the answer and cannot flush.
type bridge struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBridge() *bridge                      { return &bridge{header: http.Header{}, status: 200} }
func (b *bridge) Header() http.Header         { return b.header }
func (b *bridge) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bridge) WriteHeader(code int)        { b.status = code }
func (b *bridge) String() string {
	return fmt.Sprintf("%d %v (%d bytes)", b.status, b.header, b.body.Len())
}
func (b *bridge) decoded(t *testing.T) []byte {
	t.Helper()
	if b.header.Get("Content-Encoding") != "gzip" {
		return b.body.Bytes()
	}
	zr, err := gzip.NewReader(bytes.NewReader(b.body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAnswersFitVercelsLimit: a management answer over Vercel's 4.5 MB
// (the document of a page whose text is HTML-heavy: Go's JSON writes each
// < as \u003c, six bytes) comes back gzipped under the limit when the
// client takes gzip, and as a 500 that names the limit otherwise; every
// answer under the limit is the engine's, byte for byte.
func TestAnswersFitVercelsLimit(t *testing.T) {
	const key = "vercel-fit-key-0123456789"
	t.Setenv("FRONTBASE_LOCAL_DB_PATH", filepath.Join(t.TempDir(), "pages.db"))
	t.Setenv("FRONTBASE_SYSTEM_KEY", key)
	t.Setenv("FRONTBASE_LOG_LEVEL", "warn")
	saved := lazy
	lazy = &faas.Lazy{}
	defer func() { lazy = saved }()

	req := func(method, path, body string, kv ...string) *http.Request {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Host = "frontbase-demo.vercel.app"
		r.Header.Set("X-Request-Id", "fit-test")
		for i := 0; i+1 < len(kv); i += 2 {
			r.Header.Set(kv[i], kv[i+1])
		}
		return r
	}
	big := enginetest.OversizedDocumentPage()
	small := `{"page": {"id": "small", "slug": "small", "name": "Small", "title": "Small", "isPublic": true, "isHomepage": true,
		"layoutData": {"content": [{"id": "h1", "type": "Heading", "props": {"text": "Hello", "level": "h1"}}], "root": {}}}}`
	for _, body := range []string{big, small} {
		w := newBridge()
		Handler(w, req("POST", "/api/import", body, "X-System-Key", key, "Content-Type", "application/json"))
		if w.status != 200 {
			t.Fatalf("publish: %s %.300s", w, w.body.String())
		}
	}

	t.Run("over the limit", func(t *testing.T) {
		for _, tt := range []struct {
			name, accept string
			status       int
		}{
			{"gzipped", "gzip, deflate", 200},
			{"refused without gzip", "", 500},
		} {
			t.Run(tt.name, func(t *testing.T) {
				w := newBridge()
				Handler(w, req("GET", "/api/manage/pages/big", "", "X-System-Key", key, "Accept-Encoding", tt.accept))
				if w.status != tt.status || w.body.Len() > MaxResponse.Bytes {
					t.Fatalf("%s, want %d under %d bytes", w, tt.status, MaxResponse.Bytes)
				}
				var got struct {
					Success bool
					Error   string
					Page    struct{ Slug string }
				}
				if err := json.Unmarshal(w.decoded(t), &got); err != nil {
					t.Fatal(err)
				}
				switch tt.status {
				case 200:
					if !got.Success || got.Page.Slug != "big" || w.header.Get("Content-Encoding") != "gzip" {
						t.Errorf("%s: %+v", w, got)
					}
				default:
					if got.Success || !strings.Contains(got.Error, "over the 4500000 bytes (4.5 MB) Vercel takes from a function; send Accept-Encoding: gzip") {
						t.Errorf("refusal %q", got.Error)
					}
				}
			})
		}
	})

	// Under the limit, an answer through Handler is the engine's own.
	eng, _, err := lazy.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, path, accept string }{
		{"page", "/", ""},
		{"page gzipped", "/", "gzip"},
		{"the big page", "/big", ""},
		{"a page's document", "/api/manage/pages/small", ""},
		{"listing", "/api/manage/pages", "gzip"},
		{"not found", "/nope", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := func() *http.Request {
				return req("GET", tt.path, "", "X-System-Key", key, "Accept-Encoding", tt.accept)
			}
			eng.Handler.ServeHTTP(newBridge(), r()) // the same cache tier for both
			direct, fitted := newBridge(), newBridge()
			eng.Handler.ServeHTTP(direct, r())
			Handler(fitted, r())
			if fitted.status != direct.status || !bytes.Equal(fitted.body.Bytes(), direct.body.Bytes()) || fmt.Sprint(fitted.header) != fmt.Sprint(direct.header) {
				t.Errorf("through Handler %s, engine %s", fitted, direct)
			}
		})
	}
}
