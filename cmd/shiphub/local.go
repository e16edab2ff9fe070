package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/secrets"
	"github.com/shiphub/shiphub/internal/server"
)

// startLocalHub defaults and validates an in-process configuration (demo,
// bench), builds the hub and starts it. Stop it with stopLocalHub.
func startLocalHub(ctx context.Context, cfg *config.Config, stderr io.Writer) (*server.Server, error) {
	cfg.SetDefaults()
	if cfg.SecretsKey == "" {
		// A local run's database usually lives as long as its temporary
		// directory, and an ephemeral key seals its endpoint secrets. A run
		// on a database of its own (bench --database) takes the operator's
		// SHIPHUB_SECRETS_KEY, so it can open what an earlier run sealed.
		cfg.SecretsKey = os.Getenv("SHIPHUB_SECRETS_KEY")
		if cfg.SecretsKey == "" {
			cfg.SecretsKey = secrets.GenerateKey()
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	srv, err := server.New(ctx, cfg, newLogger(stderr, cfg.Log))
	if err != nil {
		return nil, err
	}
	if err := srv.Start(ctx); err != nil {
		_ = srv.Stop(context.Background())
		return nil, err
	}
	return srv, nil
}

// stopLocalHub stops a hub started by startLocalHub, giving it 15 s.
func stopLocalHub(srv *server.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = srv.Stop(ctx)
}

// tempDir makes a temporary directory for a run's data; remove removes it.
func tempDir(prefix string) (dir string, remove func(), err error) {
	dir, err = os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, fmt.Errorf("creating a temporary directory: %w", err)
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

// localSecretsKey returns the secrets key of a local run's data directory:
// the one kept in dir/secrets.key, or a new one written there, so a run on
// the same directory again (demo --data) opens what an earlier one sealed.
func localSecretsKey(dir string) (string, error) {
	path := filepath.Join(dir, "secrets.key")
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reading the demo secrets key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("creating the demo data directory: %w", err)
	}
	key := secrets.GenerateKey()
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing the demo secrets key: %w", err)
	}
	return key, nil
}

// tempSQLite is a database string for SQLite in dir.
func tempSQLite(dir string) string { return "sqlite:" + filepath.Join(dir, "hub.db") }
