// Package open opens the store a configuration's database string names, so
// the command line does not need to know the adapters.
package open

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// Option adjusts how Open opens a store.
type Option func(*options)

type options struct {
	secrets *secrets.Keyring
}

// WithSecrets gives the store the keyring that seals endpoint secrets (the
// hub's secrets_key). Without it the store refuses to store or read them.
func WithSecrets(r *secrets.Keyring) Option {
	return func(o *options) { o.secrets = r }
}

// Open opens the database named by database: "sqlite:PATH" for the embedded
// SQLite file (created with its directory when missing), or a
// "postgres://…" / "postgresql://…" URL. Errors never show a URL's password.
func Open(ctx context.Context, database string, opts ...Option) (store.Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case strings.HasPrefix(database, "sqlite:"):
		path, query, _ := strings.Cut(strings.TrimPrefix(database, "sqlite:"), "?")
		if path == "" {
			return nil, fmt.Errorf("opening database: %q names no file", database)
		}
		cfg := sqlite.Config{Path: path, Secrets: o.secrets}
		opts, err := url.ParseQuery(query)
		if err != nil {
			return nil, fmt.Errorf("opening database: options after ?: %w", err)
		}
		for k := range opts {
			switch k {
			case "synchronous":
				cfg.Synchronous = strings.ToUpper(opts.Get(k))
			default:
				return nil, fmt.Errorf("opening database: unknown SQLite option %q (known: synchronous)", k)
			}
		}
		s, err := sqlite.New(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("opening database: %w", err)
		}
		return s, nil
	case strings.HasPrefix(database, "postgres://"), strings.HasPrefix(database, "postgresql://"):
		s, err := postgres.New(ctx, postgres.Config{URL: database, Secrets: o.secrets})
		if err != nil {
			return nil, fmt.Errorf("opening database: %w", err)
		}
		return s, nil
	case database == "":
		return nil, fmt.Errorf("opening database: none configured (want sqlite:PATH or postgres://…)")
	default:
		scheme, _, _ := strings.Cut(postgres.Redact(database), ":")
		return nil, fmt.Errorf("opening database: unsupported kind %q (want sqlite:PATH or postgres://…)", scheme)
	}
}

// Cursors is st's Cursors port: both SQL stores have one. It fails for a
// store without it (a test fake).
func Cursors(st store.Store) (store.Cursors, error) {
	c, ok := st.(store.Cursors)
	if !ok {
		return nil, fmt.Errorf("the store %T keeps no sync cursors", st)
	}
	return c, nil
}
