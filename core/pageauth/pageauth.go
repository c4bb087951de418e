// Package pageauth signs visitors in to a site's private pages through the
// site's Supabase Auth (GoTrue) project, over HTTP: password sign-in,
// sign-up, sign-out and the user of an access token. The visitor's session
// (the provider's tokens) travels in one HttpOnly cookie sealed with the
// engine's secrets key, so a script on the page can neither read it nor
// forge it.
package pageauth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/frontbase/edge/core/secrets"
)

// CookieName is the session cookie this engine sets (the TypeScript
// engine's sb-<ref>-auth-token is readable by scripts; this one is not).
const CookieName = "fb_page_session"

// Defaults.
const (
	DefaultTimeout = 5 * time.Second
	// DefaultUserTTL is how long a checked access token is believed
	// without asking the provider again: a signed-out session stays
	// usable on this instance for at most this long.
	DefaultUserTTL = 30 * time.Second
	maxCached      = 10000
	maxAnswerBytes = 1 << 20
)

// Options configure a Service.
type Options struct {
	URL     string // the Supabase project's URL
	AnonKey string
	HTTP    *http.Client // the SSRF-guarded client
	Keys    *secrets.Keys
	Timeout time.Duration // per provider call; 0: DefaultTimeout
	UserTTL time.Duration // 0: DefaultUserTTL
	Now     func() time.Time
}

// Service talks to the provider and seals sessions.
type Service struct {
	opts  Options
	mu    sync.Mutex
	users map[[32]byte]cachedUser
}

type cachedUser struct {
	user  User
	until time.Time
}

// User is the signed-in visitor as the TypeScript engine describes it
// (enrichUserContext without the contacts table).
type User struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Avatar    string `json:"avatar,omitempty"`
	Role      string `json:"role"`
}

// Session is what the cookie holds.
type Session struct {
	AccessToken  string `json:"a"`
	RefreshToken string `json:"r"`
	ExpiresAt    int64  `json:"e"` // Unix seconds
}

// Error is the provider's refusal (wrong password, user exists, …); its
// message is the provider's, shown to the visitor as auth_error.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// ErrNoSession is a request without a usable session.
var ErrNoSession = errors.New("not signed in")

