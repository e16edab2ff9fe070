package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/provider/wics"
	"github.com/shiphub/shiphub/internal/server"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
	"github.com/shiphub/shiphub/internal/store"
)

// commandsBench configures `shiphub bench --commands`.
type commandsBench struct {
	// database is the hub's database; empty means SQLite in a temporary
	// directory (one per phase).
	database string
	// orders is how many orders the sustained phase posts at once.
	orders int
	// concurrency is how many merchants post them.
	concurrency int
	// speed is the simulator's speed; the hub's rate_window is 60s/speed.
	speed float64
	// reconcileOrders is how many orders the reconciliation phase seeds;
	// 0 skips the phase.
	reconcileOrders int
}

// simRecorder counts, in front of the WICS simulator, when each order was
// created and how many requests of each kind arrived.
type simRecorder struct {
	next http.Handler

	mu      sync.Mutex
	created []time.Time // POST /api/order answered 201
	byPath  map[string]int
}

func (s *simRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &benchStatus{ResponseWriter: w, status: http.StatusOK}
	s.next.ServeHTTP(rec, r)
	at := time.Now()
	key := r.Method + " " + r.URL.Path
	if strings.HasPrefix(r.URL.Path, "/api/order/") {
		key = r.Method + " /api/order/{id}"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == http.MethodPost && r.URL.Path == "/api/order" && rec.status == http.StatusCreated {
		s.created = append(s.created, at)
	}
	s.byPath[key]++
}

func (s *simRecorder) counts() (created []time.Time, byPath map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	byPath = make(map[string]int, len(s.byPath))
	for k, v := range s.byPath {
		byPath[k] = v
	}
	return slices.Clone(s.created), byPath
}

type benchStatus struct {
	http.ResponseWriter
	status int
}

func (b *benchStatus) WriteHeader(code int) { b.status = code; b.ResponseWriter.WriteHeader(code) }

// benchSim starts a WICS simulator at speed behind a simRecorder.
func benchSim(speed float64, key, secret string) (*wicssim.Server, *simRecorder, string, func(), error) {
	sim, err := wicssim.NewServer(wicssim.ServerConfig{Users: []wicssim.User{{Key: key, Secret: secret}}, Speed: speed, ProgressStep: -1})
	if err != nil {
		return nil, nil, "", nil, err
	}
	rec := &simRecorder{next: sim, byPath: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = sim.Close()
		return nil, nil, "", nil, err
	}
	hs := &http.Server{Handler: rec, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	stop := func() { _ = hs.Close(); _ = sim.Close() }
	return sim, rec, "http://" + ln.Addr().String(), stop, nil
}

// benchCommandsHub starts a hub with one wics connection against base.
func benchCommandsHub(ctx context.Context, database, base, key, secret string, window time.Duration, reconcile bool, stderr io.Writer) (*server.Server, string, func(), error) {
	remove := func() {}
	if database == "" {
		dir, rm, err := tempDir("shiphub-bench-commands-")
		if err != nil {
			return nil, "", nil, err
		}
		database, remove = tempSQLite(dir), rm
	}
	apiKey := "bench_" + randomHex(16)
	srv, err := startLocalHub(ctx, &config.Config{
		HTTP:     config.HTTP{Listen: "127.0.0.1:0"},
		Database: database,
		Log:      config.Log{Level: "error"},
		// A new command is taken at once by the instance that queued it
		// only after River's next poll: poll often, as a busy hub would.
		Commands: config.Commands{PollInterval: 100 * time.Millisecond},
		Workspaces: []config.Workspace{{
			ID: "bench", APIKeys: []string{apiKey},
			Connections: []config.Connection{{ID: "wics", Provider: "wics", Settings: map[string]any{
				"base_url": base, "api_key": key, "api_secret": secret, "rate_window": window.String(),
				"reconcile": reconcile, "manage_subscriptions": false}}},
		}},
	}, stderr)
	if err != nil {
		remove()
		return nil, "", nil, err
	}
	return srv, apiKey, func() { stopLocalHub(srv); remove() }, nil
}

// runCommandsBench measures the command path against the WICS simulator:
// the commands a minute sustained at WICS's limit of 150, and the cost of
// reconciling many orders within the day's budget of 20,000.
func runCommandsBench(ctx context.Context, b commandsBench, stdout, stderr io.Writer) error {
	if b.speed <= 0 {
		return errors.New("bench --commands: --speed must be positive")
	}
	window := time.Duration(float64(time.Minute) / b.speed)
	fmt.Fprintf(stdout, "shiphub bench --commands: WICS simulator at speed %g (a minute is %s of wall time; the hub's rate_window %s)\n",
		b.speed, window, window)
	if b.orders > 0 {
		if err := benchSustained(ctx, b, window, stdout, stderr); err != nil {
			return err
		}
	}
	if b.reconcileOrders > 0 {
		if err := benchReconcile(ctx, b, window, stdout, stderr); err != nil {
			return err
		}
	}
	return nil
}

// benchSustained posts b.orders orders at once and measures the rate at
// which their creations reach WICS.
func benchSustained(ctx context.Context, b commandsBench, window time.Duration, stdout, stderr io.Writer) error {
	const key, secret = "bench-sustained", "bench-sustained-secret"
	sim, rec, base, stopSim, err := benchSim(b.speed, key, secret)
	if err != nil {
		return err
	}
	defer stopSim()
	srv, apiKey, stopHub, err := benchCommandsHub(ctx, b.database, base, key, secret, window, false, stderr)
	if err != nil {
		return err
	}
	defer stopHub()

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: b.concurrency}}
	date := time.Now().AddDate(0, 0, 2).Format(time.DateOnly)
	var (
		failed atomic.Int64
		wg     sync.WaitGroup
		next   = make(chan int)
	)
	start := time.Now()
	for range max(1, b.concurrency) {
		wg.Go(func() {
			for i := range next {
				body, _ := json.Marshal(map[string]any{
					"connection": "wics", "reference": fmt.Sprintf("BENCH-%d", i), "delivery_date": date,
					"lines": []map[string]any{{"sku": "16080", "quantity": 1}},
					"delivery_address": map[string]any{"first_name": "Hans", "last_name": "de Groot", "street": "Concordiaweg",
						"house_number": "157", "postcode": "4206BK", "city": "Gorinchem", "country": "NL", "email": "info@wics.nl"},
				})
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+"/api/v1/orders", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+apiKey)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				answer, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					if failed.Add(1) == 1 {
						fmt.Fprintf(stderr, "bench --commands: POST /api/v1/orders answered %d: %s\n", resp.StatusCode, answer)
					}
				}
			}
		})
	}
	for i := range b.orders {
		next <- i
	}
	close(next)
	wg.Wait()
	posted := time.Since(start)
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("bench --commands: %d of %d orders were not accepted", n, b.orders)
	}
	fmt.Fprintf(stdout, "sustained: %d orders posted by %d merchants in %s; waiting for WICS to have them all\n",
		b.orders, b.concurrency, posted.Round(time.Millisecond))
	for sim.Orders() < b.orders {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	took := time.Since(start)
	created, byPath := rec.counts()
	st := sim.Limits(key)
	// The rate between the first and the last creation, per simulated
	// minute: the queue's own start and end do not dilute it.
	span := created[len(created)-1].Sub(created[0])
	perMinute := float64(len(created)-1) / (span.Minutes() * b.speed)
	fmt.Fprintf(stdout, "sustained: %d orders at WICS %s after the first post (%.2f simulated minutes); "+
		"%.1f created a simulated minute between the first and the last = %.3f of the limit of %d\n",
		len(created), took.Round(time.Millisecond), took.Minutes()*b.speed, perMinute, perMinute/float64(wicssim.DefaultPerMinute), wicssim.DefaultPerMinute)
	fmt.Fprintf(stdout, "sustained: the simulator served %d requests (%v), at most %d arrived in a sliding minute, %d refused, %d blocks\n",
		st.Served, byPath, st.MaxPerMinute, st.Refused, len(st.Blocks))
	if st.Refused > 0 || len(st.Blocks) > 0 || st.MaxPerMinute > wicssim.DefaultPerMinute {
		return fmt.Errorf("bench --commands: the limits were exceeded: %+v", st)
	}
	return nil
}

