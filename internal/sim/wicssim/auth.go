package wicssim

import (
	"crypto/subtle"
	"net/http"
)

// authenticate checks the request's Basic auth against the configured
// logins ("The Service Layer uses basic authentication", curl --user
// {apikey}:{apisecret}). The secret is compared in constant time; an unknown
// key still costs a comparison so that timing does not tell keys apart.
func (s *Server) authenticate(r *http.Request) (User, bool) {
	key, secret, ok := r.BasicAuth()
	if !ok {
		return User{}, false
	}
	u, known := s.users[key]
	want := u.Secret
	if !known {
		want = "\x00never a secret"
	}
	match := subtle.ConstantTimeCompare([]byte(secret), []byte(want)) == 1
	return u, known && match
}
