package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/frontbase/edge/core/api/wire"
	"github.com/frontbase/edge/core/clientip"
	"github.com/frontbase/edge/core/pageauth"
	"github.com/frontbase/edge/core/ratelimit"
)

// Sign-in for private pages (P6 of docs/control-plane-contract.md): the
// gated page's form posts to these routes; the session lives in an
// HttpOnly cookie (core/pageauth).
const (
	pageAuthAttempts   = 10 // sign-ins or sign-ups a minute per client address
	pageAuthWindow     = time.Minute
	pageAuthBodyBytes  = 64 << 10
	pageAuthCookieLife = 30 * 24 * time.Hour
	msgTooMany         = "Too many attempts. Please try again later."
	msgNotConfigured   = "Supabase not configured"
	msgCheckEmail      = "Check your email to confirm your account"
	msgUnavailable     = "The sign-in service is unavailable. Please try again later."
)

func (h *handler) pageAuthRoutes(mux *http.ServeMux) {
	h.authLimiter = ratelimit.NewMemoryLimiter()
	mux.HandleFunc("POST /api/page-auth/login", h.pageAuthSignIn(false))
	mux.HandleFunc("POST /api/page-auth/signup", h.pageAuthSignIn(true))
	mux.HandleFunc("POST /api/page-auth/logout", h.pageAuthLogout)
	mux.HandleFunc("GET /api/page-auth/me", h.pageAuthMe)
}

// isForm is how the TypeScript engine tells a form post from a JSON call
// when answering: a redirect for the former, JSON for the latter.
func isForm(r *http.Request) bool { return strings.Contains(r.Header.Get("Content-Type"), "form") }

// readAuthRequest reads a form post or a JSON body; a body that is
// neither leaves every field empty (answered 400 later).
func readAuthRequest(w http.ResponseWriter, r *http.Request) wire.PageAuthRequest {
	r.Body = http.MaxBytesReader(w, r.Body, pageAuthBodyBytes)
	var in wire.PageAuthRequest
	ct := r.Header.Get("Content-Type")
	if strings.Contains(ct, "application/x-www-form-urlencoded") || strings.Contains(ct, "multipart/form-data") {
		if strings.Contains(ct, "multipart/form-data") {
			r.ParseMultipartForm(pageAuthBodyBytes)
		} else {
			r.ParseForm()
		}
		f := r.PostFormValue
		in = wire.PageAuthRequest{Email: f("email"), Password: f("password"), RedirectTo: f("redirectTo"),
			IsEmbed: f("isEmbed") == "true", FormID: f("formId"), CaptchaToken: f("captchaToken")}
	} else if body, err := io.ReadAll(r.Body); err == nil {
		json.Unmarshal(body, &in)
	}
	return in
}

// sameSiteRedirect keeps redirectTo when it stays on this site (a path, or a
// URL of the request's host), else "/": the form's redirectTo must not
// send a visitor who just typed a password elsewhere.
func sameSiteRedirect(redirectTo string, r *http.Request) string {
	if redirectTo == "" || strings.ContainsFunc(redirectTo, func(c rune) bool { return c < 0x21 || c == 0x7f || c == '\\' }) {
		return "/"
	}
	if strings.HasPrefix(redirectTo, "/") {
		if strings.HasPrefix(redirectTo, "//") {
			return "/"
		}
		return redirectTo
	}
	u, err := url.Parse(redirectTo)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host != r.Host || u.User != nil {
		return "/"
	}
	return redirectTo
}

