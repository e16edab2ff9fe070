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
// a status mapping was corrected. Shipments keep their ids, and merchants get
// one feed event per shipment whose status the rebuild changed, not
// everything again. Run it while the hub is stopped: on SQLite a running hub
// would wait for the database, and on PostgreSQL its pipeline would write
// feed entries for the messages it applies meanwhile.
func runReprocess(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("reprocess", stderr)
	configPath := fs.String("config", "shiphub.yaml", "configuration file")
	workspace := fs.String("workspace", "", "rebuild only this workspace (default: every configured one)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	var workspaces []string
	for _, w := range cfg.Workspaces {
		if *workspace == "" || w.ID == *workspace {
			workspaces = append(workspaces, w.ID)
		}
	}
	if len(workspaces) == 0 {
		return fmt.Errorf("workspace %q is not in %s", *workspace, *configPath)
	}
	srv, err := server.New(ctx, cfg, newLogger(stderr, cfg.Log))
	if err != nil {
		return err
	}
	defer srv.Store.Close()

	fmt.Fprintf(stdout, "reprocessing workspaces %v\n", workspaces)
	start := time.Now()
	lastReport := start
	rep, err := srv.Pipeline.Rebuild(ctx, workspaces, func(done, total int) {
		if time.Since(lastReport) >= time.Second || done == total {
			lastReport = time.Now()
			fmt.Fprintf(stdout, "  %d/%d messages (%.0f/s)\n", done, total, float64(done)/time.Since(start).Seconds())
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "done: %d messages in %s; %d shipments changed status, %d are new (one feed event each); %d messages failed to normalise (see the logs)\n",
		rep.Messages, time.Since(start).Round(time.Millisecond), rep.Changed, rep.Created, rep.Failed)
	return nil
}
