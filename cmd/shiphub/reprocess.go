package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/coord"
	"github.com/shiphub/shiphub/internal/hublock"
	"github.com/shiphub/shiphub/internal/server"
)

// runReprocess rebuilds canonical state from the raw inbox, for example after
// a status mapping was corrected. Shipments keep their ids, and merchants get
// one feed event per shipment whose status the rebuild changed, not
// everything again. Only the named workspaces are touched: another
// workspace's pending messages are left for the hub to apply (and report).
// It refuses to run while any hub runs on the same database, and a hub
// refuses to start while it runs (package hublock): a hub's pipeline would
// otherwise write feed entries for half-rebuilt shipments.
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
	lock, err := hublock.Reprocess(ctx, srv.Store, coord.NewInstanceID(), hublock.Options{Logger: newLogger(stderr, cfg.Log)})
	if err != nil {
		return err
	}
	defer func() { _ = lock.Release(context.WithoutCancel(ctx)) }()
	// Stop the rebuild if the lease is lost: a hub could start meanwhile.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-lock.Lost():
			cancel(errors.New("the reprocess lease was lost (the database did not answer for too long); run reprocess again"))
		case <-ctx.Done():
		}
	}()

	fmt.Fprintf(stdout, "reprocessing workspaces %v\n", workspaces)
	start := time.Now()
	lastReport := start
	rep, err := srv.Pipeline.Rebuild(ctx, workspaces, func(done, total int) {
		if time.Since(lastReport) >= time.Second || done == total {
			lastReport = time.Now()
			fmt.Fprintf(stdout, "  %d/%d messages (%.0f/s)\n", done, total, float64(done)/time.Since(start).Seconds())
		}
	})
	if cause := context.Cause(ctx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		return fmt.Errorf("%w: %w", err, cause)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "done: %d messages in %s; %d shipments changed status, %d are new (one feed event each); %d messages failed to normalise (GET /api/v1/inbox/failed lists them)\n",
		rep.Messages, time.Since(start).Round(time.Millisecond), rep.Changed, rep.Created, rep.Failed)
	return nil
}
