package web

import (
	"html/template"
	"net/http"
)

// commandsFuncs are the template functions of the commands pages.
var commandsFuncs = template.FuncMap{}

// routesCommands registers the commands pages.
// TODO: a stub of the skeleton, to be replaced by the page's owner.
func (u *UI) routesCommands(mux *http.ServeMux) {}
