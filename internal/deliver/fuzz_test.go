package deliver

import (
	"net/http"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// FuzzParseRetryAfter feeds a receiver's Retry-After header, outside
// input, to the parser: it must never panic and always stay within
// [0, maxRetryAfter].
func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	for _, s := range []string{"", "0", "1", "120", "-5", "99999999999999999999", "Sat, 14 Mar 2026 09:00:30 GMT", "Wed, 21 Oct 2015 07:28:00 GMT", "soon", " 3 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d := parseRetryAfter(v, now)
		if d < 0 || d > maxRetryAfter {
			t.Fatalf("parseRetryAfter(%q) = %v", v, d)
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"-1", 0}, {"7", 7 * time.Second}, {"soon", 0},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"999999999", maxRetryAfter},
	} {
		if got := parseRetryAfter(c.in, now); got != c.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// FuzzSign checks that any secret either is refused or signs without panic,
// and that model.SecretKey accepts exactly what NewSecret-like secrets look like.
func FuzzSign(f *testing.F) {
	f.Add("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", []byte(`{"a":1}`))
	f.Add("whsec_", []byte{})
	f.Add("nope", []byte("x"))
	f.Fuzz(func(t *testing.T, secret string, body []byte) {
		_, keyErr := model.SecretKey(secret)
		sig, err := Sign([]string{secret}, "evt_1", "1700000000", body)
		if (keyErr == nil) != (err == nil) {
			t.Fatalf("SecretKey and Sign disagree on %q: %v / %v", secret, keyErr, err)
		}
		if err == nil && len(sig) < 4 {
			t.Fatalf("short signature %q", sig)
		}
	})
}