// withParam is redirectTo, made absolute on the request's origin, with one
// query parameter set (auth_error, auth_message).
func withParam(r *http.Request, redirectTo, key, value string) string {
	base, err := url.Parse(baseURL(r) + "/")
	if err != nil {
		return "/"
	}
	ref, err := url.Parse(redirectTo)
	if err != nil {
		return "/"
	}
	u := base.ResolveReference(ref)
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// authRefused answers a refusal: back to the form with auth_error, or JSON.
func authRefused(w http.ResponseWriter, r *http.Request, redirectTo string, status int, msg string) {
	if isForm(r) {
		seeOther(w, r, withParam(r, redirectTo, "auth_error", msg))
		return
	}
	writeJSON(w, status, wire.PageAuthError{Error: msg})
}

func (h *handler) pageAuthSignIn(signup bool) http.HandlerFunc {
	action := "login"
	if signup {
		action = "signup"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		in := readAuthRequest(w, r)
		redirectTo := sameSiteRedirect(in.RedirectTo, r)
		d, err := h.authLimiter.Take(r.Context(), action+":"+clientip.Of(r, h.opts.TrustedProxies), pageAuthAttempts, pageAuthWindow, time.Time{})
		if err == nil && !d.Allowed {
			authRefused(w, r, redirectTo, http.StatusTooManyRequests, msgTooMany)
			return
		}
		auth := h.opts.PageAuth
		if auth == nil {
			writeJSON(w, http.StatusServiceUnavailable, wire.PageAuthError{Error: msgNotConfigured})
			return
		}
		if in.Email == "" || in.Password == "" {
			writeJSON(w, http.StatusBadRequest, wire.PageAuthError{Error: "Email and password required"})
			return
		}
		var sess *pageauth.Session
		var user pageauth.User
		if signup {
			sess, user, err = auth.SignUp(r.Context(), in.Email, in.Password)
		} else {
			sess, user, err = auth.SignIn(r.Context(), in.Email, in.Password)
		}
		if err != nil {
			var pe *pageauth.Error
			if !errors.As(err, &pe) {
				h.opts.Logger.Warn("page auth: provider call failed", "action", action, "err", err)
				authRefused(w, r, redirectTo, http.StatusBadGateway, msgUnavailable)
				return
			}
			status := http.StatusUnauthorized
			if signup {
				status = http.StatusBadRequest
			}
			authRefused(w, r, redirectTo, status, pe.Message)
			return
		}
		if sess == nil { // sign-up waiting for the email's confirmation
			if isForm(r) {
				seeOther(w, r, withParam(r, redirectTo, "auth_message", msgCheckEmail))
				return
			}
			writeJSON(w, http.StatusOK, wire.Message{Success: true, Message: msgCheckEmail})
			return
		}
		if err := h.setSession(w, r, sess); err != nil {
			h.opts.Logger.Error("page auth: sealing the session failed", "err", err)
			authRefused(w, r, redirectTo, http.StatusInternalServerError, msgUnavailable)
			return
		}
		if isForm(r) {
			seeOther(w, r, redirectTo)
			return
		}
		writeJSON(w, http.StatusOK, wire.PageAuthSignedIn{Success: true, User: user, RedirectURL: redirectTo})
	}
}

func (h *handler) pageAuthLogout(w http.ResponseWriter, r *http.Request) {
	auth := h.opts.PageAuth
	if auth == nil {
		writeJSON(w, http.StatusServiceUnavailable, wire.PageAuthError{Error: msgNotConfigured})
		return
	}
	if sess, err := h.readSession(r); err == nil {
		// The cookie goes whatever the provider answers; a failure to end
		// the session there is logged (the access token expires alone).
		if err := auth.SignOut(context.WithoutCancel(r.Context()), sess); err != nil {
			h.opts.Logger.Warn("page auth: sign-out at the provider failed", "err", err)
		}
	}
	clearSession(w, r)
	if isForm(r) {
		seeOther(w, r, sameSiteRedirect(r.URL.Query().Get("redirectTo"), r))
		return
	}
	writeJSON(w, http.StatusOK, wire.Success{Success: true})
}

func (h *handler) pageAuthMe(w http.ResponseWriter, r *http.Request) {
	user, err := h.signedIn(w, r)
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, wire.PageAuthMe{})
		return
	}
	writeJSON(w, http.StatusOK, wire.PageAuthMe{Success: true, User: &user})
}

// signedIn is the request's user. A refreshed session is written back
// to the cookie; a refused one is cleared.
func (h *handler) signedIn(w http.ResponseWriter, r *http.Request) (pageauth.User, error) {
	auth := h.opts.PageAuth
	if auth == nil {
		return pageauth.User{}, pageauth.ErrNoSession
	}
	sess, err := h.readSession(r)
	if err != nil {
		clearSession(w, r) // a cookie this engine did not seal
		return pageauth.User{}, err
	}
	user, refreshed, err := auth.User(r.Context(), sess)
	switch {
	case errors.Is(err, pageauth.ErrNoSession):
		clearSession(w, r)
		return pageauth.User{}, err
	case err != nil:
		h.opts.Logger.Warn("page auth: checking the session failed", "err", err)
		return pageauth.User{}, err
	}
	if refreshed != nil {
		if err := h.setSession(w, r, refreshed); err != nil {
			return pageauth.User{}, err
		}
	}
	return user, nil
}

func (h *handler) readSession(r *http.Request) (*pageauth.Session, error) {
	c, err := r.Cookie(pageauth.CookieName)
	if err != nil {
		return nil, pageauth.ErrNoSession
	}
	return h.opts.PageAuth.Open(c.Value)
}

// sessionCookie is the cookie's attributes: HttpOnly (no script reads
// it), Secure when the visitor came over https, SameSite=Lax (sent on
// links from other sites, not on their form posts).
func sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: pageauth.CookieName, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: strings.HasPrefix(baseURL(r), "https:"), SameSite: http.SameSiteLaxMode}
}

func (h *handler) setSession(w http.ResponseWriter, r *http.Request, sess *pageauth.Session) error {
	v, err := h.opts.PageAuth.Seal(sess)
	if err != nil {
		return err
	}
	http.SetCookie(w, sessionCookie(r, v, int(pageAuthCookieLife/time.Second)))
	return nil
}

func clearSession(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(pageauth.CookieName); err == nil {
		http.SetCookie(w, sessionCookie(r, "", -1))
	}
}
