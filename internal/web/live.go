package web

// Live streams new feed entries to open pages as server-sent events.
// TODO(web-core): the broker; this is the skeleton's placeholder.
type Live struct{}
