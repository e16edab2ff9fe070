package web

import (
	"html/template"
	"net/http"
)

// insightsFuncs are the template functions of the insights pages.
var insightsFuncs = template.FuncMap{}

// routesInsights registers the insights pages.
// TODO: a stub of the skeleton, to be replaced by the page's owner.
func (u *UI) routesInsights(mux *http.ServeMux) {}
