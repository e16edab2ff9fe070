// Command e2e is the external end-to-end benchmark of issue 14 (run it with
// bench/e2e.sh). It runs every part in its own process:
//
//   - the bare-handler ceiling: a Go net/http server that reads the body and
//     answers 200 (this program, "e2e bare");
//   - the merchant's endpoint: verifies each delivery's Standard Webhooks
//     signature and counts distinct webhook-ids ("e2e receive");
//   - the hub: "shiphub serve" with a generated config, SQLite in a new
//     temporary directory or a new PostgreSQL database (--postgres URL);
//   - the load generator: this process, which posts the courier's URL/POST
//     JSON to /hooks/{ws}/{conn} over --connections connections.
//
// The same generator first measures the ceiling, then the hub, in one run,
// and prints every figure with its ratio to the ceiling, the hub's peak RSS
// (VmHWM), and one CPU profile of the hub per phase (intake, apply,
// delivery), taken through serve's opt-in --debug-listen.
//
// Two more modes answer issue 14's memory and large-store criteria:
//
//   - --soak DURATION (soak.go): the generator posts at a fixed --rate
//     (paced, an open loop; by default half the end-to-end rate of a
//     calibration run made first), prints the progress and the hub's
//     VmRSS and VmHWM every --soak-every, waits until every message is
//     applied and delivered, and judges whether the RSS stayed flat
//     (pace.go) and whether the hub kept up;
//   - --seed-inbox N --seed-shipments M (largestore.go, seed.go, bulk.go):
//     a store seeded with N processed courier messages about M shipments
//     (their references, events and recent feed, as the pipeline writes
//     them), kept between runs under a key of the seed and the schema, is
//     copied for each run and measured against an empty store in the same
//     run, and GET /api/v1/shipments?reference= is timed on it (api.go).
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "bare":
			serveAndPrint(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(http.StatusOK)
			}))
			return
		case "receive":
			key, err := secretKey(os.Getenv("E2E_SECRET"))
			if err != nil {
				fatal(err)
			}
			serveAndPrint(&receiver{key: key, seen: map[string]struct{}{}})
			return
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "e2e:", err)
	os.Exit(1)
}

// serveAndPrint listens on a free loopback port, prints its address as the
// first line on stdout and serves until killed.
func serveAndPrint(h http.Handler) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal(err)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	fatal(srv.Serve(ln))
}

// receiver is the merchant's endpoint: every delivery must carry a valid
// signature; GET /stats reports what arrived.
type receiver struct {
	key []byte

	mu        sync.Mutex
	seen      map[string]struct{}
	total     int64
	bad       int64
	firstNano int64 // first distinct delivery
	lastNano  int64 // last distinct delivery
}