// New returns a Service.
func New(opts Options) *Service {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.UserTTL <= 0 {
		opts.UserTTL = DefaultUserTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTP == nil {
		opts.HTTP = http.DefaultClient
	}
	opts.URL = strings.TrimRight(opts.URL, "/")
	return &Service{opts: opts, users: map[[32]byte]cachedUser{}}
}

// gotrueUser is the provider's user object (the fields read).
type gotrueUser struct {
	ID           string         `json:"id"`
	Email        string         `json:"email"`
	Role         string         `json:"role"`
	UserMetadata map[string]any `json:"user_metadata"`
}

// tokenAnswer is the provider's session answer; signup without a session
// answers the user object alone.
type tokenAnswer struct {
	AccessToken  string      `json:"access_token"`
	RefreshToken string      `json:"refresh_token"`
	ExpiresIn    int64       `json:"expires_in"`
	ExpiresAt    int64       `json:"expires_at"`
	User         *gotrueUser `json:"user"`
	gotrueUser
}

func (u gotrueUser) context() User {
	meta := func(k string) string { s, _ := u.UserMetadata[k].(string); return s }
	name := meta("full_name")
	if name == "" {
		name = meta("name")
	}
	role := u.Role
	if role == "" {
		role = "user"
	}
	return User{ID: u.ID, Email: u.Email, Name: name, FirstName: meta("first_name"), LastName: meta("last_name"), Avatar: meta("avatar_url"), Role: role}
}

// call sends one request to the provider and decodes a 2xx answer into out.
func (s *Service) call(ctx context.Context, method, path, bearer string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.opts.URL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("apikey", s.opts.AnonKey)
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	resp, err := s.opts.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("auth provider: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return fmt.Errorf("auth provider: %w", err)
	}
	if resp.StatusCode >= 300 {
		return &Error{Status: resp.StatusCode, Message: errorMessage(data, resp.StatusCode)}
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("auth provider: unreadable answer: %w", err)
	}
	return nil
}

// errorMessage reads the provider's message in the order supabase-js does
// (msg, message, error_description, error).
func errorMessage(data []byte, status int) string {
	var e map[string]any
	if json.Unmarshal(data, &e) == nil {
		for _, k := range []string{"msg", "message", "error_description", "error"} {
			if s, ok := e[k].(string); ok && s != "" {
				return s
			}
		}
	}
	return fmt.Sprintf("authentication failed (%d)", status)
}

func (s *Service) session(t *tokenAnswer) *Session {
	if t.AccessToken == "" {
		return nil
	}
	exp := t.ExpiresAt
	if exp == 0 {
		exp = s.opts.Now().Unix() + t.ExpiresIn
	}
	return &Session{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresAt: exp}
}

func (t *tokenAnswer) user() User {
	if t.User != nil {
		return t.User.context()
	}
	return t.gotrueUser.context()
}

// SignIn checks an email and password.
func (s *Service) SignIn(ctx context.Context, email, password string) (*Session, User, error) {
	var t tokenAnswer
	if err := s.call(ctx, "POST", "/auth/v1/token?grant_type=password", s.opts.AnonKey,
		map[string]any{"email": email, "password": password}, &t); err != nil {
		return nil, User{}, err
	}
	sess := s.session(&t)
	if sess == nil {
		return nil, User{}, errors.New("auth provider: no session in the sign-in answer")
	}
	u := t.user()
	s.remember(sess.AccessToken, u, sess.ExpiresAt)
	return sess, u, nil
}

// SignUp creates an account. The session is nil when the provider asks
// the visitor to confirm the email first.
func (s *Service) SignUp(ctx context.Context, email, password string) (*Session, User, error) {
	var t tokenAnswer
	if err := s.call(ctx, "POST", "/auth/v1/signup", s.opts.AnonKey,
		map[string]any{"email": email, "password": password, "data": map[string]any{}}, &t); err != nil {
		return nil, User{}, err
	}
	sess, u := s.session(&t), t.user()
	if sess != nil {
		s.remember(sess.AccessToken, u, sess.ExpiresAt)
	}
	return sess, u, nil
}

// SignOut ends the session at the provider (all of the user's sessions,
// as supabase-js's signOut does) and forgets its cached user.
func (s *Service) SignOut(ctx context.Context, sess *Session) error {
	s.mu.Lock()
	delete(s.users, sha256.Sum256([]byte(sess.AccessToken)))
	s.mu.Unlock()
	err := s.call(ctx, "POST", "/auth/v1/logout?scope=global", sess.AccessToken, nil, nil)
	var pe *Error
	if errors.As(err, &pe) && (pe.Status == 401 || pe.Status == 403 || pe.Status == 404) {
		return nil // already signed out or expired: nothing to end
	}
	return err
}

// User answers the session's user, refreshing an expired access token
// first; refreshed is the new session to store, nil when unchanged. A
// session the provider refuses is ErrNoSession.
func (s *Service) User(ctx context.Context, sess *Session) (u User, refreshed *Session, err error) {
	if sess == nil || sess.AccessToken == "" {
		return User{}, nil, ErrNoSession
	}
	now := s.opts.Now()
	if sess.ExpiresAt != 0 && now.Unix() >= sess.ExpiresAt-10 {
		if sess.RefreshToken == "" {
			return User{}, nil, ErrNoSession
		}
		var t tokenAnswer
		if err := s.call(ctx, "POST", "/auth/v1/token?grant_type=refresh_token", s.opts.AnonKey,
			map[string]any{"refresh_token": sess.RefreshToken}, &t); err != nil {
			return User{}, nil, refused(err)
		}
		if refreshed = s.session(&t); refreshed == nil {
			return User{}, nil, ErrNoSession
		}
		sess = refreshed
	}
	key := sha256.Sum256([]byte(sess.AccessToken))
	s.mu.Lock()
	c, ok := s.users[key]
	s.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.user, refreshed, nil
	}
	var gu gotrueUser
	if err := s.call(ctx, "GET", "/auth/v1/user", sess.AccessToken, nil, &gu); err != nil {
		return User{}, nil, refused(err)
	}
	if gu.ID == "" {
		return User{}, nil, ErrNoSession
	}
	u = gu.context()
	s.remember(sess.AccessToken, u, sess.ExpiresAt)
	return u, refreshed, nil
}

// refused maps the provider's 4xx to ErrNoSession; other failures (5xx,
// network) stay errors.
func refused(err error) error {
	var pe *Error
	if errors.As(err, &pe) && pe.Status >= 400 && pe.Status < 500 {
		return ErrNoSession
	}
	return err
}

func (s *Service) remember(token string, u User, expiresAt int64) {
	until := s.opts.Now().Add(s.opts.UserTTL)
	if expiresAt != 0 && time.Unix(expiresAt, 0).Before(until) {
		until = time.Unix(expiresAt, 0)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.users) >= maxCached {
		clear(s.users)
	}
	s.users[sha256.Sum256([]byte(token))] = cachedUser{user: u, until: until}
}

// Seal turns a session into the cookie's value.
func (s *Service) Seal(sess *Session) (string, error) {
	b, err := json.Marshal(sess)
	if err != nil {
		return "", err
	}
	return s.opts.Keys.Seal(b)
}

// Open reads a cookie's value; anything not sealed by this engine's keys
// is ErrNoSession.
func (s *Service) Open(value string) (*Session, error) {
	if value == "" {
		return nil, ErrNoSession
	}
	b, err := s.opts.Keys.Decrypt(value)
	if err != nil {
		return nil, ErrNoSession
	}
	var sess Session
	if json.Unmarshal(b, &sess) != nil || sess.AccessToken == "" {
		return nil, ErrNoSession
	}
	return &sess, nil
}
