package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/server"
)

// startLocalHub defaults and validates an in-process configuration (demo,
// bench), builds the hub and starts it. Stop it with stopLocalHub.
func startLocalHub(ctx context.Context, cfg *config.Config, stderr io.Writer) (*server.Server, error) {
	cfg.SetDefaults()
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

// tempSQLite is a database string for SQLite in dir.
func tempSQLite(dir string) string { return "sqlite:" + filepath.Join(dir, "hub.db") }
