package contracttest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/frontbase/edge/core/pageauth"
	"github.com/frontbase/edge/core/pageauth/gotruetest"
	ct "github.com/frontbase/edge/functions/internal/contracttest"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// P6: what the gated page's sign-in card posts (ssr/gatedPage.ts: a plain
// <form method="POST" action="/api/page-auth/login"> with redirectTo,
// email and password; the script switches the action to /signup), with
// FRONTBASE_AUTH as the control plane builds it and Supabase Auth faked
// on loopback (listed in FRONTBASE_HTTP_ALLOW, as a self-hosted one is).
func TestPageAuthContract(t *testing.T) {
	g := gotruetest.New(t, "ada@example.com", "s3cret!")
	host := strings.TrimPrefix(g.URL, "http://")
	e := enginetest.Start(t, enginetest.Options{Mode: "local", Env: map[string]string{
		"FRONTBASE_AUTH": fmt.Sprintf(`{"provider": "supabase", "url": %q, "anonKey": %q, "jwtSecret": "unused", "contacts": null}`,
			g.URL, gotruetest.AnonKey),
		"FRONTBASE_HTTP_ALLOW": host,
	}})

	// A wrong password: back to the page, the card shows auth_error.
	r := ct.BrowserForm(t, e, "POST", "/api/page-auth/login", url.Values{"redirectTo": {"/members"}, "email": {"ada@example.com"}, "password": {"wrong!"}})
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.Status != 303 || loc == nil || loc.Path != "/members" || loc.Query().Get("auth_error") != "Invalid login credentials" {
		t.Fatalf("wrong password: %d %q", r.Status, r.Header.Get("Location"))
	}

	// Signed in: back to the page with the session cookie.
	r = ct.BrowserForm(t, e, "POST", "/api/page-auth/login", url.Values{"redirectTo": {"/members"}, "email": {"ada@example.com"}, "password": {"s3cret!"}})
	if r.Status != 303 || r.Header.Get("Location") != "/members" {
		t.Fatalf("sign-in: %d %q %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == pageauth.CookieName {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie: %v", r.Header["Set-Cookie"])
	}
	sent := g.Received()
	if last := sent[len(sent)-1]; last.Path != "/auth/v1/token" || last.Query != "grant_type=password" || last.APIKey != gotruetest.AnonKey {
		t.Errorf("the provider got %+v", last)
	}

	// The page's script asks who is signed in.
	r = ct.BrowserForm(t, e, "GET", "/api/page-auth/me", nil, session)
	var me struct {
		Success bool           `json:"success"`
		User    *pageauth.User `json:"user"`
	}
	if err := json.Unmarshal([]byte(r.Body), &me); err != nil || r.Status != 200 || !me.Success || me.User == nil || me.User.ID != "uid-ada@example.com" {
		t.Errorf("me: %d %s", r.Status, r.Body)
	}

	// Sign-up from the card's other mode: the provider confirms by email.
	g.ConfirmEmail(true)
	r = ct.BrowserForm(t, e, "POST", "/api/page-auth/signup", url.Values{"redirectTo": {"/members"}, "email": {"bob@example.com"}, "password": {"s3cret!"}})
	loc, _ = url.Parse(r.Header.Get("Location"))
	if r.Status != 303 || loc == nil || loc.Query().Get("auth_message") != "Check your email to confirm your account" {
		t.Errorf("sign-up: %d %q", r.Status, r.Header.Get("Location"))
	}

	// The page's sign-out form: POST /api/page-auth/logout?redirectTo=….
	r = ct.BrowserForm(t, e, "POST", "/api/page-auth/logout?redirectTo=%2Fmembers", url.Values{}, session)
	if r.Status != 303 || r.Header.Get("Location") != "/members" || !strings.Contains(r.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout: %d %q %q", r.Status, r.Header.Get("Location"), r.Header.Get("Set-Cookie"))
	}
	if r := ct.BrowserForm(t, e, "GET", "/api/page-auth/me", nil, session); r.Status != 401 {
		t.Errorf("me after logout: %d %s", r.Status, r.Body)
	}
}

// privatePage is a page the builder marked private (isPublic: false).
func privatePage(slug string) string {
	return fmt.Sprintf(`{"page": {"id": "p-%[1]s", "slug": "%[1]s", "tenantSlug": "acme", "name": "Members", "isPublic": false,
	  "layoutData": {"content": [{"id": "t", "type": "Text", "props": {"text": "Members-only secret"}}]}}, "force": true}`, slug)
}

