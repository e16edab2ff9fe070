package web

import (
	"html/template"
	"net/http"
)

// connectionsFuncs are the template functions of the connections pages.
var connectionsFuncs = template.FuncMap{}

// routesConnections registers the connections pages.
// TODO: a stub of the skeleton, to be replaced by the page's owner.
func (u *UI) routesConnections(mux *http.ServeMux) {}
