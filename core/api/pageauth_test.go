package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontbase/edge/core/pageauth"
	"github.com/frontbase/edge/core/pageauth/gotruetest"
	"github.com/frontbase/edge/core/secrets"
	"github.com/frontbase/edge/core/site"
)

func pageAuthHandler(t *testing.T, g *gotruetest.Server, now ...func() time.Time) http.Handler {
	t.Helper()
	opts := Options{}
	if g != nil {
		keys, err := secrets.ParseKeys("", "", "a-system-key-of-32-characters-xx")
		if err != nil {
			t.Fatal(err)
		}
		o := pageauth.Options{URL: g.URL, AnonKey: gotruetest.AnonKey, HTTP: g.Client(), Keys: keys}
		if len(now) > 0 {
			o.Now = now[0]
		}
		opts.PageAuth = pageauth.New(o)
	}
	return New(site.New(&settingsStore{}, site.Options{}), opts)
}

// authCall sends a form post (form != nil) or a JSON body to the handler.
func authCall(h http.Handler, method, target string, form url.Values, body string, cookie *http.Cookie, header ...string) *httptest.ResponseRecorder {
	var r *http.Request
	switch {
	case form != nil:
		r = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case body != "":
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	default:
		r = httptest.NewRequest(method, target, nil)
	}
	r.Host = "site.example.com"
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	if cookie != nil {
		r.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func sessionOf(t *testing.T, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == pageauth.CookieName {
			return c
		}
	}
	return nil
}

func TestPageAuthFormPosts(t *testing.T) {
	g := gotruetest.New(t, "ada@example.com", "s3cret!")
	h := pageAuthHandler(t, g)
	login := func(pw, redirectTo string) url.Values {
		return url.Values{"email": {"ada@example.com"}, "password": {pw}, "redirectTo": {redirectTo}, "isEmbed": {"false"}, "formId": {""}}
	}
	for _, c := range []struct {
		name, path string
		form       url.Values
		location   string
		session    bool
	}{
		{"signed in", "/api/page-auth/login", login("s3cret!", "/members?tab=1"), "/members?tab=1", true},
		{"same host URL", "/api/page-auth/login", login("s3cret!", "https://site.example.com/members"), "https://site.example.com/members", true},
		{"wrong password", "/api/page-auth/login", login("nope", "/members"), "http://site.example.com/members?auth_error=Invalid+login+credentials", false},
		{"other host", "/api/page-auth/login", login("s3cret!", "https://evil.example/"), "/", true},
		{"scheme-relative", "/api/page-auth/login", login("nope", "//evil.example/x"), "http://site.example.com/?auth_error=Invalid+login+credentials", false},
		{"backslash", "/api/page-auth/login", login("s3cret!", "/\\evil.example"), "/", true},
		{"javascript", "/api/page-auth/login", login("s3cret!", "javascript:alert(1)"), "/", true},
		{"sign-up taken", "/api/page-auth/signup", login("s3cret!", "/join"), "http://site.example.com/join?auth_error=User+already+registered", false},
		{"sign-up", "/api/page-auth/signup", url.Values{"email": {"bob@example.com"}, "password": {"s3cret!"}, "redirectTo": {"/members"}}, "/members", true},
	} {
		rec := authCall(h, "POST", c.path, c.form, "", nil)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != c.location {
			t.Errorf("%s: %d to %q, want 303 to %q", c.name, rec.Code, rec.Header().Get("Location"), c.location)
		}
		if got := sessionOf(t, rec) != nil; got != c.session {
			t.Errorf("%s: session cookie %v, want %v", c.name, got, c.session)
		}
	}

	// The cookie: HttpOnly, SameSite=Lax, whole site, Secure over https.
	rec := authCall(h, "POST", "/api/page-auth/login", login("s3cret!", "/"), "", nil, "X-Forwarded-Proto", "https")
	sess := sessionOf(t, rec)
	if sess == nil || !sess.HttpOnly || !sess.Secure || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.MaxAge <= 0 {
		t.Fatalf("cookie %+v", sess)
	}
	if strings.Contains(sess.Value, "access-") {
		t.Errorf("the cookie shows the provider's token: %s", sess.Value)
	}
	if plain := sessionOf(t, authCall(h, "POST", "/api/page-auth/login", login("s3cret!", "/"), "", nil)); plain == nil || plain.Secure {
		t.Errorf("over http: %+v", plain)
	}

	// Who is signed in.
	rec = authCall(h, "GET", "/api/page-auth/me", nil, "", sess)
	var me struct {
		Success bool
		User    *pageauth.User
	}
	json.Unmarshal(rec.Body.Bytes(), &me)
	if rec.Code != 200 || !me.Success || me.User == nil || me.User.Email != "ada@example.com" || me.User.Name != "Ada Lovelace" {
		t.Errorf("me: %d %s", rec.Code, rec.Body)
	}
	if rec := authCall(h, "GET", "/api/page-auth/me", nil, "", &http.Cookie{Name: pageauth.CookieName, Value: "forged"}); rec.Code != 401 ||
		strings.TrimSpace(rec.Body.String()) != `{"success":false,"user":null}` || sessionOf(t, rec) == nil {
		t.Errorf("forged cookie: %d %s (the cookie should be cleared)", rec.Code, rec.Body)
	}

	// Sign-out: back to ?redirectTo, the cookie cleared, the session ended.
	rec = authCall(h, "POST", "/api/page-auth/logout?redirectTo=/bye", url.Values{}, "", sess)
	if rec.Code != 303 || rec.Header().Get("Location") != "/bye" {
		t.Errorf("logout: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if c := sessionOf(t, rec); c == nil || c.MaxAge >= 0 {
		t.Errorf("logout cookie %+v", c)
	}
	if rec := authCall(h, "GET", "/api/page-auth/me", nil, "", sess); rec.Code != 401 {
		t.Errorf("me after logout: %d %s", rec.Code, rec.Body)
	}
}

func TestPageAuthJSON(t *testing.T) {
	g := gotruetest.New(t, "ada@example.com", "s3cret!")
	g.ConfirmEmail(true)
	h := pageAuthHandler(t, g)
	for _, c := range []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"signed in", "/api/page-auth/login", `{"email":"ada@example.com","password":"s3cret!","redirectTo":"/members"}`, 200,
			`{"success":true,"user":{"id":"uid-ada@example.com","email":"ada@example.com","name":"Ada Lovelace","firstName":"Ada","lastName":"","role":"authenticated"},"redirectUrl":"/members"}`},
		{"wrong password", "/api/page-auth/login", `{"email":"ada@example.com","password":"x"}`, 401, `{"error":"Invalid login credentials"}`},
		{"missing", "/api/page-auth/login", `{"email":"ada@example.com"}`, 400, `{"error":"Email and password required"}`},
		{"not JSON", "/api/page-auth/signup", `email=x`, 400, `{"error":"Email and password required"}`},
		{"sign-up to confirm", "/api/page-auth/signup", `{"email":"bob@example.com","password":"s3cret!"}`, 200, `{"message":"Check your email to confirm your account","success":true}`},
		{"logout without session", "/api/page-auth/logout", `{}`, 200, `{"success":true}`},
	} {
		rec := authCall(h, "POST", c.path, nil, c.body, nil)
		if rec.Code != c.status || strings.TrimSpace(rec.Body.String()) != c.want {
			t.Errorf("%s: %d %s, want %d %s", c.name, rec.Code, rec.Body, c.status, c.want)
		}
	}
	// A form sign-up waiting for the email: back with auth_message.
	rec := authCall(h, "POST", "/api/page-auth/signup", url.Values{"email": {"cy@example.com"}, "password": {"s3cret!"}, "redirectTo": {"/members"}}, "", nil)
	if rec.Code != 303 || rec.Header().Get("Location") != "http://site.example.com/members?auth_message=Check+your+email+to+confirm+your+account" {
		t.Errorf("form sign-up to confirm: %d %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestPageAuthLimitsAttemptsPerAddress(t *testing.T) {
	g := gotruetest.New(t, "ada@example.com", "s3cret!")
	h := pageAuthHandler(t, g)
	body := `{"email":"ada@example.com","password":"x"}`
	for i := range pageAuthAttempts {
		if rec := authCall(h, "POST", "/api/page-auth/login", nil, body, nil); rec.Code != 401 {
			t.Fatalf("attempt %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	if rec := authCall(h, "POST", "/api/page-auth/login", nil, body, nil); rec.Code != 429 || !strings.Contains(rec.Body.String(), "Too many attempts") {
		t.Errorf("JSON over the limit: %d %s", rec.Code, rec.Body)
	}
	rec := authCall(h, "POST", "/api/page-auth/login", url.Values{"email": {"ada@example.com"}, "password": {"s3cret!"}, "redirectTo": {"/m"}}, "", nil)
	if rec.Code != 303 || !strings.Contains(rec.Header().Get("Location"), "auth_error=Too+many+attempts") || sessionOf(t, rec) != nil {
		t.Errorf("form over the limit: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if n := g.Calls("/auth/v1/token"); n != pageAuthAttempts {
		t.Errorf("the provider was asked %d times, want %d", n, pageAuthAttempts)
	}
	// Sign-up counts apart.
	if rec := authCall(h, "POST", "/api/page-auth/signup", nil, `{"email":"bob@example.com","password":"s3cret!"}`, nil); rec.Code != 200 {
		t.Errorf("sign-up: %d %s", rec.Code, rec.Body)
	}
}

func TestPageAuthWithoutProvider(t *testing.T) {
	h := pageAuthHandler(t, nil)
	for _, path := range []string{"/api/page-auth/login", "/api/page-auth/signup", "/api/page-auth/logout"} {
		rec := authCall(h, "POST", path, nil, `{"email":"a@b.c","password":"x"}`, nil)
		if rec.Code != 503 || strings.TrimSpace(rec.Body.String()) != `{"error":"Supabase not configured"}` {
			t.Errorf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
	if rec := authCall(h, "GET", "/api/page-auth/me", nil, "", nil); rec.Code != 401 {
		t.Errorf("me: %d %s", rec.Code, rec.Body)
	}
}

func TestPageAuthRefreshesAnExpiredSession(t *testing.T) {
	g := gotruetest.New(t, "ada@example.com", "s3cret!")
	var mu sync.Mutex
	clock := time.Unix(1_800_000_000, 0)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	h := pageAuthHandler(t, g, now)
	old := sessionOf(t, authCall(h, "POST", "/api/page-auth/login", nil, `{"email":"ada@example.com","password":"s3cret!"}`, nil))
	if old == nil {
		t.Fatal("no session")
	}
	mu.Lock()
	clock = clock.Add(2 * time.Hour) // past the access token's hour
	mu.Unlock()
	rec := authCall(h, "GET", "/api/page-auth/me", nil, "", old)
	fresh := sessionOf(t, rec)
	if rec.Code != 200 || fresh == nil || fresh.Value == old.Value || fresh.MaxAge <= 0 {
		t.Fatalf("expired session: %d %s, cookie %+v", rec.Code, rec.Body, fresh)
	}
	if n := g.Calls("/auth/v1/token"); n != 2 {
		t.Errorf("%d token calls, want sign-in and refresh", n)
	}
	if rec := authCall(h, "GET", "/api/page-auth/me", nil, "", fresh); rec.Code != 200 {
		t.Errorf("refreshed cookie: %d", rec.Code)
	}
	// The old cookie's refresh token is spent.
	if rec := authCall(h, "GET", "/api/page-auth/me", nil, "", old); rec.Code != 401 {
		t.Errorf("old cookie: %d", rec.Code)
	}
}
