package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"html/template"
	"math"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/store"
)

// Session is one signed-in browser. Sessions are kept in the store
// (store.Sessions), so they survive a restart and hold on every instance
// sharing the database; the store keeps only a SHA-256 of the token.
type Session struct {
	// Workspace is the only workspace the session sees.
	Workspace string
	// CSRF is the token its forms carry.
	CSRF string
	// Lang is the language of provider labels the user chose: nl, fr or en.
	Lang string
	// ExpiresAt is when the session ends (absolute, from the sign-in).
	ExpiresAt time.Time

	// tokenHash is the store's key of the session; the token itself is
	// only in the cookie.
	tokenHash string
}

// cookieName is the session cookie.
const cookieName = "shiphub_session"

// sessionLangs are the label languages a session may choose.
var sessionLangs = map[string]bool{"en": true, "nl": true, "fr": true}

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

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is what the store keeps of a session token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// lookupSession returns the live session of the request's cookie, or nil.
// An expired session is deleted on the way.
func (u *UI) lookupSession(r *http.Request) (*Session, error) {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	hash := hashToken(c.Value)
	row, err := u.cfg.Store.GetSession(r.Context(), hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !u.now().Before(row.ExpiresAt) {
		if err := u.cfg.Store.DeleteSession(r.Context(), hash); err != nil {
			u.log.Warn("deleting an expired dashboard session", "error", err)
		}
		return nil, nil
	}
	return &Session{Workspace: row.Workspace, CSRF: row.CSRF, Lang: row.Lang, ExpiresAt: row.ExpiresAt, tokenHash: hash}, nil
}

// authed admits a request only with a live session, and a form post only
// with that session's CSRF token (field "csrf" or header X-CSRF-Token).
// A browser without a session is sent to the sign-in page.
func (u *UI) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := u.lookupSession(r)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		if s == nil {
			if r.Header.Get("HX-Request") == "true" {
				// htmx swaps a fragment: have it load the sign-in page instead.
				w.Header().Set("HX-Redirect", "/ui/signin")
			}
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				redirect(w, r, "/ui/signin")
				return
			}
			u.errorPage(w, r, http.StatusUnauthorized, "You are signed out; sign in again.")
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

// signinPage is the data of the sign-in page.
type signinPage struct {
	Page
	Error string
	// Demo shows the one-click sign-in to the demo workspace.
	Demo bool
}

// routesCore registers sign-in, sign-out, the language, the static files
// and the live stream.
func (u *UI) routesCore(mux *http.ServeMux) {
	mux.Handle("GET /ui/static/", http.StripPrefix("/ui/", http.FileServerFS(staticFS)))
	mux.HandleFunc("GET /ui/signin", func(w http.ResponseWriter, r *http.Request) {
		u.render(w, r, "signin", signinPage{Page: u.page(r, "Sign in", ""), Demo: u.cfg.DemoKey != ""})
	})
	mux.HandleFunc("POST /ui/signin", func(w http.ResponseWriter, r *http.Request) {
		u.signIn(w, r, r.PostFormValue("key"))
	})
	mux.HandleFunc("POST /ui/signin/demo", func(w http.ResponseWriter, r *http.Request) {
		if u.cfg.DemoKey == "" {
			u.notFound(w, r)
			return
		}
		u.signIn(w, r, u.cfg.DemoKey)
	})
	mux.HandleFunc("POST /ui/signout", u.authed(func(w http.ResponseWriter, r *http.Request) {
		if err := u.cfg.Store.DeleteSession(r.Context(), sessionFrom(r.Context()).tokenHash); err != nil {
			u.fail(w, r, err)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secureRequest(r)})
		redirect(w, r, "/ui/signin")
	}))
	mux.HandleFunc("POST /ui/lang", u.authed(u.setLang))
	mux.HandleFunc("GET /ui/live", u.authed(u.serveLive))
}