// P6, private pages: a signed-out visitor gets the sign-in card and not
// the content; a signed-in one gets the page, kept out of every shared
// cache; without FRONTBASE_AUTH a private page stays not found.
func TestPrivatePageContract(t *testing.T) {
	g := gotruetest.New(t, "ada@example.com", "s3cret!")
	withAuth := enginetest.Start(t, enginetest.Options{Mode: "local", Env: map[string]string{
		"FRONTBASE_AUTH":       fmt.Sprintf(`{"provider": "supabase", "url": %q, "anonKey": %q}`, g.URL, gotruetest.AnonKey),
		"FRONTBASE_HTTP_ALLOW": strings.TrimPrefix(g.URL, "http://"),
		"FRONTBASE_TENANT":     "acme",
	}})
	without := enginetest.Start(t, enginetest.Options{Mode: "local", Env: map[string]string{"FRONTBASE_TENANT": "acme"}})
	for _, e := range []*enginetest.Engine{withAuth, without} {
		publishPage(t, e, privatePage("members"))
	}

	if r := ct.BrowserForm(t, without, "GET", "/members", nil); r.Status != 404 || strings.Contains(r.Body, "Members-only") {
		t.Errorf("without FRONTBASE_AUTH: %d", r.Status)
	}

	// Signed out, twice (the second would be a cache hit were it cached).
	for i := range 2 {
		r := ct.BrowserForm(t, withAuth, "GET", "/members?tab=2&auth_error=Invalid+login+credentials", nil)
		if r.Status != 200 || strings.Contains(r.Body, "Members-only") || !strings.Contains(r.Body, `action="/api/page-auth/login"`) ||
			!strings.Contains(r.Body, `name="redirectTo" value="/members?tab=2"`) || !strings.Contains(r.Body, "Invalid login credentials") ||
			r.Header.Get("Cache-Control") != "private, no-store" {
			t.Fatalf("signed out %d: %d %q %s", i, r.Status, r.Header.Get("Cache-Control"), r.Body)
		}
	}

	r := ct.BrowserForm(t, withAuth, "POST", "/api/page-auth/login", url.Values{"redirectTo": {"/members"}, "email": {"ada@example.com"}, "password": {"s3cret!"}})
	var session *http.Cookie
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == pageauth.CookieName {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("sign-in: %d %v", r.Status, r.Header)
	}
	for i := range 2 {
		r = ct.BrowserForm(t, withAuth, "GET", "/members", nil, session)
		if r.Status != 200 || !strings.Contains(r.Body, "Members-only secret") || r.Header.Get("Cache-Control") != "private, no-store" {
			t.Fatalf("signed in %d: %d %q %s", i, r.Status, r.Header.Get("Cache-Control"), r.Body)
		}
	}
	// What the signed-in visitor got was not kept for anyone else.
	if r := ct.BrowserForm(t, withAuth, "GET", "/members", nil); strings.Contains(r.Body, "Members-only") {
		t.Errorf("after a signed-in view, signed out: %d %s", r.Status, r.Body)
	}
	// A forged cookie is no session.
	if r := ct.BrowserForm(t, withAuth, "GET", "/members", nil, &http.Cookie{Name: pageauth.CookieName, Value: "forged"}); strings.Contains(r.Body, "Members-only") {
		t.Errorf("forged cookie: %d %s", r.Status, r.Body)
	}
	// Missing pages stay 404 with sign-in configured.
	if r := ct.BrowserForm(t, withAuth, "GET", "/nowhere", nil); r.Status != 404 {
		t.Errorf("missing page: %d", r.Status)
	}
	// A page made private by a later publish is known as private at once.
	publishPage(t, withAuth, strings.Replace(privatePage("nowhere"), `"isPublic": false`, `"isPublic": true`, 1))
	if r := ct.BrowserForm(t, withAuth, "GET", "/nowhere", nil); r.Status != 200 || !strings.Contains(r.Body, "Members-only") {
		t.Fatalf("published public: %d", r.Status)
	}
	publishPage(t, withAuth, privatePage("nowhere"))
	if r := ct.BrowserForm(t, withAuth, "GET", "/nowhere", nil); r.Status != 200 || strings.Contains(r.Body, "Members-only") || !strings.Contains(r.Body, "/api/page-auth/login") {
		t.Errorf("republished private, signed out: %d %s", r.Status, r.Body)
	}
	if r := ct.BrowserForm(t, withAuth, "GET", "/nowhere", nil, session); r.Status != 200 || !strings.Contains(r.Body, "Members-only") {
		t.Errorf("republished private, signed in: %d", r.Status)
	}
}
