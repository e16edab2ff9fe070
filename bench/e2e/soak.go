package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// soakShare is the share of the measured end-to-end capacity the soak
// offers when --rate is not given. A soak must measure a hub that keeps
// up, not a growing backlog, and this machine's speed moves 2-3x with what
// the other sessions run: so the rate comes from a short closed-loop run
// made right before (calibrate), and half of it leaves room for the load
// to double meanwhile.
const soakShare = 0.5

// calibrate measures the end-to-end rate (courier messages a second, every
// event delivered) of a new hub with o.messages messages, closed loop,
// as the normal run does.
func calibrate(ctx context.Context, o options) (float64, error) {
	c := o
	c.ceilingRepeat = 1
	f, err := runOnce(ctx, c, o.shiphub, "calibration", o.profileDir, courierBodies(o.messages), nil)
	if err != nil {
		return 0, fmt.Errorf("calibrating the soak's rate: %w", err)
	}
	return f.e2e / float64(o.eventsPerMsg), nil
}

// runSoak posts courier messages at a fixed rate for o.soak, samples the
// hub's memory and progress every o.soakEvery, waits until everything is
// applied and delivered, and judges whether the RSS stayed flat.
func runSoak(ctx context.Context, o options) error {
	work, err := os.MkdirTemp("", "shiphub-e2e-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	// The hub's log goes beside the profiles: the work directory is removed.
	defer func() {
		if log, err := os.ReadFile(filepath.Join(work, "hub.log")); err == nil {
			_ = os.WriteFile(filepath.Join(o.profileDir, "soak-hub.log"), log, 0o644)
		}
	}()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	rate := o.rate
	if rate <= 0 {
		capacity, err := calibrate(ctx, o)
		if err != nil {
			return err
		}
		rate = float64(int(capacity * soakShare))
		fmt.Printf("soak rate: %.0f messages/s = %.0f%% of the %.0f messages/s (all events delivered) the calibration run reached\n", rate, soakShare*100, capacity)
	}
	secret := "whsec_" + base64.StdEncoding.EncodeToString(randomBytes(32))
	recv, err := startProcess(ctx, self, []string{"receive"}, []string{"E2E_SECRET=" + secret}, work, "receiver")
	if err != nil {
		return err
	}
	defer recv.stop()
	database, storeName, cleanup, err := newStore(o)(ctx, work)
	if err != nil {
		return err
	}
	defer cleanup()
	hub, keys, err := startHub(ctx, o, o.shiphub, work, database, "", secret, recv.url+"/hooks", "")
	if err != nil {
		return err
	}
	defer hub.stop()
	pid := hub.cmd.Process.Pid
	fmt.Printf("soak: %s at %.0f courier messages/s (paced, %d connections; %.0f deliveries/s), %s, hub pid %d, sample every %s\n",
		o.soak, rate, o.connections, rate*float64(o.eventsPerMsg), storeName, pid, o.soakEvery)

	start := time.Now()
	end := start.Add(o.soak)
	gen := &pacedGenerator{target: hub.url + "/hooks/bench/courier", key: keys.inbound, rate: rate, start: start, end: end}
	done := make(chan struct{})
	go func() { gen.run(ctx, o.connections); close(done) }()

	var samples []rssSample
	sample := func(prevAcked *int64, prevAt *time.Duration) (rssSample, error) {
		at := time.Since(start)
		applied, err := metricSum(hub.url+"/metrics", "shiphub_pipeline_messages_total")
		if err != nil {
			return rssSample{}, err
		}
		backlog, err := metricSum(hub.url+"/metrics", "shiphub_inbox_pending")
		if err != nil {
			return rssSample{}, err
		}
		st, err := receiverState(recv.url + "/stats")
		if err != nil {
			return rssSample{}, err
		}
		acked := gen.acked.Load()
		s := rssSample{at: at, rssKiB: procStatusKiB(pid, "VmRSS"), peakKiB: procStatusKiB(pid, "VmHWM"),
			backlog: int64(backlog), inFlight: acked*int64(o.eventsPerMsg) - st.Distinct}
		perSec := float64(acked-*prevAcked) / (at - *prevAt).Seconds()
		*prevAcked, *prevAt = acked, at
		fmt.Printf("  %7s  acks/s %6.0f  acked %8d  failed %d  lag max %-8s applied %8.0f  delivered %9d  inbox backlog %6.0f  undelivered %7d  RSS %6.1f MiB  HWM %6.1f MiB\n",
			at.Round(time.Second), perSec, acked, gen.failed.Load(), time.Duration(gen.maxLag.Swap(0)).Round(time.Millisecond),
			applied, st.Distinct, backlog, s.inFlight, float64(s.rssKiB)/1024, float64(s.peakKiB)/1024)
		return s, nil
	}
	var prevAcked int64
	var prevAt time.Duration
	tick := time.NewTicker(o.soakEvery)
	defer tick.Stop()
load:
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			break load
		case <-tick.C:
			s, err := sample(&prevAcked, &prevAt)
			if err != nil {
				return err
			}
			samples = append(samples, s)
		}
	}
	if s, err := sample(&prevAcked, &prevAt); err == nil && s.at <= o.soak+o.soakEvery/2 {
		samples = append(samples, s)
	}
	acked := gen.acked.Load()
	loadTime := time.Since(start)
	fmt.Printf("load over after %s: %d acknowledged (%.0f/s over the load), %d failed, %d sent more than 100 ms behind schedule\n",
		loadTime.Round(time.Millisecond), acked, float64(acked)/loadTime.Seconds(), gen.failed.Load(), gen.late.Load())

	// Settle: everything acknowledged is applied and delivered once.
	want := acked * int64(o.eventsPerMsg)
	settleStart := time.Now()
	if _, err := waitApplied(ctx, hub.url+"/metrics", acked, o.timeout); err != nil {
		return err
	}
	st, err := waitDelivered(ctx, recv.url+"/stats", want, o.timeout)
	if err != nil {
		return err
	}
	rss, hwm := procStatusKiB(pid, "VmRSS"), procStatusKiB(pid, "VmHWM")
	fmt.Printf("settled %s after the load: %d distinct webhook-ids of %d expected, %d requests, %d bad signatures; RSS %.1f MiB, peak (VmHWM) %.1f MiB\n",
		time.Since(settleStart).Round(time.Millisecond), st.Distinct, want, st.Total, st.Bad, float64(rss)/1024, float64(hwm)/1024)

	from, to, growth, flat, err := flatVerdict(samples, o.soak, o.flatTolerance)
	if err != nil {
		return err
	}
	verdict := "FLAT"
	if !flat {
		verdict = "GROWING"
	}
	fmt.Printf("verdict: %s: RSS %.1f MiB at %s (end of the warm-up), %.1f MiB at %s (end of the load): %+.1f%% (tolerance %.0f%%); slope after the warm-up %+.0f KiB/min; peak %.1f MiB\n",
		verdict, float64(from.rssKiB)/1024, from.at.Round(time.Second), float64(to.rssKiB)/1024, to.at.Round(time.Second),
		growth*100, o.flatTolerance*100, slopeKiBPerMin(samples, from.at), float64(hwm)/1024)
	// Kept up: the intake took at least 98 % of the offered messages within
	// the load's time, and the deliveries outstanding at the end of the
	// load were no more than 10 s of the offered events. (Messages sent
	// late are a stall of the hub long enough to hold every connection,
	// which a loaded machine has now and then; they are counted, not
	// judged.)
	last := samples[len(samples)-1]
	offered := rate * o.soak.Seconds()
	keptUp := float64(acked) >= 0.98*offered && float64(last.inFlight) <= 10*rate*float64(o.eventsPerMsg)
	fmt.Printf("kept up: %v (%d of %.0f offered messages acknowledged, %d of them sent more than 100 ms late; at the end of the load %d events undelivered, inbox backlog %d)\n",
		keptUp, acked, offered, gen.late.Load(), last.inFlight, last.backlog)
	fmt.Printf("peak RSS under 100 MiB: %v (VmHWM %.1f MiB)\n", hwm < 100*1024, float64(hwm)/1024)
	delivered := st.Distinct == want && st.Bad == 0
	fmt.Printf("delivery: every event delivered once and signed: %v (%d distinct of %d, %d deliveries in all, %d bad signatures)\n",
		delivered, st.Distinct, want, st.Total, st.Bad)
	if !delivered {
		return fmt.Errorf("the receiver counted %d distinct events (%d bad signatures), want %d", st.Distinct, st.Bad, want)
	}
	return nil
}

