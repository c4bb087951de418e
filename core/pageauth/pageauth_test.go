package pageauth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/frontbase/edge/core/pageauth"
	"github.com/frontbase/edge/core/pageauth/gotruetest"
	"github.com/frontbase/edge/core/secrets"
)

func newService(t *testing.T, g *gotruetest.Server, now *time.Time) *pageauth.Service {
	t.Helper()
	keys, err := secrets.ParseKeys("", "", "a-system-key-of-32-characters-xx")
	if err != nil {
		t.Fatal(err)
	}
	return pageauth.New(pageauth.Options{URL: g.URL + "/", AnonKey: gotruetest.AnonKey, HTTP: g.Client(), Keys: keys,
		Now: func() time.Time { return *now }})
}

func TestSignInSendsWhatSupabaseAuthReads(t *testing.T) {
	g := gotruetest.New(t, "ada@example.com", "s3cret!")
	now := time.Unix(1_800_000_000, 0)
	s := newService(t, g, &now)
	ctx := context.Background()

	if _, _, err := s.SignIn(ctx, "ada@example.com", "wrong"); err == nil {
		t.Fatal("a wrong password signed in")
	} else if pe := new(pageauth.Error); !errors.As(err, &pe) || pe.Message != "Invalid login credentials" || pe.Status != 400 {
		t.Fatalf("wrong password: %v", err)
	}
	sess, u, err := s.SignIn(ctx, "ada@example.com", "s3cret!")
	if err != nil {
		t.Fatal(err)
	}
	want := pageauth.User{ID: "uid-ada@example.com", Email: "ada@example.com", Name: "Ada Lovelace", FirstName: "Ada", Role: "authenticated"}
	if u != want {
		t.Errorf("user %+v, want %+v", u, want)
	}
	if sess.ExpiresAt != now.Unix()+3600 || sess.RefreshToken == "" {
		t.Errorf("session %+v", sess)
	}
	r := g.Received()[1]
	if r.Method != "POST" || r.Path != "/auth/v1/token" || r.Query != "grant_type=password" || r.APIKey != gotruetest.AnonKey ||
		r.Body["email"] != "ada@example.com" || r.Body["password"] != "s3cret!" {
		t.Errorf("sign-in request %+v", r)
	}
}

func TestUserIsCachedRefreshedAndRefused(t *testing.T) {
	g := gotruetest.New(t, "ada@example.com", "s3cret!")
	now := time.Unix(1_800_000_000, 0)
	s := newService(t, g, &now)
	ctx := context.Background()
	sess, _, err := s.SignIn(ctx, "ada@example.com", "s3cret!")
	if err != nil {
		t.Fatal(err)
	}
	// Sealed in the cookie and read back; anything else is no session.
	v, err := s.Seal(sess)
	if err != nil {
		t.Fatal(err)
	}
	back, err := s.Open(v)
	if err != nil || *back != *sess {
		t.Fatalf("open: %+v %v", back, err)
	}
	for _, bad := range []string{"", "x", v[:len(v)-4] + "AAAA"} {
		if _, err := s.Open(bad); !errors.Is(err, pageauth.ErrNoSession) {
			t.Errorf("Open(%q): %v", bad, err)
		}
	}

	// Signed in just now: the sign-in's user is believed for a while.
	if _, _, err := s.User(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if n := g.Calls("/auth/v1/user"); n != 0 {
		t.Errorf("%d user checks within the cache's life", n)
	}
	now = now.Add(pageauth.DefaultUserTTL + time.Second)
	if _, refreshed, err := s.User(ctx, sess); err != nil || refreshed != nil {
		t.Fatalf("after the cache: %v %v", refreshed, err)
	}
	if n := g.Calls("/auth/v1/user"); n != 1 {
		t.Errorf("%d user checks after the cache's life, want 1", n)
	}

	// Expired access token: refreshed, the new session handed back.
	now = now.Add(time.Hour)
	u, refreshed, err := s.User(ctx, sess)
	if err != nil || refreshed == nil || refreshed.AccessToken == sess.AccessToken || u.Email != "ada@example.com" {
		t.Fatalf("refresh: %+v %+v %v", u, refreshed, err)
	}
	// The old refresh token is spent: the old session is gone.
	if _, _, err := s.User(ctx, sess); !errors.Is(err, pageauth.ErrNoSession) {
		t.Errorf("spent refresh token: %v", err)
	}

	// Revoked elsewhere: refused once the cached answer is stale.
	g.Revoke("ada@example.com")
	now = now.Add(pageauth.DefaultUserTTL + time.Second)
	if _, _, err := s.User(ctx, refreshed); !errors.Is(err, pageauth.ErrNoSession) {
		t.Errorf("revoked session: %v", err)
	}
}

func TestSignUp(t *testing.T) {
	g := gotruetest.New(t, "ada@example.com", "s3cret!")
	now := time.Unix(1_800_000_000, 0)
	s := newService(t, g, &now)
	ctx := context.Background()
	for _, c := range []struct {
		name, email, password string
		confirm, session      bool
		err                   string
	}{
		{"taken", "ada@example.com", "s3cret!", false, false, "User already registered"},
		{"weak", "bob@example.com", "123", false, false, "Password should be at least 6 characters."},
		{"autoconfirm", "bob@example.com", "s3cret!", false, true, ""},
		{"confirm by email", "cy@example.com", "s3cret!", true, false, ""},
	} {
		g.ConfirmEmail(c.confirm)
		sess, u, err := s.SignUp(ctx, c.email, c.password)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || (sess != nil) != c.session || u.Email != c.email {
			t.Errorf("%s: %+v %+v %v", c.name, sess, u, err)
		}
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	g := gotruetest.New(t, "ada@example.com", "s3cret!")
	now := time.Unix(1_800_000_000, 0)
	s := newService(t, g, &now)
	ctx := context.Background()
	sess, _, err := s.SignIn(ctx, "ada@example.com", "s3cret!")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SignOut(ctx, sess); err != nil {
		t.Fatal(err)
	}
	// The cached user went with it: the provider is asked, and refuses.
	if _, _, err := s.User(ctx, sess); !errors.Is(err, pageauth.ErrNoSession) {
		t.Errorf("after sign-out: %v", err)
	}
	// Signing out twice is not an error.
	if err := s.SignOut(ctx, sess); err != nil {
		t.Errorf("second sign-out: %v", err)
	}
}
