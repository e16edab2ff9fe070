package web

import (
	"html/template"
	"net/http"
)

// inboundFuncs are the template functions of the inbound pages.
var inboundFuncs = template.FuncMap{}

// routesInbound registers the inbound pages.
// TODO: a stub of the skeleton, to be replaced by the page's owner.
func (u *UI) routesInbound(mux *http.ServeMux) {}
