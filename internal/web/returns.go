package web

import (
	"html/template"
	"net/http"
)

// returnsFuncs are the template functions of the returns pages.
var returnsFuncs = template.FuncMap{}

// routesReturns registers the returns pages.
// TODO: a stub of the skeleton, to be replaced by the page's owner.
func (u *UI) routesReturns(mux *http.ServeMux) {}
