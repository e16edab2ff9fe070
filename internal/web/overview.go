package web

import (
	"html/template"
	"net/http"
)

// overviewFuncs are the template functions of the overview pages.
var overviewFuncs = template.FuncMap{}

// routesOverview registers the overview pages.
// TODO: a stub of the skeleton, to be replaced by the page's owner.
func (u *UI) routesOverview(mux *http.ServeMux) {}
