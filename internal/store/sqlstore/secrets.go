package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/shiphub/shiphub/internal/secrets"
)

// ErrNoSecretsKey means the store was opened without a keyring and was asked
// to store a secret, or to read one the keyring sealed.
var ErrNoSecretsKey = errors.New("no secrets key: the store was opened without secrets_key")

// secretContext is the additional data an endpoint's secrets are sealed
// with: a sealed secret moved to another workspace's row does not open.
// Both of an endpoint's secrets share it, so a rotation can move the
// current secret into previous_secret in SQL without opening it.
func secretContext(workspace string) string { return "endpoint secret of workspace " + workspace }

// sealSecret encrypts an endpoint secret for storage; the empty string (no
// previous secret) stays empty.
func (s *Store) sealSecret(workspace, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	if s.secrets == nil {
		return "", ErrNoSecretsKey
	}
	return s.secrets.Seal(plain, secretContext(workspace)), nil
}

// openSecret decrypts a stored endpoint secret. A value that is not sealed is
// one written before secrets were encrypted, and ResealSecrets seals it at
// the next start; it is returned as it is.
func (s *Store) openSecret(workspace, stored string) (string, error) {
	if stored == "" || !secrets.IsSealed(stored) {
		return stored, nil
	}
	if s.secrets == nil {
		return "", ErrNoSecretsKey
	}
	return s.secrets.Open(stored, secretContext(workspace))
}

// ResealSecrets seals every stored endpoint secret that is not sealed with
// the current key: plaintext from before encryption, and values of a key
// that secrets_previous_keys still holds. It runs in one transaction when a
// store opens (so a rotation is finished before the hub serves), and then
// the previous keys may be removed from the configuration. It returns how
// many rows it changed. A value sealed with a key the keyring does not hold
// fails it, naming the endpoint, and nothing changes.
func (s *Store) ResealSecrets(ctx context.Context) (int, error) {
	if s.secrets == nil {
		return 0, ErrNoSecretsKey
	}
	wtx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sealing endpoint secrets: %w", err)
	}
	defer rollback(wtx)
	// Locked, so a rotation committing meanwhile is not overwritten with the
	// secret it replaced.
	rows, err := wtx.QueryContext(ctx, `SELECT id, workspace, secret, previous_secret FROM endpoints ORDER BY id`+s.dialect.LockSuffix)
	if err != nil {
		return 0, fmt.Errorf("sealing endpoint secrets: %w", err)
	}
	type row struct {
		id                   int64
		workspace, cur, prev string
		newCur, newPrev      string
	}
	var due []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.workspace, &r.cur, &r.prev); err != nil {
			_ = rows.Close()
			return 0, fmt.Errorf("sealing endpoint secrets: %w", err)
		}
		if (r.cur == "" || s.secrets.IsCurrent(r.cur)) && (r.prev == "" || s.secrets.IsCurrent(r.prev)) {
			continue
		}
		due = append(due, r)
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("sealing endpoint secrets: %w", err)
	}
	for _, r := range due {
		for _, v := range []struct{ in, out *string }{{&r.cur, &r.newCur}, {&r.prev, &r.newPrev}} {
			plain, err := s.openSecret(r.workspace, *v.in)
			if err != nil {
				return 0, fmt.Errorf("sealing the secrets of endpoint %d: %w", r.id, err)
			}
			if *v.out, err = s.sealSecret(r.workspace, plain); err != nil {
				return 0, fmt.Errorf("sealing the secrets of endpoint %d: %w", r.id, err)
			}
		}
		if _, err := wtx.ExecContext(ctx, s.dialect.bind(`UPDATE endpoints SET secret = ?, previous_secret = ? WHERE id = ?`), r.newCur, r.newPrev, r.id); err != nil {
			return 0, fmt.Errorf("sealing the secrets of endpoint %d: %w", r.id, err)
		}
	}
	if err := wtx.Commit(); err != nil {
		return 0, fmt.Errorf("sealing endpoint secrets: %w", err)
	}
	return len(due), nil
}
