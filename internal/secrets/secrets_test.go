package secrets_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/secrets"
)

// fixedKey returns a deterministic key whose bytes are all b.
func fixedKey(b byte) []byte { return bytes.Repeat([]byte{b}, secrets.KeySize) }

func ring(t *testing.T, current []byte, previous ...[]byte) *secrets.Keyring {
	t.Helper()
	r, err := secrets.NewKeyring(current, previous...)
	require.NoError(t, err)
	return r
}

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestSealedSecretOpensWithTheSameKeyAndContext(t *testing.T) {
	t.Parallel()
	r := ring(t, fixedKey(1))
	sealed := r.Seal(secret, "endpoint acme")
	require.True(t, strings.HasPrefix(sealed, "shs1."+r.CurrentKeyID()+"."), sealed)
	require.NotContains(t, sealed, secret)
	require.NotContains(t, sealed, "MfKQ9r8GKYqr", "no part of the plaintext shows")
	require.True(t, secrets.IsSealed(sealed))
	require.True(t, r.IsCurrent(sealed))

	got, err := r.Open(sealed, "endpoint acme")
	require.NoError(t, err)
	require.Equal(t, secret, got)

	again := r.Seal(secret, "endpoint acme")
	require.NotEqual(t, sealed, again, "a random nonce makes every seal differ")
}

func TestOpenRefusesClearly(t *testing.T) {
	t.Parallel()
	r := ring(t, fixedKey(1))
	sealed := r.Seal(secret, "endpoint acme")
	id, payload, _ := strings.Cut(strings.TrimPrefix(sealed, "shs1."), ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	require.NoError(t, err)
	flipped := bytes.Clone(raw)
	flipped[len(flipped)-1] ^= 1

	tests := []struct {
		name    string
		ring    *secrets.Keyring
		value   string
		context string
		want    error
	}{
		{"WrongKey", ring(t, fixedKey(2)), sealed, "endpoint acme", secrets.ErrUnknownKey},
		{"FlippedBit", r, "shs1." + id + "." + base64.RawURLEncoding.EncodeToString(flipped), "endpoint acme", secrets.ErrTampered},
		{"Truncated", r, sealed[:len(sealed)-4], "endpoint acme", secrets.ErrTampered},
		{"OtherContext", r, sealed, "endpoint other", secrets.ErrTampered},
		{"ForgedKeyID", r, "shs1.00000000." + payload, "endpoint acme", secrets.ErrUnknownKey},
		{"NotBase64", r, "shs1." + id + ".!!!", "endpoint acme", secrets.ErrTampered},
		{"Plaintext", r, secret, "endpoint acme", secrets.ErrNotSealed},
		{"Empty", r, "", "endpoint acme", secrets.ErrNotSealed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.ring.Open(tt.value, tt.context)
			require.ErrorIs(t, err, tt.want)
			require.Empty(t, got)
			require.NotContains(t, err.Error(), secret)
		})
	}
	_, err = ring(t, fixedKey(2)).Open(sealed, "endpoint acme")
	require.ErrorContains(t, err, "secrets_previous_keys", "the error says what to configure")
}

func TestRotationOpensOldValuesAndSealsWithTheNewKey(t *testing.T) {
	t.Parallel()
	old := ring(t, fixedKey(1))
	sealedOld := old.Seal(secret, "c")

	rotated := ring(t, fixedKey(2), fixedKey(1))
	require.NotEqual(t, old.CurrentKeyID(), rotated.CurrentKeyID())
	require.False(t, rotated.IsCurrent(sealedOld), "a value of the old key is due for sealing again")
	got, err := rotated.Open(sealedOld, "c")
	require.NoError(t, err)
	require.Equal(t, secret, got)

	sealedNew := rotated.Seal(got, "c")
	require.True(t, rotated.IsCurrent(sealedNew))
	_, err = old.Open(sealedNew, "c")
	require.ErrorIs(t, err, secrets.ErrUnknownKey, "the old key alone cannot open the new values")

	// Once everything is sealed again, the old key can go.
	newOnly := ring(t, fixedKey(2))
	got, err = newOnly.Open(sealedNew, "c")
	require.NoError(t, err)
	require.Equal(t, secret, got)
	require.False(t, rotated.IsCurrent(secret), "plaintext is never current")
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	k := fixedKey(7)
	tests := []struct {
		name, in string
		wantErr  string
	}{
		{"Hex", hex.EncodeToString(k), ""},
		{"Base64", base64.StdEncoding.EncodeToString(k), ""},
		{"Base64Raw", base64.RawStdEncoding.EncodeToString(k), ""},
		{"Base64URL", base64.URLEncoding.EncodeToString(k), ""},
		{"SurroundingSpace", " " + base64.StdEncoding.EncodeToString(k) + "\n", ""},
		{"Empty", "", "is empty"},
		{"Short", base64.StdEncoding.EncodeToString(k[:16]), "decodes to 16 bytes, want 32"},
		{"Garbage", "not a key at all!", "neither 64 hex digits nor base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := secrets.ParseKey(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				if tt.in != "" {
					require.NotContains(t, err.Error(), tt.in, "the error does not quote the key")
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, k, got)
		})
	}
	g, err := secrets.ParseKey(secrets.GenerateKey())
	require.NoError(t, err)
	require.Len(t, g, secrets.KeySize)
}

func TestNewKeyringRefusesAWrongSize(t *testing.T) {
	t.Parallel()
	_, err := secrets.NewKeyring(fixedKey(1)[:31])
	require.ErrorContains(t, err, "current key: is 31 bytes, want 32")
	_, err = secrets.NewKeyring(fixedKey(1), []byte("short"))
	require.ErrorContains(t, err, "previous key 0: is 5 bytes, want 32")
}

// FuzzOpen feeds Open arbitrary stored values: it must refuse, never panic,
// and whatever it opens must be what was sealed.
func FuzzOpen(f *testing.F) {
	r, err := secrets.NewKeyring(fixedKey(1))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(r.Seal(secret, "c"), "c")
	f.Add("shs1.00000000.AAAA", "c")
	f.Add("shs1.", "")
	f.Add(secret, "c")
	f.Fuzz(func(t *testing.T, v, context string) {
		got, err := r.Open(v, context)
		if err != nil {
			return
		}
		if again := r.Seal(got, context); again == v {
			t.Fatalf("a fresh seal repeated the stored value: nonce reuse")
		}
	})
}

// FuzzParseKey: any input either gives a 32-byte key or an error.
func FuzzParseKey(f *testing.F) {
	f.Add(secrets.GenerateKey())
	f.Add(hex.EncodeToString(fixedKey(3)))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := secrets.ParseKey(s)
		if err == nil && len(k) != secrets.KeySize {
			t.Fatalf("accepted a key of %d bytes", len(k))
		}
	})
}
