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

// What a sealed value is, in its additional data: a value moved to another
// column kind, or to another workspace's row, does not open. An endpoint's
// two secrets share a kind, so a rotation can move the current secret into
// previous_secret in SQL without opening it.
const (
	secretContext = "endpoint secret"
	headerContext = "endpoint headers"
)

// sealSecret encrypts a value of the given kind for storage; the empty
// string (no previous secret, no headers) stays empty.
func (s *Store) sealSecret(workspace, kind, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	if s.secrets == nil {
		return "", ErrNoSecretsKey
	}
	return s.secrets.Seal(plain, kind+" of workspace "+workspace), nil
}

// openSecret decrypts a stored value. A value that is not sealed was written
// before secrets were encrypted, and ResealSecrets seals it at the next
// start; it is returned as it is.
func (s *Store) openSecret(workspace, kind, stored string) (string, error) {
	if stored == "" || !secrets.IsSealed(stored) {
		return stored, nil
	}
	if s.secrets == nil {
		return "", ErrNoSecretsKey
	}
	return s.secrets.Open(stored, kind+" of workspace "+workspace)
}

// ResealSecrets seals every stored endpoint secret and header set that is
// not sealed with the current key: plaintext from before encryption, and
// values of a key that secrets_previous_keys still holds. It runs in one
// transaction when a store opens (so a rotation is finished before the hub
// serves), after which the previous keys may be removed from the
// configuration. It returns how many rows it changed. A value sealed with a
// key the keyring does not hold fails it, naming the endpoint, and nothing
// changes.
func (s *Store) ResealSecrets(ctx context.Context) (int, error) {
	if s.secrets == nil {
		return 0, ErrNoSecretsKey
	}
	// Usually everything is sealed with the current key already: find that
	// out without locking rows that running instances may be updating.
	if due, err := s.anyToReseal(ctx); err != nil || !due {
		return 0, err
	}
	wtx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sealing endpoint secrets: %w", err)
	}
	defer rollback(wtx)
	// Locked, so a rotation committing meanwhile is not overwritten with the
	// secret it replaced.
	rows, err := wtx.QueryContext(ctx, `SELECT id, workspace, secret, previous_secret, headers FROM endpoints ORDER BY id`+s.dialect.LockSuffix)
	if err != nil {
		return 0, fmt.Errorf("sealing endpoint secrets: %w", err)
	}
	type row struct {
		id        int64
		workspace string
		vals      [3]string // secret, previous_secret, headers
	}
	kinds := [3]string{secretContext, secretContext, headerContext}
	var due []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.workspace, &r.vals[0], &r.vals[1], &r.vals[2]); err != nil {
			_ = rows.Close()
			return 0, fmt.Errorf("sealing endpoint secrets: %w", err)
		}
		for _, v := range r.vals {
			if v != "" && !s.secrets.IsCurrent(v) {
				due = append(due, r)
				break
			}
		}
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("sealing endpoint secrets: %w", err)
	}
	for _, r := range due {
		var sealed [3]string
		for i, v := range r.vals {
			plain, err := s.openSecret(r.workspace, kinds[i], v)
			if err != nil {
				return 0, fmt.Errorf("sealing the secrets of endpoint %d: %w", r.id, err)
			}
			if sealed[i], err = s.sealSecret(r.workspace, kinds[i], plain); err != nil {
				return 0, fmt.Errorf("sealing the secrets of endpoint %d: %w", r.id, err)
			}
		}
		if _, err := wtx.ExecContext(ctx, s.dialect.bind(`UPDATE endpoints SET secret = ?, previous_secret = ?, headers = ? WHERE id = ?`),
			sealed[0], sealed[1], sealed[2], r.id); err != nil {
			return 0, fmt.Errorf("sealing the secrets of endpoint %d: %w", r.id, err)
		}
	}
	if err := wtx.Commit(); err != nil {
		return 0, fmt.Errorf("sealing endpoint secrets: %w", err)
	}
	return len(due), nil
}

// anyToReseal reports whether some stored value is not sealed with the
// current key.
func (s *Store) anyToReseal(ctx context.Context) (bool, error) {
	rows, err := s.writer.QueryContext(ctx, `SELECT secret, previous_secret, headers FROM endpoints`)
	if err != nil {
		return false, fmt.Errorf("sealing endpoint secrets: %w", err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var vals [3]string
		if err := rows.Scan(&vals[0], &vals[1], &vals[2]); err != nil {
			return false, fmt.Errorf("sealing endpoint secrets: %w", err)
		}
		for _, v := range vals {
			if v != "" && !s.secrets.IsCurrent(v) {
				return true, nil
			}
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("sealing endpoint secrets: %w", err)
	}
	return false, nil
}
