package deliver_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/deliver"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// rawEndpoint is a merchant endpoint on loopback that speaks TCP itself, so
// that it can answer never, or a byte at a time.
type rawEndpoint struct {
	ln       net.Listener
	accepted atomic.Int64
}

func newRawEndpoint(t *testing.T, serve func(ctx context.Context, c net.Conn)) *rawEndpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	e := &rawEndpoint{ln: ln}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.accepted.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { _ = c.Close() }()
				stop := context.AfterFunc(ctx, func() { _ = c.Close() })
				defer stop()
				serve(ctx, c)
			}()
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = ln.Close()
		wg.Wait()
	})
	return e
}

func (e *rawEndpoint) URL() string { return "http://" + e.ln.Addr().String() + "/hooks" }

// hang accepts the request and never answers: it reads until the hub gives
// up and closes the connection.
func hang(_ context.Context, c net.Conn) { _, _ = io.Copy(io.Discard, c) }

// trickle reads the request, writes prefix, and then writes one byte of
// filler every 20ms for ever: each byte arrives well within any per-read
// timeout, so only a deadline on the whole attempt ends it.
func trickle(prefix string) func(ctx context.Context, c net.Conn) {
	return func(ctx context.Context, c net.Conn) {
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		if _, err := io.WriteString(c, prefix); err != nil {
			return
		}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if _, err := c.Write([]byte{'a'}); err != nil {
				return
			}
		}
	}
}

// within fails the test unless cond holds before d has passed since from.
func within(t *testing.T, from time.Time, d time.Duration, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Since(from) > d {
			t.Fatalf("%s did not happen within %s", what, d)
		}
		<-tick.C
	}
}

// slowTimeout is the attempt timeout of the slow-endpoint tests, and
// promptly is how soon the healthy endpoint's deliveries must arrive: well
// below it, so the test fails when a hanging endpoint holds the worker up
// for a whole timeout.
const (
	slowTimeout = 6 * time.Second
	promptly    = 3 * time.Second
)

// slowConfig is the worker of the slow-endpoint tests: few slots, so that
// the bad endpoints' deliveries alone could fill them all, and a retry an
// hour later, so that "retried later" is visible as a pending delivery.
func slowConfig(t *testing.T) deliver.Config {
	return deliver.Config{AllowPrivateNetworks: true, Concurrency: 4, EndpointConcurrency: 1, SlowAfter: 150 * time.Millisecond,
		Timeout: slowTimeout, RetrySchedule: []time.Duration{0, time.Hour}, Logger: testLogger(t)}
}

// testLogger logs into the test's log, which shows when it fails.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// stockEvents are n shipment.edd_changed events of distinct subjects, for emit.
func stockEvents(n int) [][2]any {
	out := make([][2]any, n)
	for i := range out {
		out[i] = [2]any{model.EventShipmentEDDChanged, i + 1}
	}
	return out
}

// endpointDeliveries lists the deliveries of one endpoint.
func (h *hub) endpointDeliveries(t *testing.T, id int64) []*model.Delivery {
	t.Helper()
	list, err := h.st.ListDeliveries(context.Background(), store.DeliveryFilter{Workspace: "acme", EndpointID: id, Limit: 1000})
	require.NoError(t, err)
	return list
}

func TestAHangingOrTricklingEndpointHoldsOnlyItsOwnDeliveries(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		serve func(ctx context.Context, c net.Conn)
	}{
		{"AcceptsAndNeverAnswers", hang},
		{"TricklesItsStatusLine", trickle("HTTP/1.1 200 OK\r\nX-Trickle: ")},
		{"TricklesItsBodyAfterA200", trickle("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, slowConfig(t))
			bad := newRawEndpoint(t, c.serve)
			bep := h.endpoint(t, bad.URL(), "shipment.created")
			healthy := newReceiver(t, nil)
			h.endpoint(t, healthy.URL, "shipment.edd_changed")

			// The bad endpoint's deliveries come first in the queue, more of
			// them than the worker has slots.
			for i := range 8 {
				h.emit(t, [2]any{model.EventShipmentCreated, i + 1})
			}
			emitted := time.Now()
			h.emit(t, stockEvents(5)...)
			within(t, emitted, promptly, "the healthy endpoint's 5 deliveries", func() bool { return len(healthy.requests()) == 5 })

			// The bad endpoint's first attempt ends at the attempt timeout,
			// reading of the answer included, and is retried later.
			var d *model.Delivery
			eventually(t, "a recorded attempt to the bad endpoint", func() bool {
				for _, x := range h.endpointDeliveries(t, bep.ID) {
					if x.Attempts > 0 {
						d = x
						return true
					}
				}
				return false
			})
			full, err := h.st.GetDelivery(context.Background(), "acme", d.ID)
			require.NoError(t, err)
			require.Len(t, full.Log, 1)
			took := time.Duration(full.Log[0].DurationMS * float64(time.Millisecond))
			require.GreaterOrEqual(t, took, slowTimeout-50*time.Millisecond, "the attempt lasts its timeout")
			require.Less(t, took, slowTimeout+time.Second, "a trickling answer cannot extend the attempt")
			require.Contains(t, full.Log[0].Error, "within 6s")
			require.Equal(t, model.DeliveryPending, full.Status, "the delivery is retried, not counted delivered or dead")
			require.NotNil(t, full.NextAttemptAt)
			require.Greater(t, time.Until(*full.NextAttemptAt), 30*time.Minute, "at the schedule's next delay")
		})
	}
}

