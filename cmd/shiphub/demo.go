package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/sim/couriersim"
	"github.com/shiphub/shiphub/internal/sim/winkelstraatsim"
	"github.com/shiphub/shiphub/internal/store"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "HTTP address (a free port is taken if this one is busy)")
	duration := fs.Duration("duration", 0, "stop by itself after this long (0: run until Ctrl-C)")
	dataDir := fs.String("data", "", "directory for the demo database (default: a new temporary directory)")
	step := fs.Duration("step", 300*time.Millisecond, "pause between two status updates of one simulated shipment")
	logLevel := fs.String("log-level", "warn", "log level of the hub: debug, info, warn, error")
	ftpListen := fs.String("ftp-listen", "127.0.0.1:2121", "FTP address of the courier's file uploads (a free port is taken if busy)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dir := *dataDir
	if dir == "" {
		tmp, remove, err := tempDir("shiphub-demo-")
		if err != nil {
			return err
		}
		defer remove()
		dir = tmp
	}

	apiKey, courierKey, wsKey := "demo_"+randomHex(16), randomHex(16), randomHex(16)
	ftpPassword := randomHex(12)
	wicsLogin := newDemoWICS()
	sl, err := startDemoServiceLayer(*step, wicsLogin)
	if err != nil {
		return err
	}
	defer sl.Close()
	gs, gclConn, err := startDemoGCL(*step * 3)
	if err != nil {
		return err
	}
	defer gs.Close()
	merchant, err := startDemoMerchant()
	if err != nil {
		return err
	}
	defer merchant.Close()
	aa, aaConn, err := startDemoActiveAnts(time.Now().UnixNano() + 3)
	if err != nil {
		return err
	}
	defer aa.Close()
	httpListen, httpBusy := listenAddr(*listen)
	ftpAddr, ftpBusy := listenAddr(*ftpListen)
	cfg := &config.Config{
		HTTP:     config.HTTP{Listen: httpListen},
		Database: tempSQLite(dir),
		Log:      config.Log{Level: *logLevel},
		Outbound: config.Outbound{AllowPrivateNetworks: true}, // the demo merchant is on loopback
		Workspaces: []config.Workspace{{
			ID:        "demo",
			APIKeys:   []string{apiKey},
			Endpoints: merchant.endpoint(),
			Connections: []config.Connection{
				{ID: "courier", Provider: "courier", Settings: map[string]any{"inbound_api_key": courierKey}},
				{ID: "winkelstraat", Provider: "winkelstraat", Settings: map[string]any{"inbound_api_key": wsKey}},
				gclConn,
				wicsLogin.connection(sl.url),
				sl.connection(),
				{ID: "courier-ftp", Provider: "courier", Settings: map[string]any{"ftp_user": "courier", "ftp_password": ftpPassword}},
				aaConn,
			},
		}},
		FTP: config.FTP{Listen: ftpAddr, DataDir: filepath.Join(dir, "ftp")},
		// The sign-in page signs the demo workspace in with one click; the
		// key stays on the server.
		Dashboard: config.Dashboard{DemoKey: apiKey},
	}
	if cfg.SecretsKey, err = localSecretsKey(dir); err != nil {
		return err
	}
	srv, err := startLocalHub(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer stopLocalHub(srv)

	base := srv.URL()
	// The dashboard comes first: it is where a person starts.
	fmt.Fprintf(stdout, "dashboard: %s/ui/   (open it and sign in to the demo workspace with one click)\n", base)
	if httpBusy != nil {
		fmt.Fprint(stdout, fallbackNote("the HTTP address", *listen, srv.Addr(), httpBusy))
	}
	if ftpBusy != nil {
		fmt.Fprint(stdout, fallbackNote("the FTP address", *ftpListen, srv.FTPAddr(), ftpBusy))
	}
	fmt.Fprintf(stdout, `shiphub demo — the hub and its provider simulators on loopback

  hub            %[1]s
  database       %[2]s
  merchant API   %[1]s/api/v1/shipments   (Authorization: Bearer %[3]s)
  OpenAPI        %[1]s/api/v1/openapi.json
  metrics        %[1]s/metrics
  courier hook   %[1]s/hooks/demo/courier        (X-API-KEY from the demo config)
  winkelstraat   %[1]s/hooks/demo/winkelstraat   (x-api-key from the demo config)
  wics           %[1]s/hooks/demo/wics/{topic}   (Authorization: Basic key:secret from the demo config)
  wics-sl        %[6]s   (the WICS Service Layer simulator; its time runs %[7]d times faster: a WICS minute lasts %[8]s)
                 orders, products: %[1]s/api/v1/orders, /api/v1/products, /api/v1/commands, /api/v1/connections
  courier FTP    ftp://%[4]s/   (user courier, password %[5]s; FTP/JSON and FTP/XML files; refused ones: /api/v1/intake/errors)
  active ants    %[9]s   (the ShopApi simulator; the hub pulls it, orders go in by POST /api/v1/orders)

  try: curl -s -H 'Authorization: Bearer %[3]s' '%[1]s/api/v1/shipments?limit=5'
       curl -s -H 'Authorization: Bearer %[3]s' '%[1]s/api/v1/orders?connection=wics-sl&limit=5'

`, base, cfg.Database, apiKey, srv.FTPAddr(), ftpPassword, sl.url, demoSLSpeed, time.Minute/demoSLSpeed, aa.base)

	cs, err := couriersim.New(couriersim.Config{URL: base + "/hooks/demo/courier", APIKey: courierKey, Step: *step, Seed: time.Now().UnixNano()})
	if err != nil {
		return err
	}
	ws, err := winkelstraatsim.New(winkelstraatsim.Config{URL: base + "/hooks/demo/winkelstraat", APIKey: wsKey, Step: *step * 2, Seed: time.Now().UnixNano()})
	if err != nil {
		return err
	}
	wsim, err := wicsLogin.sim(base, *step, time.Now().UnixNano()+2)
	if err != nil {
		return err
	}
	cf, err := couriersim.New(couriersim.Config{FTP: &couriersim.FTPTarget{Addr: srv.FTPAddr(), User: "courier", Password: ftpPassword}, Step: *step, Seed: time.Now().UnixNano() + 1})
	if err != nil {
		return err
	}
	defer cf.Close()
	if *duration > 0 {
		// The duration counts from here, with the hub up: a slow start (a
		// busy machine) must not use it up before anything has run.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return cs.Run(gctx) })
	g.Go(func() error { return cf.Run(gctx) })
	g.Go(func() error { return ws.Run(gctx) })
	g.Go(func() error { return wsim.Run(gctx) })
	shop := newDemoShop(base, apiKey, sl, *step, func() { srv.Pollers.Wake("demo", demoSLConnection) })
	g.Go(func() error { return shop.Run(gctx) })
	g.Go(func() error { return aa.run(gctx, base, apiKey, *step*5, time.Now().UnixNano()) })

	start := time.Now()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	report := func() {
		c, w, f := cs.Stats(), ws.Stats(), cf.Stats()
		fmt.Fprintf(stdout, "%5.0fs  courier sent %d acked %d failed %d | courier FTP files %d acked %d failed %d | winkelstraat sent %d acked %d failed %d | %s\n",
			time.Since(start).Seconds(), c.Sent, c.Acked, c.Failed, f.Sent, f.Acked, f.Failed, w.Sent, w.Acked, w.Failed, summarize(ctx, srv.Store))
		fmt.Fprintf(stdout, "       %s\n", gclSummary(ctx, srv.Store, gs))
		fmt.Fprintf(stdout, "       %s\n", wicsSummary(wsim.Stats()))
		fmt.Fprintf(stdout, "       %s\n", aa.summary(ctx, srv.Store))
		fmt.Fprintf(stdout, "       %s\n", merchant.summary())
		path, err := shop.observe(ctx)
		if err != nil {
			fmt.Fprintf(stdout, "       %s: %v\n", demoSLConnection, err)
		}
		fmt.Fprintf(stdout, "       %s\n", path)
	}
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			report()
		}
	}
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// Let the pipeline catch up with the last acknowledged messages.
	drainCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := srv.Pipeline.Drain(drainCtx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nfinal:")
	report()
	return nil
}

// summarize counts the demo workspace's shipments by status.
func summarize(ctx context.Context, st store.Store) string {
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	counts, err := st.CountShipments(qctx, "demo")
	if err != nil {
		return "shipments: " + err.Error()
	}
	stats, _ := st.InboxStats(qctx)
	var total int64
	var parts []string
	for status, n := range counts {
		total += n
		parts = append(parts, fmt.Sprintf("%s %d", status, n))
	}
	sort.Strings(parts)
	return fmt.Sprintf("shipments %d (%s) | inbox %d, pending %d", total, strings.Join(parts, ", "), stats.Total, stats.Pending)
}

// listenAddr returns addr if it can be listened on. Otherwise it returns the
// same host with port 0, which takes any free port, and why addr could not
// be used, so the demo starts even when 8080 is taken and can say so.
func listenAddr(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		_ = ln.Close()
		return addr, nil
	}
	host, _, splitErr := net.SplitHostPort(addr)
	if splitErr != nil {
		return addr, nil // not an address; the hub's own listen reports it
	}
	return net.JoinHostPort(host, "0"), err
}

// fallbackNote is the line that tells the user that the address they asked
// for could not be used, and which one is used instead.
func fallbackNote(what, wanted, actual string, busy error) string {
	if errors.Is(busy, syscall.EADDRINUSE) {
		return fmt.Sprintf("note: %s %s is taken (another program listens on it); using %s instead\n", what, wanted, actual)
	}
	return fmt.Sprintf("note: %s %s cannot be used (%v); using %s instead\n", what, wanted, busy, actual)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
