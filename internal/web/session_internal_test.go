package web

import "testing"

// TestBackPath: a form's "back" field sends the browser back to a page of
// the dashboard, cleaned as http.Redirect would clean it, and anything
// else to the overview.
func TestBackPath(t *testing.T) {
	t.Parallel()
	cases := []struct{ back, want string }{
		{"/ui/orders/14", "/ui/orders/14"},
		{"/ui/deliveries?status=failed&endpoint=3", "/ui/deliveries?status=failed&endpoint=3"},
		{"/ui/stock/CS%2F1002", "/ui/stock/CS%2F1002"},
		{"/ui/", "/ui/"},
		{"/ui/.", "/ui/"}, // http.Redirect made it "/ui", off the dashboard
		{"/ui/orders/..", "/ui/"},
		{"/ui/../admin", "/ui/"},
		{"/ui/./orders/./7", "/ui/orders/7"},
		{"/admin", "/ui/"},
		{"https://evil.example/ui/", "/ui/"},
		{"//evil.example/ui/", "/ui/"},
		{"/ui/\\evil", "/ui/"},
		{"", "/ui/"},
	}
	for _, c := range cases {
		if got := backPath(c.back); got != c.want {
			t.Errorf("backPath(%q) = %q, want %q", c.back, got, c.want)
		}
	}
}