func TestManyHangingEndpointsCannotTakeEveryWorkerSlot(t *testing.T) {
	t.Parallel()
	h := start(t, slowConfig(t))
	// Six hanging endpoints, with two deliveries each, against four slots.
	var hanging []*rawEndpoint
	for range 6 {
		e := newRawEndpoint(t, hang)
		h.endpoint(t, e.URL(), "shipment.created")
		hanging = append(hanging, e)
	}
	healthy := newReceiver(t, nil)
	h.endpoint(t, healthy.URL, "shipment.edd_changed")
	h.emit(t, [2]any{model.EventShipmentCreated, 1})
	h.emit(t, [2]any{model.EventShipmentCreated, 2})
	emitted := time.Now()
	h.emit(t, stockEvents(5)...)
	within(t, emitted, promptly, "the healthy endpoint's 5 deliveries", func() bool { return len(healthy.requests()) == 5 })
	var connected int64
	for _, e := range hanging {
		connected += e.accepted.Load()
	}
	require.GreaterOrEqual(t, connected, int64(4), "the hanging endpoints were tried meanwhile: %s", fmt.Sprint(connected))
}

func TestASlowEndpointStillGetsItsDeliveriesThroughOneAfterAnother(t *testing.T) {
	t.Parallel()
	h := start(t, slowConfig(t))
	// Each answer takes twice SlowAfter: every attempt marks the endpoint
	// slow, and still it answers well within the timeout.
	slow := newReceiver(t, func(_ int, _ received, w http.ResponseWriter) {
		select {
		case <-time.After(300 * time.Millisecond):
		case <-t.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
	})
	h.endpoint(t, slow.URL, "shipment.edd_changed")
	emitted := time.Now()
	h.emit(t, stockEvents(5)...)
	// One at a time (EndpointConcurrency 1), 1.5s in all: not left waiting
	// for their claims to expire (2 timeouts and 5s, 17s here).
	within(t, emitted, slowTimeout, "the slow endpoint's 5 deliveries", func() bool {
		return len(h.delivery(t, model.DeliverySucceeded)) == 5
	})
	for _, d := range h.delivery(t, model.DeliverySucceeded) {
		require.Equal(t, 1, d.Attempts, "delivery %d went out once", d.ID)
	}
}

func TestConfigBoundsTheEndpointCapAndSlowAfter(t *testing.T) {
	t.Parallel()
	st := sqlite.OpenTest(t)
	for _, c := range []struct {
		name string
		cfg  deliver.Config
		want string
	}{
		{"DefaultsAreValid", deliver.Config{}, ""},
		{"ACapUpToTheConcurrency", deliver.Config{Concurrency: 4, EndpointConcurrency: 4}, ""},
		{"ACapAboveTheConcurrency", deliver.Config{Concurrency: 4, EndpointConcurrency: 5}, "endpoint concurrency 5 exceeds the concurrency 4"},
		{"ACapAboveTheDefaultConcurrency", deliver.Config{EndpointConcurrency: 65}, "endpoint concurrency 65 exceeds the concurrency 64"},
		{"SlowAfterUpToTheTimeout", deliver.Config{Timeout: time.Second, SlowAfter: time.Second}, ""},
		{"SlowAfterBeyondTheTimeout", deliver.Config{Timeout: time.Second, SlowAfter: 2 * time.Second}, "slow-after 2s exceeds the timeout 1s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.cfg.Store = st
			_, err := deliver.New(c.cfg)
			if c.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, c.want)
		})
	}
}
