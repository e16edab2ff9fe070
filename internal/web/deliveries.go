package web

import (
	"html/template"
	"net/http"
)

// deliveriesFuncs are the template functions of the deliveries pages.
var deliveriesFuncs = template.FuncMap{}

// routesDeliveries registers the deliveries pages.
// TODO: a stub of the skeleton, to be replaced by the page's owner.
func (u *UI) routesDeliveries(mux *http.ServeMux) {}
