package storetest

import (
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store"
)

// Opener opens the store on one database, the same each call, with the given
// keyring (nil: none), and returns it with a raw handle on that database for
// looking at what is at rest. The store is closed when the test ends; the
// caller may close it earlier.
type Opener func(t *testing.T, keys *secrets.Keyring) (store.Store, *sql.DB, error)

// NewOpener is how an adapter's test provides an Opener for a new database.
type NewOpener func(t *testing.T) Opener

// ExerciseSecretsAtRest runs the secrets-at-rest cases: they reopen one
// database with different keys, which Exercise's fresh stores cannot.
func ExerciseSecretsAtRest(t *testing.T, newOpener NewOpener) {
	t.Helper()
	cases := []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"TheDatabaseHoldsNoPlaintextSecret", testNoPlaintextAtRest},
		{"PlaintextSecretsFromBeforeAreSealedAtOpen", testPlaintextIsSealedAtOpen},
		{"ARotatedKeyResealsEverythingAtOpenAndTheOldKeyCanGo", testKeyRotation},
		{"WithoutTheKeyTheStoreRefusesClearly", testWrongKeyRefuses},
		{"ASecretMovedToAnotherWorkspaceDoesNotOpen", testMovedSecretRefused},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newOpener(t))
		})
	}
}

func mustOpen(t *testing.T, open Opener, keys *secrets.Keyring) (store.Store, *sql.DB) {
	t.Helper()
	s, raw, err := open(t, keys)
	require.NoError(t, err)
	return s, raw
}

