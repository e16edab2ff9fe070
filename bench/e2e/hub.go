package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// storeChoice is where a hub run keeps its data, when it is not a new empty
// store (the large-store mode runs on a copy of a seeded one).
type storeChoice struct {
	// prepare returns the database setting of the hub's config, the
	// store's name for the report and what removes the database after the
	// run. Nil: a new empty store (newStore).
	prepare func(ctx context.Context, work string) (database, name string, cleanup func(), err error)
	// idle, when set, runs against the hub once the run is over (every
	// event delivered), before the hub stops.
	idle func(ctx context.Context, hubURL, apiKey string) error
	// secretsKey is the hub's SHIPHUB_SECRETS_KEY (base64); "" is a new
	// random one. A kept database whose rows are sealed needs the key
	// it was written with.
	secretsKey string
}

// newStore makes a new empty store for each run: SQLite in the run's
// directory, or a new database on the --postgres server.
func newStore(o options) func(ctx context.Context, work string) (string, string, func(), error) {
	return func(ctx context.Context, work string) (string, string, func(), error) {
		if o.postgres == "" {
			return "sqlite:" + filepath.Join(work, "hub.db"), "SQLite (synchronous=FULL)", func() {}, nil
		}
		db, drop, err := newDatabase(ctx, o.postgres)
		if err != nil {
			return "", "", nil, err
		}
		return db, "PostgreSQL", drop, nil
	}
}

// hubKeys are the keys a started hub accepts.
type hubKeys struct {
	inbound string // the courier connection's inbound_api_key
	api     string // the workspace's API key (Authorization: Bearer)
}

// startHub writes the hub's config into work and starts "shiphub serve"
// with the debug listener, waiting until it is ready. endpoint "" starts it
// without an endpoint (the large-store mode's migration run).
func startHub(ctx context.Context, o options, bin, work, database, secretsKey, secret, endpoint, profileDir string) (*process, hubKeys, error) {
	keys := hubKeys{inbound: hex.EncodeToString(randomBytes(16)), api: "bench_" + hex.EncodeToString(randomBytes(16))}
	cfgPath := filepath.Join(work, "shiphub.yaml")
	if err := os.WriteFile(cfgPath, []byte(hubConfig(database, keys.inbound, keys.api, secret, endpoint, o.logLevel)), 0o600); err != nil {
		return nil, keys, err
	}
	if secretsKey == "" {
		secretsKey = base64.StdEncoding.EncodeToString(randomBytes(32))
	}
	args := []string{"serve", "--config", cfgPath, "--listen", "127.0.0.1:0", "--debug-listen", "127.0.0.1:0"}
	if profileDir != "" {
		args = append(args, "--profile-dir", profileDir)
	}
	hub, err := startProcess(ctx, bin, args, []string{"SHIPHUB_SECRETS_KEY=" + secretsKey}, work, "hub")
	if err != nil {
		return nil, keys, err
	}
	if err := waitReady(ctx, hub.url+"/readyz"); err != nil {
		hub.stop()
		return nil, keys, err
	}
	return hub, keys, nil
}

// metricSum is the sum of every series of a metric family on the hub's
// /metrics (0 when it has none).
// It asks for the text uncompressed: the benchmark reads it 20 times a
// second, and the hub's gzip writer for each answer (600 KiB of
// allocations) was measured as the hub's own work.
func metricSum(metrics, family string) (float64, error) {
	req, err := http.NewRequest(http.MethodGet, metrics, nil)
	if err != nil {
		return 0, fmt.Errorf("reading the metrics: %w", err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reading the metrics: %w", err)
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		name, _, _ := strings.Cut(l, " ")
		name, _, _ = strings.Cut(name, "{")
		if name != family {
			continue
		}
		f := strings.Fields(l)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
		}
	}
	return sum, sc.Err()
}

// procStatusKiB is a "kB" field of /proc/<pid>/status (VmRSS, VmHWM), in
// KiB; 0 when it cannot be read.
func procStatusKiB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
