// Package secrets encrypts the secrets shiphub keeps in its database (merchant
// endpoint signing secrets, and the provider credentials the hub will store)
// with a key from the configuration, so a copy of the database or of a backup
// does not hand out the keys to merchants' webhooks.
//
// A sealed value is text: "shs1.<key id>.<base64url(nonce ‖ AES-256-GCM
// ciphertext)>". The key id is derived from the key itself, so rotation needs
// no naming: a Keyring encrypts with its current key and decrypts with any key
// it holds, and tells which values were sealed with an older one. The
// additional data binds a value to where it is stored (the caller's context
// string), so a sealed secret copied into another row does not open.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of a key in bytes (AES-256).
const KeySize = 32

// prefix starts every sealed value; the 1 is the format's version.
const prefix = "shs1."

// Sentinel errors, checked with errors.Is.
var (
	// ErrUnknownKey means the value was sealed with a key the keyring does
	// not hold: the configuration lacks the key (or the previous key) that
	// encrypted the database.
	ErrUnknownKey = errors.New("sealed with a key that is neither secrets_key nor one of secrets_previous_keys")
	// ErrTampered means the value does not decrypt under its key: it was
	// changed, truncated or moved to another row.
	ErrTampered = errors.New("sealed value fails authentication (altered, truncated or moved)")
	// ErrNotSealed means the value is not in the sealed format at all.
	ErrNotSealed = errors.New("value is not sealed")
)

// key is one AES-GCM key with its id.
type key struct {
	id   string
	aead cipher.AEAD
}

// Keyring seals with its current key and opens with any of its keys. It is
// safe for concurrent use.
type Keyring struct {
	current key
	byID    map[string]key
}

// ParseKey decodes a configured key: 64 hex digits, or base64 (standard or
// URL alphabet, padded or not) of 32 bytes. Its errors never include the key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("is empty")
	}
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("decodes to %d bytes, want %d (generate one with `openssl rand -base64 32`)", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("is neither 64 hex digits nor base64 of %d bytes (generate one with `openssl rand -base64 32`)", KeySize)
}

// GenerateKey returns a new random key, base64-encoded as ParseKey reads it.
func GenerateKey() string {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.StdEncoding.EncodeToString(b)
}

// KeyID is the id a key's sealed values carry: the first 8 hex digits of a
// SHA-256 of the key under a fixed label. It names the key without
// revealing anything usable about it.
func KeyID(k []byte) string {
	h := sha256.Sum256(append([]byte("shiphub secrets key id\x00"), k...))
	return hex.EncodeToString(h[:4])
}

// NewKeyring builds a keyring that seals with current and opens values sealed
// with current or any of previous.
func NewKeyring(current []byte, previous ...[]byte) (*Keyring, error) {
	cur, err := newKey(current)
	if err != nil {
		return nil, fmt.Errorf("current key: %w", err)
	}
	r := &Keyring{current: cur, byID: map[string]key{cur.id: cur}}
	for i, p := range previous {
		k, err := newKey(p)
		if err != nil {
			return nil, fmt.Errorf("previous key %d: %w", i, err)
		}
		if _, dup := r.byID[k.id]; !dup {
			r.byID[k.id] = k
		}
	}
	return r, nil
}

// NewRandomKeyring returns a keyring with one new random key, for the demo
// and tests: what it seals cannot be opened after the process ends.
func NewRandomKeyring() *Keyring {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b)
	r, err := NewKeyring(b)
	if err != nil {
		panic(err) // unreachable: the key has the right size
	}
	return r
}

func newKey(k []byte) (key, error) {
	if len(k) != KeySize {
		return key{}, fmt.Errorf("is %d bytes, want %d", len(k), KeySize)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return key{}, fmt.Errorf("preparing AES: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, fmt.Errorf("preparing GCM: %w", err)
	}
	return key{id: KeyID(k), aead: aead}, nil
}

// CurrentKeyID is the id of the key Seal uses.
func (r *Keyring) CurrentKeyID() string { return r.current.id }

// Seal encrypts plaintext with the current key and a random nonce. context
// names where the value is stored (for example "endpoint secret of workspace
// acme"); Open must be given the same context.
func (r *Keyring) Seal(plaintext, context string) string {
	nonce := make([]byte, r.current.aead.NonceSize(), r.current.aead.NonceSize()+len(plaintext)+r.current.aead.Overhead())
	_, _ = rand.Read(nonce)
	out := r.current.aead.Seal(nonce, nonce, []byte(plaintext), additional(r.current.id, context))
	return prefix + r.current.id + "." + base64.RawURLEncoding.EncodeToString(out)
}

// Open decrypts a value Seal made with any of the keyring's keys and the same
// context. Its errors match ErrNotSealed, ErrUnknownKey or ErrTampered and
// never contain the value.
func (r *Keyring) Open(sealed, context string) (string, error) {
	id, payload, err := split(sealed)
	if err != nil {
		return "", err
	}
	k, ok := r.byID[id]
	if !ok {
		return "", fmt.Errorf("key id %s: %w", id, ErrUnknownKey)
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || len(raw) < k.aead.NonceSize()+k.aead.Overhead() {
		return "", fmt.Errorf("key id %s: %w", id, ErrTampered)
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], additional(id, context))
	if err != nil {
		return "", fmt.Errorf("key id %s: %w", id, ErrTampered)
	}
	return string(plain), nil
}

// IsCurrent reports whether sealed was sealed with the current key, so a
// value sealed with an older key (or not sealed) can be sealed again.
func (r *Keyring) IsCurrent(sealed string) bool {
	id, _, err := split(sealed)
	return err == nil && id == r.current.id
}

// IsSealed reports whether v is in the sealed format (whatever its key).
func IsSealed(v string) bool {
	_, _, err := split(v)
	return err == nil
}

// split takes a sealed value apart into its key id and payload.
func split(sealed string) (id, payload string, err error) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", "", ErrNotSealed
	}
	id, payload, ok = strings.Cut(rest, ".")
	if !ok || len(id) != 8 || payload == "" {
		return "", "", ErrNotSealed
	}
	return id, payload, nil
}

// additional is the GCM additional data: the format, the key id and the
// caller's context, so neither can be swapped without failing to open.
func additional(id, context string) []byte {
	return []byte(prefix + id + "\x00" + context)
}