// storedSecrets reads the secret columns of every endpoint as stored.
func storedSecrets(t *testing.T, raw *sql.DB) map[int64][2]string {
	t.Helper()
	rows, err := raw.QueryContext(ctx(t), `SELECT id, secret, previous_secret FROM endpoints ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[int64][2]string{}
	for rows.Next() {
		var (
			id        int64
			cur, prev string
		)
		require.NoError(t, rows.Scan(&id, &cur, &prev))
		out[id] = [2]string{cur, prev}
	}
	require.NoError(t, rows.Err())
	return out
}

// requireNothingInClear checks every text column of the endpoints table for
// any of the secrets, whole or as their key part.
func requireNothingInClear(t *testing.T, raw *sql.DB, plain ...string) {
	t.Helper()
	rows, err := raw.QueryContext(ctx(t), `SELECT url, events, description, headers, secret, previous_secret, config_key FROM endpoints`)
	require.NoError(t, err)
	defer rows.Close()
	n := 0
	for rows.Next() {
		cols := make([]string, 7)
		ptrs := make([]any, len(cols))
		for i := range cols {
			ptrs[i] = &cols[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		row := strings.Join(cols, "\x00")
		require.NotContains(t, row, "whsec_", "a secret in clear")
		for _, p := range plain {
			if p == "" {
				continue
			}
			require.NotContains(t, row, strings.TrimPrefix(p, "whsec_"), "a secret in clear")
		}
		n++
	}
	require.NoError(t, rows.Err())
	require.NotZero(t, n, "there are endpoints to check")
}

func testNoPlaintextAtRest(t *testing.T, open Opener) {
	keys := secrets.NewRandomKeyring()
	s, raw := mustOpen(t, open, keys)
	token := "tok_" + strings.TrimPrefix(model.NewSecret(), "whsec_") // a receiver's own credential, in a custom header
	api := &model.Endpoint{Workspace: "acme", URL: "https://acme.example/hooks", Events: []string{"*"}, Secret: model.NewSecret(),
		Headers: map[string]string{"Authorization": "Bearer " + token}}
	require.NoError(t, s.CreateEndpoint(ctx(t), api))
	rotated := model.NewSecret()
	require.NoError(t, s.RotateEndpointSecret(ctx(t), "acme", api.ID, rotated, base.Add(time.Hour)))
	configured := &model.Endpoint{URL: "https://acme.example/config", Events: []string{"*"}, Secret: model.NewSecret(),
		Headers: map[string]string{"X-Token": token}}
	require.NoError(t, s.SyncConfigEndpoints(ctx(t), "acme", []*model.Endpoint{configured}))
	generated := &model.Endpoint{URL: "https://acme.example/generated", Events: []string{"*"}}
	require.NoError(t, s.SyncConfigEndpoints(ctx(t), "acme", []*model.Endpoint{configured, generated}))
	changed := &model.Endpoint{URL: configured.URL, Events: []string{"*"}, Secret: model.NewSecret(), Headers: map[string]string{"X-Token": token + "2"}}
	require.NoError(t, s.SyncConfigEndpoints(ctx(t), "acme", []*model.Endpoint{changed, generated}))

	got, err := s.GetEndpoint(ctx(t), "acme", api.ID)
	require.NoError(t, err)
	require.Equal(t, rotated, got.Secret, "the secret reads back in clear")
	require.Equal(t, api.Secret, got.PreviousSecret, "the rotated-out secret reads back in clear")
	require.Equal(t, api.Headers, got.Headers, "the headers read back in clear")
	list, err := s.ListEndpoints(ctx(t), "acme")
	require.NoError(t, err)
	bySecret := map[string]*model.Endpoint{}
	for _, e := range list {
		bySecret[e.Secret] = e
	}
	require.Contains(t, bySecret, changed.Secret, "a changed configured secret reads back")
	require.Equal(t, changed.Headers, bySecret[changed.Secret].Headers, "changed configured headers read back")
	require.Len(t, list, 3)

	for id, v := range storedSecrets(t, raw) {
		require.True(t, secrets.IsSealed(v[0]) && keys.IsCurrent(v[0]), "endpoint %d: secret sealed with the current key", id)
		if v[1] != "" {
			require.True(t, keys.IsCurrent(v[1]), "endpoint %d: previous secret sealed", id)
		}
	}
	var allPlain []string
	for _, e := range list {
		allPlain = append(allPlain, e.Secret, e.PreviousSecret)
	}
	requireNothingInClear(t, raw, append(allPlain, api.Secret, configured.Secret, token)...)
}

// insertPlain writes an endpoint row as a hub before encryption did.
func insertPlain(t *testing.T, raw *sql.DB, workspace, headers, secret, previous string) int64 {
	t.Helper()
	placeholder := placeholderStyle(t, raw)
	q := `INSERT INTO endpoints (workspace, url, events, headers, secret, previous_secret, previous_secret_until, source, created_at, updated_at) VALUES (`
	for i := 1; i <= 10; i++ {
		if i > 1 {
			q += ", "
		}
		q += placeholder(i)
	}
	q += `) RETURNING id`
	now := time.Now().Add(time.Hour).UnixMicro()
	var id int64
	require.NoError(t, raw.QueryRowContext(ctx(t), q, workspace, "https://"+workspace+".example/old", `["*"]`, headers, secret, previous, now, "api", now, now).Scan(&id))
	return id
}

func testPlaintextIsSealedAtOpen(t *testing.T, open Opener) {
	keys := secrets.NewRandomKeyring()
	s, raw := mustOpen(t, open, nil) // migrated, no key: as before encryption
	require.NoError(t, s.Close())
	cur, prev := model.NewSecret(), model.NewSecret()
	id := insertPlain(t, raw, "acme", `{"X-Token":"tok_plain_from_before"}`, cur, prev)

	s, raw = mustOpen(t, open, keys)
	got, err := s.GetEndpoint(ctx(t), "acme", id)
	require.NoError(t, err)
	require.Equal(t, cur, got.Secret)
	require.Equal(t, prev, got.PreviousSecret)
	require.Equal(t, map[string]string{"X-Token": "tok_plain_from_before"}, got.Headers)
	v := storedSecrets(t, raw)[id]
	require.True(t, keys.IsCurrent(v[0]) && keys.IsCurrent(v[1]), "both secrets were sealed when the store opened")
	requireNothingInClear(t, raw, cur, prev, "tok_plain_from_before")
}

func testKeyRotation(t *testing.T, open Opener) {
	oldKeys, oldKey := newKeyring(t)
	s, raw := mustOpen(t, open, oldKeys)
	e := &model.Endpoint{Workspace: "acme", URL: "https://acme.example/hooks", Events: []string{"*"}, Secret: model.NewSecret()}
	require.NoError(t, s.CreateEndpoint(ctx(t), e))
	require.NoError(t, s.Close())
	before := storedSecrets(t, raw)[e.ID]

	rotated, newKey := newKeyring(t, oldKey)
	s, raw = mustOpen(t, open, rotated)
	after := storedSecrets(t, raw)[e.ID]
	require.NotEqual(t, before[0], after[0])
	require.True(t, rotated.IsCurrent(after[0]), "the row was sealed again with the new key at open")
	require.NoError(t, s.Close())

	newOnly, err := secrets.NewKeyring(newKey)
	require.NoError(t, err)
	s, _ = mustOpen(t, open, newOnly)
	got, err := s.GetEndpoint(ctx(t), "acme", e.ID)
	require.NoError(t, err)
	require.Equal(t, e.Secret, got.Secret, "after the rotation the old key is not needed")
}

func testWrongKeyRefuses(t *testing.T, open Opener) {
	s, _ := mustOpen(t, open, secrets.NewRandomKeyring())
	e := &model.Endpoint{Workspace: "acme", URL: "https://acme.example/hooks", Events: []string{"*"}, Secret: model.NewSecret()}
	require.NoError(t, s.CreateEndpoint(ctx(t), e))
	require.NoError(t, s.Close())

	_, _, err := open(t, secrets.NewRandomKeyring())
	require.ErrorIs(t, err, secrets.ErrUnknownKey, "a store opened with another key refuses to start")
	require.ErrorContains(t, err, "secrets_previous_keys")
	require.ErrorContains(t, err, "endpoint")

	s, _ = mustOpen(t, open, nil) // no key: the inbox is usable, secrets are not
	_, err = s.GetEndpoint(ctx(t), "acme", e.ID)
	require.Error(t, err)
	require.NotContains(t, err.Error(), e.Secret)
	require.Error(t, s.CreateEndpoint(ctx(t), &model.Endpoint{Workspace: "acme", URL: "https://acme.example/2", Events: []string{"*"}, Secret: model.NewSecret()}),
		"without a key no secret is stored, in clear or otherwise")
}

func testMovedSecretRefused(t *testing.T, open Opener) {
	keys := secrets.NewRandomKeyring()
	s, raw := mustOpen(t, open, keys)
	a := &model.Endpoint{Workspace: "acme", URL: "https://acme.example/hooks", Events: []string{"*"}, Secret: model.NewSecret()}
	b := &model.Endpoint{Workspace: "other", URL: "https://other.example/hooks", Events: []string{"*"}, Secret: model.NewSecret()}
	require.NoError(t, s.CreateEndpoint(ctx(t), a))
	require.NoError(t, s.CreateEndpoint(ctx(t), b))
	stored := storedSecrets(t, raw)
	ph := placeholderStyle(t, raw)
	_, err := raw.ExecContext(ctx(t), `UPDATE endpoints SET secret = `+ph(1)+` WHERE id = `+ph(2), stored[a.ID][0], b.ID)
	require.NoError(t, err)
	_, err = s.GetEndpoint(ctx(t), "other", b.ID)
	require.ErrorIs(t, err, secrets.ErrTampered, "acme's secret must not sign for other")
	require.NotContains(t, err.Error(), a.Secret)
}

// placeholderStyle returns the raw database's placeholder for argument n:
// ? on SQLite, $n on PostgreSQL (which refuses ?).
func placeholderStyle(t *testing.T, raw *sql.DB) func(int) string {
	t.Helper()
	var one int
	if err := raw.QueryRowContext(ctx(t), `SELECT CAST(? AS INTEGER)`, 1).Scan(&one); err == nil {
		return func(int) string { return "?" }
	}
	return func(n int) string { return "$" + strconv.Itoa(n) }
}

// newKeyring returns a keyring of a new random key, with the key's bytes.
func newKeyring(t *testing.T, previous ...[]byte) (*secrets.Keyring, []byte) {
	t.Helper()
	k, err := secrets.ParseKey(secrets.GenerateKey())
	require.NoError(t, err)
	r, err := secrets.NewKeyring(k, previous...)
	require.NoError(t, err)
	return r, k
}
