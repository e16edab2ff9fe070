package web

import (
	"html/template"
	"net/http"
)

// shipmentsFuncs are the template functions of the shipments pages.
var shipmentsFuncs = template.FuncMap{}

// routesShipments registers the shipments pages.
// TODO: a stub of the skeleton, to be replaced by the page's owner.
func (u *UI) routesShipments(mux *http.ServeMux) {}