// benchReconcile seeds b.reconcileOrders orders the hub does not know and
// measures its first reconciliation: the requests it sent, the time it took
// and its share of the day's budget.
func benchReconcile(ctx context.Context, b commandsBench, window time.Duration, stdout, stderr io.Writer) error {
	const key, secret = "bench-reconcile", "bench-reconcile-secret"
	sim, rec, base, stopSim, err := benchSim(b.speed, key, secret)
	if err != nil {
		return err
	}
	defer stopSim()
	sim.SeedOrders(b.reconcileOrders, "SEEDED")
	start := time.Now()
	srv, _, stopHub, err := benchCommandsHub(ctx, b.database, base, key, secret, window, true, stderr)
	if err != nil {
		return err
	}
	defer stopHub()
	cursors, ok := srv.Store.(store.Cursors)
	if !ok {
		return fmt.Errorf("bench --commands: the %T store keeps no sync cursors", srv.Store)
	}
	// The order cursor is saved when a run has listed the orders; the
	// other kinds' listings follow, one a budget interval, so the run is
	// over once ten intervals pass without a request (the health checks'
	// logins aside).
	for {
		c, err := cursors.GetCursor(ctx, "bench", "wics", wics.TopicReconcileOrder)
		if err == nil && !c.UpdatedAt.IsZero() {
			break
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	listed := time.Since(start)
	requests := func() int {
		_, byPath := rec.counts()
		n := 0
		for k, v := range byPath {
			if k != "GET /api/login" {
				n += v
			}
		}
		return n
	}
	last, quiet := requests(), time.Now()
	for time.Since(quiet) < max(10*window/wicssim.DefaultPerMinute, 500*time.Millisecond) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if n := requests(); n != last {
			last, quiet = n, time.Now()
		}
	}
	ran := quiet.Sub(start)
	var inbox store.InboxStats
	for {
		inbox, err = srv.Store.InboxStats(ctx)
		if err != nil {
			return err
		}
		if inbox.Pending == 0 && inbox.Total >= int64(b.reconcileOrders) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	_, byPath := rec.counts()
	st := sim.Limits(key)
	reconcile := int(st.Served) - byPath["GET /api/login"]
	fmt.Fprintf(stdout, "reconcile: %d orders listed by the first run %s after the hub started (%.2f simulated minutes); "+
		"the run's last request after %s (%.2f simulated minutes); %d inbox messages, all applied\n",
		b.reconcileOrders, listed.Round(time.Millisecond), listed.Minutes()*b.speed, ran.Round(time.Millisecond), ran.Minutes()*b.speed,
		inbox.Total)
	fmt.Fprintf(stdout, "reconcile: %d requests (%v; the health checks' GET /api/login not counted) = %.2f %% of %d a day; "+
		"at most %d in a sliding minute, %d refused, %d blocks\n",
		reconcile, byPath, 100*float64(reconcile)/float64(wicssim.DefaultPerDay), wicssim.DefaultPerDay, st.MaxPerMinute, st.Refused, len(st.Blocks))
	return nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
