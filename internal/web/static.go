package web

import "embed"

// staticFS holds the stylesheet, the page script and the vendored htmx
// (see static/vendor/README.md for versions and where they came from).
//
//go:embed static
var staticFS embed.FS
