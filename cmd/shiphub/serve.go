package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/server"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	configPath := fs.String("config", "shiphub.yaml", "configuration file")
	listen := fs.String("listen", "", "override http.listen (host:port; port 0 picks a free one)")
	debugListen := fs.String("debug-listen", "", "opt-in: serve /debug/pprof and /debug/cpuprofile on this separate address (loopback, for benchmarks; printed on stdout after the address)")
	profileDir := fs.String("profile-dir", "", "with --debug-listen: where POST /debug/cpuprofile?name=NAME writes NAME.pprof")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.HTTP.Listen = *listen
	}
	log := newLogger(stderr, cfg.Log)
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		_ = srv.Stop(context.Background())
		return err
	}
	// The first line on stdout is the address, for scripts and tests.
	fmt.Fprintf(stdout, "listening on %s\n", srv.URL())
	if *debugListen != "" {
		addr, stop, err := startDebug(*debugListen, *profileDir, log)
		if err != nil {
			_ = srv.Stop(context.Background())
			return err
		}
		defer stop()
		fmt.Fprintf(stdout, "debug listening on http://%s\n", addr)
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-srv.Done():
	}
	log.Info("shutting down")
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Stop(stopCtx); err != nil {
		return err
	}
	return serveErr
}
