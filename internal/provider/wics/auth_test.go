package wics

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/provider"
)

func basic(pair string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(pair)) }

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	const key, secret = "wics-key", "s3cr3t"
	cases := []struct {
		name   string
		header string
		key    string
		secret string
		ok     bool
	}{
		{"Base64Form", basic("wics-key:s3cr3t"), key, secret, true},
		{"LiteralFormAsTheDocumentShows", "Basic wics-key:s3cr3t", key, secret, true},
		{"SchemeInAnyCase", "basic wics-key:s3cr3t", key, secret, true},
		{"SchemeUpperCaseBase64", "BASIC " + base64.StdEncoding.EncodeToString([]byte("wics-key:s3cr3t")), key, secret, true},
		{"SeveralSpacesAndSurroundingWhiteSpace", "  Basic   wics-key:s3cr3t \t", key, secret, true},
		{"SecretWithAColonLiteral", "Basic wics-key:a:b:c", key, "a:b:c", true},
		{"SecretWithAColonBase64", basic("wics-key:a:b:c"), key, "a:b:c", true},
		{"SecretWithSpacesLiteral", "Basic wics-key:two words", key, "two words", true},

		{"WrongSecretLiteral", "Basic wics-key:S3cr3t", key, secret, false},
		{"WrongSecretBase64", basic("wics-key:wrong"), key, secret, false},
		{"WrongKey", basic("other:s3cr3t"), key, secret, false},
		{"SecretOnly", basic("s3cr3t"), key, secret, false},
		{"KeyOnlyLiteral", "Basic wics-key:", key, secret, false},
		{"PrefixOfTheSecret", "Basic wics-key:s3cr3", key, secret, false},
		{"SecretWithExtra", "Basic wics-key:s3cr3tX", key, secret, false},
		{"Missing", "", key, secret, false},
		{"SchemeOnly", "Basic", key, secret, false},
		{"SchemeAndSpaces", "Basic    ", key, secret, false},
		{"OtherScheme", "Bearer wics-key:s3cr3t", key, secret, false},
		{"OtherSchemeBase64", "Bearer " + base64.StdEncoding.EncodeToString([]byte("wics-key:s3cr3t")), key, secret, false},
		{"NoScheme", "wics-key:s3cr3t", key, secret, false},
		{"SchemeGlued", "Basicwics-key:s3cr3t", key, secret, false},
		{"NotBase64", "Basic !!!!", key, secret, false},
		{"StandardBase64MatchesASecretWithPlusSigns", "Basic d2ljcy1rZXk6fn5+", key, "~~~", true},
		{"URLSafeBase64IsNotBasic", "Basic d2ljcy1rZXk6fn5-", key, "~~~", false},
		{"Base64WithoutColon", basic("wics-keys3cr3t"), key, secret, false},
		{"Base64OfTheBase64", basic(basic("wics-key:s3cr3t")[6:]), key, secret, false},
		// A key with ':' cannot be carried by Basic unambiguously: key
		// "wics:key" and secret "s" would be the same header as key "wics"
		// and secret "key:s". Such credentials never match.
		{"KeyWithAColonNeverMatchesLiteral", "Basic wics:key:s3cr3t", "wics:key", secret, false},
		{"KeyWithAColonNeverMatchesBase64", basic("wics:key:s3cr3t"), "wics:key", secret, false},
		{"TheSplitAtTheFirstColonIsTheStandardOne", "Basic wics:key:s3cr3t", "wics", "key:s3cr3t", true},
		{"EmptyConfiguredSecretNeverMatches", "Basic wics-key:", key, "", false},
		{"EmptyConfiguredKeyNeverMatches", "Basic :s3cr3t", "", secret, false},
		{"EmptyConfiguredPairNeverMatches", "Basic :", "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := Authenticate(c.header, c.key, c.secret)
			if c.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, provider.ErrUnauthorized)
			if c.secret != "" {
				require.NotContains(t, err.Error(), c.secret, "the error never repeats the secret")
			}
		})
	}
}

// TestCredentialsAreBuiltOnce: a connector digests its pair once and checks
// every webhook against it.
func TestCredentialsAreBuiltOnce(t *testing.T) {
	t.Parallel()
	c := NewCredentials("k", "s")
	require.NoError(t, c.Check("Basic k:s"))
	require.NoError(t, c.Check(basic("k:s")))
	require.ErrorIs(t, c.Check(basic("k:t")), provider.ErrUnauthorized)
	var zero Credentials
	require.ErrorIs(t, zero.Check("Basic :"), provider.ErrUnauthorized, "the zero Credentials match nothing")
}