type receiverStats struct {
	Distinct  int64 `json:"distinct"`
	Total     int64 `json:"total"`
	Bad       int64 `json:"bad"`
	FirstNano int64 `json:"first_nano"`
	LastNano  int64 `json:"last_nano"`
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/stats" {
		rc.mu.Lock()
		st := receiverStats{Distinct: int64(len(rc.seen)), Total: rc.total, Bad: rc.bad, FirstNano: rc.firstNano, LastNano: rc.lastNano}
		rc.mu.Unlock()
		_ = json.NewEncoder(w).Encode(st)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "reading the body", http.StatusBadRequest)
		return
	}
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	ok := id != "" && ts != "" && verify(rc.key, id, ts, body, r.Header.Get("webhook-signature"))
	now := time.Now().UnixNano()
	rc.mu.Lock()
	rc.total++
	if !ok {
		rc.bad++
	} else if _, dup := rc.seen[id]; !dup {
		rc.seen[id] = struct{}{}
		if rc.firstNano == 0 {
			rc.firstNano = now
		}
		rc.lastNano = now
	}
	rc.mu.Unlock()
	if !ok {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// verify checks a Standard Webhooks signature header: any of its
// space-separated "v1,<base64>" entries must be the HMAC-SHA256 of
// id.timestamp.body.
func verify(key []byte, id, ts string, body []byte, header string) bool {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(header) {
		b64, ok := strings.CutPrefix(s, "v1,")
		if !ok {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

func secretKey(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, errors.New("E2E_SECRET must be a whsec_ secret")
	}
	return base64.StdEncoding.DecodeString(rest)
}

type options struct {
	shiphub       string
	baseline      string
	postgres      string
	connections   int
	messages      int
	eventsPerMsg  int
	rounds        int
	ceilingRepeat int
	profileDir    string
	logLevel      string
	timeout       time.Duration

	// The soak mode (soak.go).
	soak          time.Duration
	soakEvery     time.Duration
	rate          float64
	flatTolerance float64
	// The large-store mode (largestore.go).
	seedInbox      int
	seedShipments  int
	seedFeedDays   float64
	seedDir        string
	apiRequests    int
	apiConcurrency int
}

// figures are one hub run's measures, with the ceiling measured right
// before it.
type figures struct {
	ceil, intake      result
	applyRate, e2e    float64 // msg/s, events/s
	rssMiB            float64
	distinct, want    int64
	bad, requests     int64
	applySecs, e2eSec float64
	afterAck          float64
	cpu               [3]float64 // the hub's CPU seconds in intake, apply, delivery
	diskRead          [3]int64   // bytes the hub read from the disk in each phase (/proc/PID/io read_bytes)
	diskWritten       [3]int64   // bytes it sent to the disk (write_bytes)
	dbCPU             [3]float64 // the PostgreSQL server's, for the hub's database (0 on SQLite)
}

func run(ctx context.Context, args []string) error {
	var o options
	fs := flag.NewFlagSet("e2e", flag.ContinueOnError)
	fs.StringVar(&o.shiphub, "shiphub", "", "the shiphub binary (required)")
	fs.StringVar(&o.baseline, "baseline", "", "a second shiphub binary, measured the same way in the same run (before/after ratios)")
	fs.StringVar(&o.postgres, "postgres", "", "PostgreSQL server URL: each hub run creates a new database on it and drops it after (default: SQLite in a temporary directory)")
	fs.IntVar(&o.connections, "connections", 32, "concurrent connections of the load generator")
	fs.IntVar(&o.messages, "messages", 20000, "courier messages to post (each a new shipment)")
	fs.IntVar(&o.eventsPerMsg, "events-per-message", 3, "feed events (deliveries) each message makes: created, event_added, status_changed")
	fs.IntVar(&o.rounds, "rounds", 1, "runs of each binary (alternating with --baseline)")
	fs.IntVar(&o.ceilingRepeat, "ceiling-repeat", 5, "the ceiling posts the messages this many times, before and after each hub run (its rate is the mean of both)")
	fs.StringVar(&o.profileDir, "profile-dir", "", "where the hub's CPU profiles go (intake.pprof, apply.pprof, delivery.pprof; default: a new temporary directory, kept)")
	fs.StringVar(&o.logLevel, "log-level", "info", "the hub's log level")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up waiting for the deliveries after this long")
	fs.DurationVar(&o.soak, "soak", 0, "soak mode: post courier messages at --rate for this long, sample the hub's RSS every --soak-every, and judge whether it stays flat")
	fs.DurationVar(&o.soakEvery, "soak-every", 10*time.Second, "soak mode: how often to sample and print")
	fs.Float64Var(&o.rate, "rate", 0, "soak mode: courier messages a second, paced (default: half the end-to-end rate of a calibration run of --messages made first)")
	fs.Float64Var(&o.flatTolerance, "flat-tolerance", 0.10, "soak mode: the RSS growth from the end of the first minute to the end that still counts as flat (a fraction)")
	fs.IntVar(&o.seedInbox, "seed-inbox", 0, "large-store mode: processed inbox rows to seed before the hub starts (with --seed-shipments)")
	fs.IntVar(&o.seedShipments, "seed-shipments", 0, "large-store mode: shipments (with their references, events and feed) to seed")
	fs.Float64Var(&o.seedFeedDays, "seed-feed-days", 2, "large-store mode: the seeded feed holds the entries of the messages of the last this many days (the pipeline writes two or three per message)")
	fs.StringVar(&o.seedDir, "seed-dir", os.TempDir(), "large-store mode: where the seeded SQLite database is kept between runs")
	fs.IntVar(&o.apiRequests, "api-requests", 2000, "large-store mode: GET /api/v1/shipments?reference= requests, sequential and again concurrent")
	fs.IntVar(&o.apiConcurrency, "api-concurrency", 8, "large-store mode: concurrent connections of the second round of API requests")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.shiphub == "" {
		return errors.New("--shiphub is required")
	}
	var err error
	if o.profileDir == "" {
		if o.profileDir, err = os.MkdirTemp("", "shiphub-e2e-profiles-"); err != nil {
			return err
		}
	}
	if o.profileDir, err = filepath.Abs(o.profileDir); err != nil {
		return err
	}
	if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
		return err
	}
	if o.soak > 0 {
		return runSoak(ctx, o)
	}
	if o.seedInbox > 0 || o.seedShipments > 0 {
		return runLargeStore(ctx, o)
	}
	bodies := courierBodies(o.messages)
	fmt.Printf("shiphub e2e: %d courier URL/POST JSON messages (each a new shipment), %d connections, load generator pid %d\n",
		o.messages, o.connections, os.Getpid())
	type hubRun struct{ label, bin, profiles string }
	var runs []hubRun
	for i := range o.rounds {
		if o.baseline != "" {
			runs = append(runs, hubRun{"baseline", o.baseline, filepath.Join(o.profileDir, fmt.Sprintf("baseline-%d", i+1))})
		}
		dir := o.profileDir
		if o.baseline != "" || o.rounds > 1 {
			dir = filepath.Join(o.profileDir, fmt.Sprintf("hub-%d", i+1))
		}
		runs = append(runs, hubRun{"hub", o.shiphub, dir})
	}
	all := map[string][]figures{}
	for _, r := range runs {
		if err := os.MkdirAll(r.profiles, 0o755); err != nil {
			return err
		}
		f, err := runOnce(ctx, o, r.bin, r.label, r.profiles, bodies, nil)
		if err != nil {
			return err
		}
		all[r.label] = append(all[r.label], f)
	}
	if o.baseline != "" {
		fmt.Println("hub / baseline, ratios to the ceiling of each run (median of the rounds):")
		med := func(label string, get func(figures) float64) float64 {
			var v []float64
			for _, f := range all[label] {
				v = append(v, get(f))
			}
			slices.Sort(v)
			if len(v)%2 == 0 {
				return (v[len(v)/2-1] + v[len(v)/2]) / 2
			}
			return v[len(v)/2]
		}
		for _, m := range []struct {
			name string
			get  func(figures) float64
		}{
			{"intake acks/s", func(f figures) float64 { return f.intake.rate() / f.ceil.rate() }},
			{"apply msg/s", func(f figures) float64 { return f.applyRate / f.ceil.rate() }},
			{"end-to-end events/s", func(f figures) float64 { return f.e2e / f.ceil.rate() }},
		} {
			b, h := med("baseline", m.get), med("hub", m.get)
			fmt.Printf("  %-20s baseline %.3f  hub %.3f  = %.2f×\n", m.name, b, h, h/b)
		}
		for _, m := range []struct {
			name string
			get  func(figures) float64
		}{
			{"intake acks/s", func(f figures) float64 { return f.intake.rate() }},
			{"apply msg/s", func(f figures) float64 { return f.applyRate }},
			{"end-to-end events/s", func(f figures) float64 { return f.e2e }},
			{"hub CPU ms/message", func(f figures) float64 { return f.cpuPerMessage(o.messages) }},
			{"hub+db CPU ms/msg", func(f figures) float64 { return f.cpuPerMessage(o.messages) + f.dbCPUPerMessage(o.messages) }},
		} {
			b, h := med("baseline", m.get), med("hub", m.get)
			fmt.Printf("  %-20s baseline %8.2f  hub %8.2f  = %.2f× (absolute)\n", m.name, b, h, h/b)
		}
		b := med("baseline", func(f figures) float64 { return float64(f.intake.p99) / float64(f.ceil.p99) })
		h := med("hub", func(f figures) float64 { return float64(f.intake.p99) / float64(f.ceil.p99) })
		fmt.Printf("  %-20s baseline %.2f× the ceiling's  hub %.2f×\n", "intake p99", b, h)
	}
	return nil
}

// runOnce measures the ceiling, then one hub from start to its last
// delivery.
func runOnce(ctx context.Context, o options, bin, label, profileDir string, bodies [][]byte, sc *storeChoice) (figures, error) {
	var f figures
	work, err := os.MkdirTemp("", "shiphub-e2e-")
	if err != nil {
		return f, err
	}
	defer os.RemoveAll(work)
	self, err := os.Executable()
	if err != nil {
		return f, err
	}

	// 1. The ceiling: a bare net/http handler in its own process, measured
	// before the hub and again after it (the machine's load moves).
	var ceilBodies [][]byte
	for range max(1, o.ceilingRepeat) {
		ceilBodies = append(ceilBodies, bodies...)
	}
	ceiling := func() (result, error) {
		bare, err := startProcess(ctx, self, []string{"bare"}, nil, work, "bare")
		if err != nil {
			return result{}, err
		}
		defer bare.stop()
		r := generate(ctx, bare.url+"/hooks/bench/courier", "", ceilBodies, o.connections, nil)
		fmt.Printf("ceiling (bare net/http handler, pid %d): %s\n", bare.cmd.Process.Pid, r)
		return r, nil
	}
	ceil, err := ceiling()
	if err != nil {
		return f, err
	}

	// 2. The merchant's endpoint, in its own process.
	secret := "whsec_" + base64.StdEncoding.EncodeToString(randomBytes(32))
	recv, err := startProcess(ctx, self, []string{"receive"}, []string{"E2E_SECRET=" + secret}, work, "receiver")
	if err != nil {
		return f, err
	}
	defer recv.stop()

	// 3. The hub.
	if sc == nil {
		sc = &storeChoice{}
	}
	prepare := sc.prepare
	if prepare == nil {
		prepare = newStore(o)
	}
	database, storeName, cleanup, err := prepare(ctx, work)
	if err != nil {
		return f, err
	}
	defer cleanup()
	hub, keys, err := startHub(ctx, o, bin, work, database, sc.secretsKey, secret, recv.url+"/hooks", profileDir)
	if err != nil {
		return f, err
	}
	defer hub.stop()
	inboundKey := keys.inbound
	profile := func(name string) {
		u := hub.debug + "/debug/cpuprofile"
		if name != "" {
			u += "?name=" + name
		}
		resp, err := http.Post(u, "", nil)
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: profile %q: %v\n", name, err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	// 4. The run: intake (first request to last ack), apply (until the
	// pipeline processed every message), delivery (until the receiver has
	// every event once).
	want := int64(o.messages * o.eventsPerMsg)
	server := newServerCPU(o.postgres, database)
	defer server.close()
	cpuStart := cpuSeconds(hub.cmd.Process.Pid)
	ioStart := diskIO(hub.cmd.Process.Pid)
	dbStart := server.seconds(ctx)
	profile("intake")
	var start time.Time
	res := generate(ctx, hub.url+"/hooks/bench/courier", inboundKey, bodies, o.connections, &start)
	intakeEnd := time.Now()
	cpuApply := cpuSeconds(hub.cmd.Process.Pid)
	ioApply := diskIO(hub.cmd.Process.Pid)
	dbApply := server.seconds(ctx)
	profile("apply")
	applied, err := waitApplied(ctx, hub.url+"/metrics", int64(o.messages), o.timeout)
	if err != nil {
		return f, err
	}
	applyEnd := time.Now()
	cpuDeliver := cpuSeconds(hub.cmd.Process.Pid)
	ioDeliver := diskIO(hub.cmd.Process.Pid)
	dbDeliver := server.seconds(ctx)
	profile("delivery")
	st, err := waitDelivered(ctx, recv.url+"/stats", want, o.timeout)
	if err != nil {
		return f, err
	}
	profile("")
	saveAllocs(hub.debug, filepath.Join(profileDir, "allocs.pprof"))
	rss := vmHWM(hub.cmd.Process.Pid)
	cpuEnd := cpuSeconds(hub.cmd.Process.Pid)
	ioEnd := diskIO(hub.cmd.Process.Pid)
	dbEnd := server.seconds(ctx)
	if sc.idle != nil {
		if err := sc.idle(ctx, hub.url, keys.api); err != nil {
			return f, err
		}
	}
	f.cpu = [3]float64{cpuApply - cpuStart, cpuDeliver - cpuApply, cpuEnd - cpuDeliver}
	f.diskRead = [3]int64{ioApply[0] - ioStart[0], ioDeliver[0] - ioApply[0], ioEnd[0] - ioDeliver[0]}
	f.diskWritten = [3]int64{ioApply[1] - ioStart[1], ioDeliver[1] - ioApply[1], ioEnd[1] - ioDeliver[1]}
	f.dbCPU = [3]float64{dbApply - dbStart, dbDeliver - dbApply, dbEnd - dbDeliver}
	hub.stop()
	// The hub's log goes beside its profiles: the work directory is removed.
	if log, err := os.ReadFile(filepath.Join(work, "hub.log")); err == nil {
		_ = os.WriteFile(filepath.Join(profileDir, "hub.log"), log, 0o644)
	}
	after, err := ceiling()
	if err != nil {
		return f, err
	}
	fmt.Printf("  ceiling of this run: before %.0f/s p99 %s, after %.0f/s p99 %s\n", ceil.rate(), ceil.p99, after.rate(), after.p99)
	ceil = result{acked: ceil.acked + after.acked, elapsed: ceil.elapsed + after.elapsed,
		p50: (ceil.p50 + after.p50) / 2, p99: (ceil.p99 + after.p99) / 2, max: max(ceil.max, after.max)}
	fmt.Printf("  ceiling (both): %.0f/s, p50 %s, p99 %s\n", ceil.rate(), ceil.p50, ceil.p99)
	f.ceil = ceil
	e2e := time.Unix(0, st.LastNano).Sub(start)
	f.intake = res
	f.applySecs = applyEnd.Sub(start).Seconds()
	f.applyRate = float64(applied) / f.applySecs
	f.afterAck = applyEnd.Sub(intakeEnd).Seconds()
	f.e2eSec = e2e.Seconds()
	f.e2e = float64(st.Distinct) / f.e2eSec
	f.rssMiB = float64(rss) / 1024
	f.distinct, f.want, f.bad, f.requests = st.Distinct, want, st.Bad, st.Total

	fmt.Printf("%s (%s, %s, pid %d): %s\n", label, bin, storeName, hub.cmd.Process.Pid, res)
	fmt.Printf("  intake:     %8.0f acks/s   = %.3f of the ceiling; p50 %s (%.2f× the ceiling's), p99 %s (%.2f×)\n",
		res.rate(), res.rate()/ceil.rate(), res.p50, ratio(res.p50, ceil.p50), res.p99, ratio(res.p99, ceil.p99))
	fmt.Printf("  apply:      %8.0f msg/s    = %.3f of the ceiling (%d applied in %.2fs from the first request; %.2fs after the last ack)\n",
		f.applyRate, f.applyRate/ceil.rate(), applied, f.applySecs, f.afterAck)
	fmt.Printf("  end-to-end: %8.0f events/s = %.3f of the ceiling (%d distinct webhook-ids of %d expected, %d requests, %d bad signatures, in %.2fs from the first request to the last distinct delivery)\n",
		f.e2e, f.e2e/ceil.rate(), st.Distinct, want, st.Total, st.Bad, f.e2eSec)
	fmt.Printf("  peak RSS of the hub (VmHWM): %.1f MiB\n", f.rssMiB)
	fmt.Printf("  hub CPU: intake %.1fs, apply %.1fs, delivery %.1fs = %.2f ms a message (%.3f ms an event delivered)\n",
		f.cpu[0], f.cpu[1], f.cpu[2], (f.cpu[0]+f.cpu[1]+f.cpu[2])*1000/float64(o.messages), (f.cpu[0]+f.cpu[1]+f.cpu[2])*1000/float64(want))
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	fmt.Printf("  hub disk I/O: read %.1f / %.1f / %.1f MiB, written %.1f / %.1f / %.1f MiB (intake / apply / delivery; /proc/PID/io)\n",
		mib(f.diskRead[0]), mib(f.diskRead[1]), mib(f.diskRead[2]), mib(f.diskWritten[0]), mib(f.diskWritten[1]), mib(f.diskWritten[2]))
	if o.postgres != "" {
		fmt.Printf("  PostgreSQL server CPU (the hub's database): intake %.1fs, apply %.1fs, delivery %.1fs = %.2f ms a message; hub + server %.2f ms a message\n",
			f.dbCPU[0], f.dbCPU[1], f.dbCPU[2], f.dbCPUPerMessage(o.messages), f.dbCPUPerMessage(o.messages)+f.cpuPerMessage(o.messages))
	}
	fmt.Printf("  CPU profiles: %s/{intake,apply,delivery}.pprof (go tool pprof -top %s/intake.pprof); the hub's log: %s/hub.log\n", profileDir, profileDir, profileDir)
	if st.Bad > 0 || st.Distinct != want {
		return f, fmt.Errorf("the receiver counted %d distinct events (%d bad signatures), want %d", st.Distinct, st.Bad, want)
	}
	return f, nil
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// courierBodies are the messages: the courier's URL/POST JSON, each a new
// order with one status update.
func courierBodies(n int) [][]byte {
	out := make([][]byte, n)
	for i := range n {
		out[i] = courierBody(i)
	}
	return out
}

// courierBody is message i of courierBodies, made on demand (a soak posts
// more than is worth keeping in memory).
func courierBody(i int) []byte {
	base := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	m := map[string]any{
		"order": fmt.Sprintf("E2E%09d", i), "barcode": "", "container": "", "status": "PROCESSING",
		"statustime": base.Add(time.Duration(i) * time.Second).Format("20060102150405"), "statuscode": "take",
		"statusNL": "Mee met koerier", "statusEN": "Taken by courier", "statusFR": "En route avec courier",
		"referentie": fmt.Sprintf("e2e/%d", i),
		"comment":    "TAKE on: 2023-07-19 Time: 10:33:04 Scan by PRISCILLA RAES GSM: +32 494508051 Status: MK Mee Kaai GPS: lat 51.234535 - lon 4.410024",
		"oldlead":    "", "newlead": "", "verifier": "", "signatures": []string{}, "pictures": []string{},
	}
	b, _ := json.Marshal(m)
	return b
}

type result struct {
	acked, failed int64
	elapsed       time.Duration
	p50, p99, max time.Duration
	// maxAt is when the slowest acknowledgement's request was sent, from
	// the first request: a stall at the start (a cold store) and one in
	// the middle (a checkpoint, a background job) look alike in p99.
	maxAt time.Duration
	// slow counts the acknowledgements that took more than 100 ms.
	slow int
}

func (r result) rate() float64 { return float64(r.acked) / r.elapsed.Seconds() }

func (r result) String() string {
	return fmt.Sprintf("%d acknowledged, %d failed in %s = %.0f/s; p50 %s p99 %s max %s (sent at +%s; %d over 100ms)",
		r.acked, r.failed, r.elapsed.Round(time.Millisecond), r.rate(), r.p50, r.p99, r.max, r.maxAt.Round(time.Millisecond), r.slow)
}

// generate posts every body once, over conns connections, as fast as they
// are answered. start, when not nil, receives the time of the first request.
func generate(ctx context.Context, target, key string, bodies [][]byte, conns int, start *time.Time) result {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true,
	}}
	defer client.CloseIdleConnections()
	var (
		next, failed atomic.Int64
		mu           sync.Mutex
		lat          = make([]time.Duration, 0, len(bodies))
		wg           sync.WaitGroup
		maxLat       time.Duration
		maxAt        time.Duration
	)
	t0 := time.Now()
	if start != nil {
		*start = t0
	}
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, len(bodies)/conns+1)
			var localMax, localMaxAt time.Duration
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(len(bodies)) {
					break
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(bodies[i]))
				req.Header.Set("Content-Type", "application/json")
				if key != "" {
					req.Header.Set("X-API-KEY", key)
				}
				s := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
					continue
				}
				d := time.Since(s)
				local = append(local, d)
				if d > localMax {
					localMax, localMaxAt = d, s.Sub(t0)
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			if localMax > maxLat {
				maxLat, maxAt = localMax, localMaxAt
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := result{acked: int64(len(lat)), failed: failed.Load(), elapsed: time.Since(t0)}
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(10 * time.Microsecond)
	}
	r.p50, r.p99, r.max = pct(0.5), pct(0.99), pct(1)
	r.maxAt = maxAt
	r.slow = len(lat) - sort.Search(len(lat), func(i int) bool { return lat[i] > 100*time.Millisecond })
	return r
}

// hubConfig is the hub's configuration: one workspace with a courier
// connection, an API key and, unless endpoint is "", one endpoint for
// every event.
func hubConfig(database, inboundKey, apiKey, secret, endpoint, level string) string {
	endpoints := ""
	if endpoint != "" {
		endpoints = fmt.Sprintf(`    endpoints:
      - url: %q
        events: ["*"]
        secret: %q
`, endpoint, secret)
	}
	return fmt.Sprintf(`http:
  listen: "127.0.0.1:0"
database: %q
secrets_key: "${SHIPHUB_SECRETS_KEY}"
outbound:
  allow_private_networks: true
log:
  level: %s
workspaces:
  - id: bench
    api_keys: [%q]
    connections:
      - id: courier
        provider: courier
        inbound_api_key: %q
%s`, database, level, apiKey, inboundKey, endpoints)
}

type process struct {
	cmd   *exec.Cmd
	url   string // first "listening on" line
	debug string // second one, if any ("debug listening on")
	done  chan struct{}
}

// startProcess starts a child and waits for its "listening on URL" line
// (and, for the hub, its "debug listening on URL" line).
func startProcess(ctx context.Context, bin string, args, env []string, dir, name string) (*process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = dir
	// A child dies with the benchmark, however it ends (an interrupted
	// run must not leave a hub or a receiver behind on a shared machine).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	want := 1
	if slices.Contains(args, "--debug-listen") {
		want = 2
	}
	deadline := time.After(60 * time.Second)
	for got := 0; got < want; {
		select {
		case l, ok := <-lines:
			if !ok {
				log, _ := os.ReadFile(filepath.Join(dir, name+".log"))
				return nil, fmt.Errorf("%s exited before listening: %s", name, log)
			}
			if u, ok := strings.CutPrefix(l, "debug listening on "); ok {
				p.debug = u
				got++
			} else if u, ok := strings.CutPrefix(l, "listening on "); ok {
				p.url = u
				got++
			}
		case <-deadline:
			p.stop()
			return nil, fmt.Errorf("%s did not listen within 60s", name)
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		}
	}
	return p, nil
}

// stop ends the child with SIGTERM, then SIGKILL after 30 s.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func waitReady(ctx context.Context, u string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready within 60s", u)
}

