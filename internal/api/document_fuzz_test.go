package api

import (
	"net/url"
	"testing"
)

// FuzzDocumentServer feeds Host headers (outside input) to the server the
// document names: it is always an absolute URL of the API's prefix whose
// host is the header itself or localhost, never something else smuggled in.
func FuzzDocumentServer(f *testing.F) {
	for _, h := range []string{"127.0.0.1:8080", "hub.example.com", "[::1]:8080", "", "evil.example/path?q", "a@b", "x:y:z", "ünïcode.example", "%41"} {
		f.Add(h, false)
	}
	f.Fuzz(func(t *testing.T, host string, overTLS bool) {
		got := documentServer("", host, overTLS)
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("%q gives an unparsable server %q: %v", host, got, err)
		}
		if u.Path != Prefix || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			t.Fatalf("%q gives %q, not the API's base URL", host, got)
		}
		if u.Host != host && u.Host != "localhost" {
			t.Fatalf("%q gives the host %q", host, u.Host)
		}
		if want := map[bool]string{false: "http", true: "https"}[overTLS]; u.Scheme != want {
			t.Fatalf("scheme %q, want %q", u.Scheme, want)
		}
	})
}