// signIn opens a session for key: the sign-in form's and the demo's.
// The request must come from one of the dashboard's own pages (no login
// CSRF), and counts against its client address's budget of attempts,
// whether it succeeds or not. The key is never logged.
func (u *UI) signIn(w http.ResponseWriter, r *http.Request, key string) {
	if !sameOrigin(r) {
		u.errorPage(w, r, http.StatusForbidden, "Sign in from shiphub's own sign-in page.")
		return
	}
	ok, next, err := u.cfg.Store.TakeBudget(r.Context(), "ui-signin:"+clientDigest(r), time.Minute, u.cfg.SignInPerMinute)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if !ok {
		wait := max(1, int(math.Ceil(next.Sub(u.now()).Seconds())))
		wait = min(wait, 60)
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		u.log.Warn("dashboard sign-in attempts over the limit", "client", clientDigest(r))
		u.errorPage(w, r, http.StatusTooManyRequests, "Too many sign-in attempts from this address; wait "+strconv.Itoa(wait)+" s and try again.")
		return
	}
	ws, found := u.keys.Lookup(key)
	if !found {
		u.renderBlock(w, r, "signin", "layout.html", http.StatusUnauthorized, signinPage{
			Page: u.page(r, "Sign in", ""), Demo: u.cfg.DemoKey != "", Error: "That key is not valid.",
		})
		return
	}
	now := u.now()
	if _, err := u.cfg.Store.PruneSessions(r.Context(), now); err != nil {
		u.log.Warn("pruning expired dashboard sessions", "error", err)
	}
	token := randomToken()
	row := &store.Session{TokenHash: hashToken(token), Workspace: ws, CSRF: randomToken(), Lang: "en",
		CreatedAt: now, ExpiresAt: now.Add(u.cfg.SessionLifetime)}
	if err := u.cfg.Store.CreateSession(r.Context(), row); err != nil {
		u.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: Prefix, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secureRequest(r), Expires: row.ExpiresAt})
	u.log.Info("dashboard sign-in", "workspace", ws)
	redirect(w, r, Prefix)
}

// setLang is POST /ui/lang: the session's label language, then back to
// the page the form was on.
func (u *UI) setLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PostFormValue("lang")
	if !sessionLangs[lang] {
		u.badRequest(w, r, "Choose one of the label languages: en, nl or fr.")
		return
	}
	s := sessionFrom(r.Context())
	if err := u.cfg.Store.SetSessionLang(r.Context(), s.tokenHash, lang); err != nil {
		u.fail(w, r, err)
		return
	}
	redirect(w, r, backPath(r.PostFormValue("back")))
}

// backPath returns back when it is a path of the dashboard on this site,
// and the overview otherwise: a form must not send the browser elsewhere.
// The path is returned cleaned, as http.Redirect would clean it: "/ui/."
// cleaned there to "/ui", off the dashboard (found by FuzzDashboardRequests).
func backPath(back string) string {
	if !strings.HasPrefix(back, Prefix) || strings.ContainsAny(back, "\\\r\n") {
		return Prefix
	}
	p, err := url.Parse(back)
	if err != nil || p.Scheme != "" || p.Host != "" || p.User != nil {
		return Prefix
	}
	// Cleaned in its escaped form, so that an escaped slash (a SKU's)
	// stays part of its segment.
	escaped := p.EscapedPath()
	cleaned := path.Clean(escaped)
	if base := path.Base(escaped); strings.HasSuffix(escaped, "/") || base == "." || base == ".." {
		cleaned += "/" // a directory, as the form's page named it
	}
	if !strings.HasPrefix(cleaned, Prefix) {
		return Prefix
	}
	if p.RawQuery != "" {
		cleaned += "?" + p.RawQuery
	}
	return cleaned
}

// sameOrigin reports whether a form post comes from this site: by the
// browser's Sec-Fetch-Site, else by its Origin. A client that sends
// neither (not a browser, or a very old one) cannot be the victim of a
// login CSRF and is let through.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	o, err := url.Parse(origin)
	return err == nil && o.Host != "" && strings.EqualFold(o.Host, r.Host)
}

// secureRequest reports whether the browser reached the dashboard over
// TLS (directly or through a proxy that says so): the cookie is then Secure.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// clientDigest names the client address (the connection's, never a proxy
// header a client could set) without keeping it: the sign-in budget's key.
func clientDigest(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	sum := sha256.Sum256([]byte(host))
	return hex.EncodeToString(sum[:12])
}
