package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageSet is one template per page: the layout and the page's own file,
// which defines "content" and any fragments (named templates) that htmx
// requests swap in.
type pageSet map[string]*template.Template

// funcs are the template functions every page may use. Each aggregate's
// file adds its own set to allFuncs, so no two files edit one map.
func funcs() template.FuncMap {
	m := template.FuncMap{}
	for _, set := range []template.FuncMap{
		baseFuncs, coreFuncs, overviewFuncs, shipmentsFuncs, ordersFuncs, stockFuncs,
		inboundFuncs, returnsFuncs, connectionsFuncs, deliveriesFuncs, commandsFuncs, insightsFuncs,
	} {
		for name, f := range set {
			if _, dup := m[name]; dup {
				panic(fmt.Sprintf("web: template function %q is defined twice", name))
			}
			m[name] = f
		}
	}
	return m
}

// baseFuncs are the helpers of the layout.
var baseFuncs = template.FuncMap{
	// when formats a time for people, in UTC, with the date.
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	// iso formats a time for <time datetime>.
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// ago is how long ago t was, roughly, for people.
	"ago": func(now, t time.Time) string { return ago(now.Sub(t)) },
	// query builds a query string from key/value pairs, leaving empty values out.
	"query": func(kv ...string) template.URL {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				v.Set(kv[i], kv[i+1])
			}
		}
		if len(v) == 0 {
			return ""
		}
		return template.URL("?" + v.Encode())
	},
}

func ago(d time.Duration) string {
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
}

// mustParsePages parses one template per page: a clone of the layout and
// the shared partials (templates/partials.html, named templates any page
// may call), with the page's own file added. Neither of the two shared
// files is a page.
func mustParsePages() pageSet {
	layout := template.Must(template.New("layout.html").Funcs(funcs()).ParseFS(templateFS, "templates/layout.html", "templates/partials.html"))
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := pageSet{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		pages[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, f))
	}
	return pages
}

// Page is what the layout needs; every page's data embeds it.
type Page struct {
	// Title is the page's own title, shown in <title> and <h1>.
	Title string
	// Active is the navigation entry to mark as current.
	Active string
	// Session is the signed-in session; nil on the sign-in page.
	Session *Session
	// CSRF is the token every form posts back (field "csrf").
	CSRF string
	// Lang is the language of provider labels: nl, fr or en.
	Lang string
	// Path is the request's path and query, for links back here.
	Path string
	// Now is the time the page was rendered.
	Now time.Time
	// Live subscribes the page to server-sent events of new feed entries.
	Live bool
	// Flash is a one-line message shown above the content (after an action).
	Flash string
}

// page returns the layout data of a request.
func (u *UI) page(r *http.Request, title, active string) Page {
	p := Page{Title: title, Active: active, Path: r.URL.RequestURI(), Now: u.now(), Lang: "en", Live: u.cfg.Live != nil}
	if s := sessionFrom(r.Context()); s != nil {
		p.Session = s
		p.CSRF = s.CSRF
		p.Lang = s.Lang
	}
	p.Flash = r.URL.Query().Get("flash")
	return p
}

// render writes a whole page. It renders into a buffer first, so a
// template error is a 500 rather than half a page.
func (u *UI) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	u.renderBlock(w, r, name, "layout.html", http.StatusOK, data)
}

// renderFragment writes one named template of a page, for htmx swaps.
func (u *UI) renderFragment(w http.ResponseWriter, r *http.Request, name, block string, data any) {
	u.renderBlock(w, r, name, block, http.StatusOK, data)
}

func (u *UI) renderBlock(w http.ResponseWriter, r *http.Request, name, block string, status int, data any) {
	t, ok := u.pages[name]
	if !ok {
		u.fail(w, r, fmt.Errorf("no page %q", name))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, data); err != nil {
		u.fail(w, r, fmt.Errorf("rendering %s/%s: %w", name, block, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// errorPage is the data of the error page.
type errorPage struct {
	Page
	Status  int
	Message string
}

// notFound answers 404 with the error page. A resource of another
// workspace is not found, exactly like one that does not exist.
func (u *UI) notFound(w http.ResponseWriter, r *http.Request) {
	u.errorPage(w, r, http.StatusNotFound, "Not found: there is nothing here in this workspace.")
}

// badRequest answers 400 with the reason.
func (u *UI) badRequest(w http.ResponseWriter, r *http.Request, reason string) {
	u.errorPage(w, r, http.StatusBadRequest, reason)
}

// fail answers 500 and logs the cause; a store.ErrNotFound is a 404.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		u.notFound(w, r)
		return
	}
	u.log.Error("dashboard page failed", "path", r.URL.Path, "error", err)
	u.errorPage(w, r, http.StatusInternalServerError, "Something went wrong on the server; it has been logged.")
}

func (u *UI) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p := u.page(r, http.StatusText(status), "")
	t := u.pages["error"]
	var buf bytes.Buffer
	if t == nil || t.ExecuteTemplate(&buf, "layout.html", errorPage{Page: p, Status: status, Message: msg}) != nil {
		http.Error(w, msg, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// redirect sends a browser on after a form post (303, so it GETs).
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}
