package provider

import (
	"crypto/sha256"
	"crypto/subtle"
)

// Secret is a shared secret (an API key, a password) kept as its SHA-256:
// comparing fixed-length digests keeps the comparison constant-time in the
// secret's length too.
type Secret [sha256.Size]byte

// NewSecret digests a configured secret once, when the connector is built.
func NewSecret(s string) Secret { return sha256.Sum256([]byte(s)) }

// Matches reports, in constant time, whether got is the secret.
func (s *Secret) Matches(got string) bool {
	g := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(g[:], s[:]) == 1
}
