package config

import (
	"errors"
	"fmt"

	"github.com/shiphub/shiphub/internal/secrets"
)

// ErrNoSecretsKey means the configuration has no secrets_key: the hub will
// not start without one, because it would have to keep endpoint secrets in
// the database in clear.
var ErrNoSecretsKey = errors.New("secrets_key: is required: the key that encrypts endpoint secrets and provider credentials in the database " +
	"(32 bytes, base64 or hex; generate one with `openssl rand -base64 32` and pass it as secrets_key: ${SHIPHUB_SECRETS_KEY})")

// validateSecrets checks the format of the configured keys, without quoting
// them. Whether a key is present at all is checked by Keyring, when a hub
// starts: tools that only read the configuration need none.
func (c *Config) validateSecrets() []error {
	var errs []error
	if c.SecretsKey != "" {
		if _, err := secrets.ParseKey(c.SecretsKey); err != nil {
			errs = append(errs, fmt.Errorf("secrets_key: %w", err))
		}
	}
	for i, k := range c.SecretsPreviousKeys {
		if _, err := secrets.ParseKey(k); err != nil {
			errs = append(errs, fmt.Errorf("secrets_previous_keys[%d]: %w", i, err))
		}
	}
	if len(c.SecretsPreviousKeys) > 0 && c.SecretsKey == "" {
		errs = append(errs, errors.New("secrets_previous_keys: needs secrets_key, the key that replaces them"))
	}
	return errs
}

// Keyring builds the keyring of secrets_key (which seals) and
// secrets_previous_keys (which still open what they sealed). It fails with
// ErrNoSecretsKey when secrets_key is not set.
func (c *Config) Keyring() (*secrets.Keyring, error) {
	if c.SecretsKey == "" {
		return nil, ErrNoSecretsKey
	}
	cur, err := secrets.ParseKey(c.SecretsKey)
	if err != nil {
		return nil, fmt.Errorf("secrets_key: %w", err)
	}
	prev := make([][]byte, 0, len(c.SecretsPreviousKeys))
	for i, k := range c.SecretsPreviousKeys {
		b, err := secrets.ParseKey(k)
		if err != nil {
			return nil, fmt.Errorf("secrets_previous_keys[%d]: %w", i, err)
		}
		prev = append(prev, b)
	}
	r, err := secrets.NewKeyring(cur, prev...)
	if err != nil {
		return nil, fmt.Errorf("secrets_key: %w", err)
	}
	return r, nil
}
