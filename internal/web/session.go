package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"sync"
	"time"
)

// Session is one signed-in browser.
type Session struct {
	// ID is the session token, the cookie's value. It is never logged.
	ID string
	// Workspace is the only workspace the session sees.
	Workspace string
	// CSRF is the token its forms carry.
	CSRF string
	// Lang is the language of provider labels the user chose: nl, fr or en.
	Lang string
	// ExpiresAt is when the session ends.
	ExpiresAt time.Time
}

// cookieName is the session cookie.
const cookieName = "shiphub_session"

type sessionKey struct{}

// sessionFrom returns the request's session; handlers behind authed always have one.
func sessionFrom(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

// workspace is the signed-in workspace of a request behind authed.
func workspace(r *http.Request) string {
	if s := sessionFrom(r.Context()); s != nil {
		return s.Workspace
	}
	return ""
}

// sessions keeps the open sessions.
// TODO(web-core): keep them in the store, so they survive restarts and
// work across instances.
type sessions struct {
	mu   sync.Mutex
	byID map[string]*Session
}

var memSessions = &sessions{byID: map[string]*Session{}}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// authed admits a request only with a live session, and a form post only
// with that session's CSRF token (field "csrf" or header X-CSRF-Token).
// A browser without a session is sent to the sign-in page.
func (u *UI) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(cookieName)
		var s *Session
		if err == nil {
			memSessions.mu.Lock()
			s = memSessions.byID[c.Value]
			memSessions.mu.Unlock()
		}
		if s == nil || !u.now().Before(s.ExpiresAt) {
			if r.Method == http.MethodGet {
				redirect(w, r, "/ui/signin")
				return
			}
			http.Error(w, "signed out", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			token := r.Header.Get("X-CSRF-Token")
			if token == "" {
				token = r.PostFormValue("csrf")
			}
			if subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) != 1 {
				u.errorPage(w, r, http.StatusForbidden, "This form has expired; reload the page and try again.")
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, s)))
	}
}

// coreFuncs are the core's template functions.
var coreFuncs = template.FuncMap{}

// routesCore registers sign-in, sign-out and the static files.
func (u *UI) routesCore(mux *http.ServeMux) {
	mux.Handle("GET /ui/static/", http.StripPrefix("/ui/", http.FileServerFS(staticFS)))
	mux.HandleFunc("GET /ui/signin", func(w http.ResponseWriter, r *http.Request) {
		u.render(w, r, "signin", struct {
			Page
			Error string
		}{Page: u.page(r, "Sign in", "")})
	})
	mux.HandleFunc("POST /ui/signin", func(w http.ResponseWriter, r *http.Request) {
		ws, ok := u.keys.Lookup(r.PostFormValue("key"))
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			u.renderBlock(w, r, "signin", "layout.html", http.StatusUnauthorized, struct {
				Page
				Error string
			}{Page: u.page(r, "Sign in", ""), Error: "That key is not valid."})
			return
		}
		s := &Session{ID: randomToken(), Workspace: ws, CSRF: randomToken(), Lang: "en", ExpiresAt: u.now().Add(u.cfg.SessionLifetime)}
		memSessions.mu.Lock()
		memSessions.byID[s.ID] = s
		memSessions.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: s.ID, Path: "/ui/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, Expires: s.ExpiresAt})
		redirect(w, r, "/ui/")
	})
	mux.HandleFunc("POST /ui/signout", u.authed(func(w http.ResponseWriter, r *http.Request) {
		memSessions.mu.Lock()
		delete(memSessions.byID, sessionFrom(r.Context()).ID)
		memSessions.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/ui/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
		redirect(w, r, "/ui/signin")
	}))
}
