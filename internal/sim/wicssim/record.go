package wicssim

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// RecordStart is the default RecordConfig.Start: a fixed time, so that the
// same RecordConfig records the same messages on every run.
var RecordStart = time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)

// RecordConfig configures Record.
type RecordConfig struct {
	// Orders is how many order lives to record in all, dealt out evenly
	// over the simulators; at least 1.
	Orders int
	// Simulators is how many simulators run at once, each opening with the
	// document's nine examples; default 1, and never more than Orders.
	Simulators int
	// Seed is the first simulator's seed; simulator i has Seed+i.
	Seed int64
	// Start is every simulator's warehouse time of its first generated
	// message; default RecordStart.
	Start time.Time
}

// RecordedMessage is one webhook as a hub receives it: the topic's path
// name (the last segment of the URL it was posted to) and the body, byte
// for byte.
type RecordedMessage struct {
	Topic string
	Body  []byte
}

// Record runs simulators without pauses (Step -1) against a loopback
// recorder that answers 200 to everything, and returns the distinct
// messages, by topic and body, in the order they arrived: a stream to
// replay to a hub in benchmarks and tests without a simulator in the loop.
// The messages are recorded off the wire, as a hub would read them.
//
// Duplicates are dropped because a hub acknowledges a repeated message
// without applying it: every simulator opens with the same nine examples,
// and a replay that counts applied messages must not count them twice.
// Each simulator's messages keep their order; with more than one
// simulator, how their streams interleave varies from run to run.
func Record(ctx context.Context, cfg RecordConfig) ([]RecordedMessage, error) {
	if cfg.Orders < 1 {
		return nil, errors.New("recording the wics stream: orders must be at least 1")
	}
	simulators := max(1, min(cfg.Simulators, cfg.Orders))
	start := cfg.Start
	if start.IsZero() {
		start = RecordStart
	}

	var rec recorder
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("recording the wics stream: %w", err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: &rec}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	errs := make([]error, simulators)
	var wg sync.WaitGroup
	for i := range simulators {
		n := cfg.Orders / simulators
		if i < cfg.Orders%simulators {
			n++
		}
		wg.Go(func() {
			sim, err := New(Config{
				URL: "http://" + ln.Addr().String() + "/hooks/record/wics", APIKey: "recorder", APISecret: "recorder",
				Orders: n, Step: -1, Seed: cfg.Seed + int64(i), Start: start,
			})
			if err != nil {
				errs[i] = err
				return
			}
			if err := sim.Run(ctx); err != nil {
				errs[i] = err
				return
			}
			if st := sim.Stats(); st.Acked != st.Sent {
				errs[i] = fmt.Errorf("the recorder acknowledged %d of %d", st.Acked, st.Sent)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("recording the wics stream: %w", err)
	}
	return rec.messages(), nil
}

// recorder is Record's receiving end: it keeps the first of every distinct
// topic and body, and answers 200.
type recorder struct {
	mu   sync.Mutex
	seen map[[sha256.Size]byte]bool
	msgs []RecordedMessage
}

// MessageKey is a posted webhook's topic (the last segment of the path it
// was posted to) and its identity: a SHA-256 of the topic and the body,
// byte for byte, as a hub tells a repeated message. Record keeps the first
// message of each key, and tests that stand between the simulator and a
// hub count the attempts of one message by it.
func MessageKey(path string, body []byte) (topic string, key [sha256.Size]byte) {
	topic = path[strings.LastIndexByte(path, '/')+1:]
	return topic, sha256.Sum256(append([]byte(topic+"\x00"), body...))
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	topic, key := MessageKey(r.URL.Path, body)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.seen == nil {
		rec.seen = map[[sha256.Size]byte]bool{}
	}
	if !rec.seen[key] {
		rec.seen[key] = true
		rec.msgs = append(rec.msgs, RecordedMessage{Topic: topic, Body: body})
	}
}

func (rec *recorder) messages() []RecordedMessage {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.msgs)
}
