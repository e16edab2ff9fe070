package web

import (
	"html/template"
	"net/http"
)

// ordersFuncs are the template functions of the orders pages.
var ordersFuncs = template.FuncMap{}

// routesOrders registers the orders pages.
// TODO: a stub of the skeleton, to be replaced by the page's owner.
func (u *UI) routesOrders(mux *http.ServeMux) {}