// pacedGenerator posts courier message i at due(start, rate, i) until end,
// over a fixed number of connections. A message is sent late only when
// every connection is busy: lag is how late, the sign of a hub that does not
// keep up.
type pacedGenerator struct {
	target, key string
	rate        float64
	start, end  time.Time

	next, acked, failed, late atomic.Int64
	maxLag                    atomic.Int64 // nanoseconds, since the last sample
}

func (g *pacedGenerator) run(ctx context.Context, conns int) {
	// The client lets an idle connection go before the hub's server does
	// (its IdleTimeout is 2 minutes): at a paced rate most of the 32 sit
	// idle, and a POST sent on one the server is closing that moment fails
	// without a retry (one in 150,000 in a soak, with no error at the hub).
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true,
		IdleConnTimeout: 90 * time.Second,
	}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			timer := time.NewTimer(0)
			defer timer.Stop()
			for ctx.Err() == nil {
				i := g.next.Add(1) - 1
				at := due(g.start, g.rate, i)
				if !at.Before(g.end) {
					return
				}
				if wait := time.Until(at); wait > 0 {
					timer.Reset(wait)
					select {
					case <-ctx.Done():
						return
					case <-timer.C:
					}
				} else {
					lag := int64(-wait)
					for {
						m := g.maxLag.Load()
						if lag <= m || g.maxLag.CompareAndSwap(m, lag) {
							break
						}
					}
					if -wait > 100*time.Millisecond {
						g.late.Add(1)
					}
				}
				g.post(ctx, client, int(i))
			}
		}()
	}
	wg.Wait()
}

func (g *pacedGenerator) post(ctx context.Context, client *http.Client, i int) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.target, bytes.NewReader(courierBody(i)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-KEY", g.key)
	sent := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		g.fail(i, sent, err.Error())
		return
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		g.fail(i, sent, fmt.Sprintf("%s: %s", resp.Status, bytes.TrimSpace(body)))
		return
	}
	g.acked.Add(1)
}

// fail counts a message that was not acknowledged and prints the first
// ten, with what went wrong: the hub logs its own errors, not a request
// the load generator gave up on or a connection that broke.
func (g *pacedGenerator) fail(i int, sent time.Time, what string) {
	if n := g.failed.Add(1); n <= 10 {
		fmt.Fprintf(os.Stderr, "e2e soak: message %d, sent %s, answered after %s: %s\n",
			i, sent.UTC().Format(time.RFC3339Nano), time.Since(sent).Round(time.Microsecond), what)
	}
}

// receiverState is the receiver's count so far.
func receiverState(stats string) (receiverStats, error) {
	var st receiverStats
	resp, err := http.Get(stats)
	if err != nil {
		return st, fmt.Errorf("reading the receiver's stats: %w", err)
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}
