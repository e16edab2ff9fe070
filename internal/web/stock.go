package web

import (
	"html/template"
	"net/http"
)

// stockFuncs are the template functions of the stock pages.
var stockFuncs = template.FuncMap{}

// routesStock registers the stock pages.
// TODO: a stub of the skeleton, to be replaced by the page's owner.
func (u *UI) routesStock(mux *http.ServeMux) {}