// waitApplied polls the hub's metrics until the pipeline has processed n
// messages (shiphub_pipeline_messages_total, every result).
func waitApplied(ctx context.Context, metrics string, n int64, limit time.Duration) (int64, error) {
	deadline := time.Now().Add(limit)
	var got int64
	for {
		sum, err := metricSum(metrics, "shiphub_pipeline_messages_total")
		if err != nil {
			return 0, err
		}
		got = int64(sum)
		if got >= n {
			return got, nil
		}
		if time.Now().After(deadline) {
			return got, fmt.Errorf("the pipeline processed %d of %d messages within %s", got, n, limit)
		}
		select {
		case <-ctx.Done():
			return got, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitDelivered polls the receiver until it has want distinct events, or
// nothing new arrived for 30 s, or the limit passed.
func waitDelivered(ctx context.Context, stats string, want int64, limit time.Duration) (receiverStats, error) {
	deadline := time.Now().Add(limit)
	var st receiverStats
	lastChange, lastCount := time.Now(), int64(-1)
	for {
		resp, err := http.Get(stats)
		if err != nil {
			return st, err
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			return st, err
		}
		if st.Distinct >= want {
			return st, nil
		}
		if st.Distinct != lastCount {
			lastChange, lastCount = time.Now(), st.Distinct
		}
		if time.Now().After(deadline) || time.Since(lastChange) > 30*time.Second {
			return st, fmt.Errorf("the receiver has %d of %d events", st.Distinct, want)
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// cpuPerMessage is the hub's CPU milliseconds a message, over the run.
func (f figures) cpuPerMessage(messages int) float64 {
	return (f.cpu[0] + f.cpu[1] + f.cpu[2]) * 1000 / float64(messages)
}

// dbCPUPerMessage is the PostgreSQL server's (0 on SQLite).
func (f figures) dbCPUPerMessage(messages int) float64 {
	return (f.dbCPU[0] + f.dbCPU[1] + f.dbCPU[2]) * 1000 / float64(messages)
}

// serverCPU adds up the CPU time of the PostgreSQL backends serving one
// database (same machine: their /proc entries), including its statistics
// keeper's ANALYZE. A backend that ends between two readings loses what it
// used since the first; the hub's pool keeps its connections open.
type serverCPU struct {
	conn *pgx.Conn
	db   string
	seen map[int]float64 // pid: CPU seconds at the last reading
	sum  float64
}

// newServerCPU watches the database of the hub's database URL on the
// server; on SQLite (server "") it reads 0.
func newServerCPU(server, database string) *serverCPU {
	s := &serverCPU{seen: map[int]float64{}}
	if server == "" {
		return s
	}
	u, err := url.Parse(database)
	if err != nil {
		return s
	}
	s.db = strings.TrimPrefix(u.Path, "/")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if s.conn, err = pgx.Connect(ctx, server); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: the PostgreSQL server's CPU is not measured: %v\n", err)
	}
	return s
}

// seconds is the CPU the database's backends used so far.
func (s *serverCPU) seconds(ctx context.Context) float64 {
	if s.conn == nil {
		return 0
	}
	rows, err := s.conn.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = $1", s.db)
	if err != nil {
		return s.sum
	}
	var pids []int
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			pids = append(pids, pid)
		}
	}
	rows.Close()
	for _, pid := range pids {
		now := cpuSeconds(pid)
		if now >= s.seen[pid] {
			s.sum += now - s.seen[pid]
		}
		s.seen[pid] = now
	}
	return s.sum
}

func (s *serverCPU) close() {
	if s.conn != nil {
		s.conn.Close(context.Background())
	}
}

// cpuSeconds is the user and system CPU time of a process so far.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command (in parentheses, which may hold spaces).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// diskIO is what a process has read from and written to the disk so far,
// in bytes (read_bytes and write_bytes of /proc/PID/io: the storage layer's
// reads, not those the page cache answered): a store that does not fit
// the cache shows here.
func diskIO(pid int) [2]int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return [2]int64{}
	}
	var out [2]int64
	for line := range strings.Lines(string(b)) {
		name, value, ok := strings.Cut(strings.TrimSpace(line), ": ")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(value, 10, 64)
		switch name {
		case "read_bytes":
			out[0] = n
		case "write_bytes":
			out[1] = n
		}
	}
	return out
}

// vmHWM is the peak resident set size of a process in KiB.
func vmHWM(pid int) int64 { return procStatusKiB(pid, "VmHWM") }

// newDatabase creates a new database on the PostgreSQL server at server and
// returns its URL and a function that drops it.
func newDatabase(ctx context.Context, server string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", nil, fmt.Errorf("connecting to postgres: %w", err)
	}
	name := "shiphub_e2e_" + hex.EncodeToString(randomBytes(4))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		return "", nil, fmt.Errorf("creating the database: %w", err)
	}
	u, err := url.Parse(server)
	if err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := conn.Exec(dctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: dropping %s: %v\n", name, err)
		}
		conn.Close(dctx)
	}, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// saveAllocs keeps the hub's allocation profile of the whole run (since it
// started: intake, apply and delivery), for go tool pprof -sample_index
// alloc_space. A failure is printed, not fatal: the figures do not need it.
func saveAllocs(debug, path string) {
	resp, err := http.Get(debug + "/debug/pprof/allocs")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: allocation profile: %v\n", err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "e2e: allocation profile: %s\n", resp.Status)
		return
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: allocation profile: %v\n", err)
		return
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: allocation profile: %v\n", err)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: allocation profile: %v\n", err)
	}
}
