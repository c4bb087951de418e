// Package gotruetest is a loopback fake of the four Supabase Auth (GoTrue)
// calls core/pageauth makes, answering as GoTrue does: password sign-in,
// sign-up (with or without email confirmation), refresh, sign-out and the
// user of a token. Tests read what it received.
package gotruetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// AnonKey is the key the fake expects as apikey.
const AnonKey = "anon-key-for-tests"

// Server is the fake.
type Server struct {
	*httptest.Server
	mu           sync.Mutex
	confirmEmail bool              // sign-up answers the user without a session
	expiresIn    int64             // the lifetime of the tokens it hands out (seconds)
	users        map[string]string // email -> password
	tokens       map[string]string // access token -> email
	refresh      map[string]string // refresh token -> email
	n            int
	Requests     []Request // guarded by mu: read Received
}

// Request is one call the fake received.
type Request struct {
	Method, Path, Query, APIKey, Bearer string
	Body                                map[string]any
}

// New starts a fake with one user (email, password).
func New(t testing.TB, email, password string) *Server {
	s := &Server{expiresIn: 3600, users: map[string]string{email: password}, tokens: map[string]string{}, refresh: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Calls counts the requests received on path.
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.Requests {
		if r.Path == path {
			n++
		}
	}
	return n
}

// Revoke signs every session of email out, as a sign-out elsewhere does.
func (s *Server) Revoke(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, e := range s.tokens {
		if e == email {
			delete(s.tokens, tok)
		}
	}
}

func userJSON(email string) map[string]any {
	return map[string]any{"id": "uid-" + email, "aud": "authenticated", "role": "authenticated", "email": email,
		"user_metadata": map[string]any{"full_name": "Ada Lovelace", "first_name": "Ada"}, "app_metadata": map[string]any{"provider": "email"}}
}

func (s *Server) session(email string) map[string]any {
	s.n++
	access, refresh := fmt.Sprintf("access-%d", s.n), fmt.Sprintf("refresh-%d", s.n)
	s.tokens[access], s.refresh[refresh] = email, email
	return map[string]any{"access_token": access, "token_type": "bearer", "expires_in": s.expiresIn,
		"refresh_token": refresh, "user": userJSON(email)}
}

// fail answers as GoTrue v2 does.
func fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": status, "error_code": code, "msg": msg})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	json.NewDecoder(r.Body).Decode(&body)
	bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Requests = append(s.Requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, APIKey: r.Header.Get("apikey"), Bearer: bearer, Body: body})
	if r.Header.Get("apikey") != AnonKey {
		fail(w, 401, "no_api_key", "Invalid API key")
		return
	}
	str := func(k string) string { v, _ := body[k].(string); return v }
	w.Header().Set("Content-Type", "application/json")
	switch r.Method + " " + r.URL.Path {
	case "POST /auth/v1/token":
		switch r.URL.Query().Get("grant_type") {
		case "password":
			if pw, ok := s.users[str("email")]; !ok || pw != str("password") {
				fail(w, 400, "invalid_credentials", "Invalid login credentials")
				return
			}
			json.NewEncoder(w).Encode(s.session(str("email")))
		case "refresh_token":
			email, ok := s.refresh[str("refresh_token")]
			if !ok {
				fail(w, 400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")
				return
			}
			delete(s.refresh, str("refresh_token"))
			json.NewEncoder(w).Encode(s.session(email))
		default:
			fail(w, 400, "validation_failed", "unsupported grant_type")
		}
	case "POST /auth/v1/signup":
		if _, ok := s.users[str("email")]; ok {
			fail(w, 422, "user_already_exists", "User already registered")
			return
		}
		if len(str("password")) < 6 {
			fail(w, 422, "weak_password", "Password should be at least 6 characters.")
			return
		}
		s.users[str("email")] = str("password")
		if s.confirmEmail {
			json.NewEncoder(w).Encode(userJSON(str("email")))
			return
		}
		json.NewEncoder(w).Encode(s.session(str("email")))
	case "POST /auth/v1/logout":
		email, ok := s.tokens[bearer]
		if !ok {
			fail(w, 401, "bad_jwt", "invalid JWT")
			return
		}
		for tok, e := range s.tokens {
			if e == email {
				delete(s.tokens, tok)
			}
		}
		w.WriteHeader(http.StatusNoContent)
	case "GET /auth/v1/user":
		email, ok := s.tokens[bearer]
		if !ok {
			fail(w, 403, "bad_jwt", "invalid JWT: unable to parse or verify signature")
			return
		}
		json.NewEncoder(w).Encode(userJSON(email))
	default:
		fail(w, 404, "not_found", "not found")
	}
}

// Received is a copy of the requests received so far.
func (s *Server) Received() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.Requests...)
}

// ConfirmEmail makes sign-up answer the user without a session, as a
// project asking for email confirmation does.
func (s *Server) ConfirmEmail(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.confirmEmail = on
}
