package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/server"
)

// runReprocess rebuilds canonical state from the raw inbox, for example after
// a status mapping was corrected. Merchant feed events of the rebuilt state
// are written anew; run it while the hub is stopped (with PostgreSQL a
// running instance would share the work, which is safe but slower).
func runReprocess(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("reprocess", stderr)
	configPath := fs.String("config", "shiphub.yaml", "configuration file")
	workspace := fs.String("workspace", "", "rebuild only this workspace (default: all)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	srv, err := server.New(ctx, cfg, newLogger(stderr, cfg.Log))
	if err != nil {
		return err
	}
	defer srv.Store.Close()
	n, err := srv.Store.ResetCanonical(ctx, *workspace)
	if err != nil {
		return fmt.Errorf("resetting canonical state: %w", err)
	}
	fmt.Fprintf(stdout, "reprocessing %d inbox messages\n", n)
	start := time.Now()
	var done int
	for {
		k, err := srv.Pipeline.RunOnce(ctx)
		if err != nil {
			return fmt.Errorf("after %d messages: %w", done, err)
		}
		if k == 0 {
			break
		}
		done += k
		if done%5000 < k {
			fmt.Fprintf(stdout, "  %d/%d messages (%.0f/s)\n", done, n, float64(done)/time.Since(start).Seconds())
		}
	}
	stats, err := srv.Store.InboxStats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "done: %d messages in %s; %d failed to normalise (see the logs)\n", done, time.Since(start).Round(time.Millisecond), stats.Failed)
	return nil
}
