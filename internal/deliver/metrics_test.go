package deliver_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/deliver"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// latencySamples is how many deliveries the latency histogram has seen.
func latencySamples(t *testing.T, m *metrics.Metrics) uint64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "shiphub_delivery_latency_seconds" {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	t.Fatal("shiphub_delivery_latency_seconds is not registered")
	return 0
}

// deliveryCounts is what the delivery metrics say.
type deliveryCounts struct {
	attempts map[string]float64 // by result
	dead     float64
	latency  uint64
}

func readDeliveryCounts(t *testing.T, m *metrics.Metrics) deliveryCounts {
	t.Helper()
	c := deliveryCounts{attempts: map[string]float64{}, dead: testutil.ToFloat64(m.DeadLetters), latency: latencySamples(t, m)}
	for _, r := range []string{"success", "failure", "timeout", "rejected"} {
		if v := testutil.ToFloat64(m.DeliveryAttempts.WithLabelValues(r)); v > 0 {
			c.attempts[r] = v
		}
	}
	return c
}

func TestDeliveryMetricsFollowTheAttempts(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		private bool // the target's loopback address is allowed
		timeout time.Duration
		respond func(n int, r received, w http.ResponseWriter)
		hang    bool
		want    deliveryCounts
	}{
		{name: "ASuccessIsCountedWithItsLatency", private: true,
			respond: func(int, received, http.ResponseWriter) {},
			want:    deliveryCounts{attempts: map[string]float64{"success": 1}, latency: 1}},
		{name: "ASuccessAfterAFailure", private: true,
			respond: func(n int, _ received, w http.ResponseWriter) {
				if n == 1 {
					w.WriteHeader(http.StatusInternalServerError)
				}
			},
			want: deliveryCounts{attempts: map[string]float64{"failure": 1, "success": 1}, latency: 1}},
		{name: "FailuresUntilADeadLetter", private: true,
			respond: func(_ int, _ received, w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) },
			want:    deliveryCounts{attempts: map[string]float64{"failure": 2}, dead: 1}},
		{name: "TimeoutsUntilADeadLetter", private: true, timeout: 200 * time.Millisecond, hang: true,
			want: deliveryCounts{attempts: map[string]float64{"timeout": 2}, dead: 1}},
		{name: "ARefusedPrivateTargetIsRejected", private: false,
			respond: func(int, received, http.ResponseWriter) {},
			want:    deliveryCounts{attempts: map[string]float64{"rejected": 2}, dead: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := metrics.New()
			h := start(t, deliver.Config{AllowPrivateNetworks: c.private, Metrics: m, Timeout: c.timeout,
				RetrySchedule: []time.Duration{0, 10 * time.Millisecond}})
			url := ""
			if c.hang {
				url = newRawEndpoint(t, hang).URL()
			} else {
				url = newReceiver(t, c.respond).URL
			}
			h.endpoint(t, url)
			h.emit(t, [2]any{model.EventShipmentCreated, 1})
			var got deliveryCounts
			eventually(t, "the delivery metrics", func() bool {
				got = readDeliveryCounts(t, m)
				return got.latency == c.want.latency && got.dead == c.want.dead && len(got.attempts) == len(c.want.attempts) &&
					func() bool {
						for k, v := range c.want.attempts {
							if got.attempts[k] != v {
								return false
							}
						}
						return true
					}()
			})
			require.Equal(t, c.want, got)
		})
	}
}

// panicOnce makes the first claim of shipment 1's delivery come back
// without its endpoint, which the worker's code does not expect: a stand-in
// for any bug that panics while one delivery is sent.
type panicOnce struct {
	*sqlite.Store
	done atomic.Bool
}

func (p *panicOnce) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]*store.DeliveryJob, error) {
	jobs, err := p.Store.ClaimDeliveries(ctx, limit, lease)
	for _, j := range jobs {
		if j.Event.SubjectID == 1 && p.done.CompareAndSwap(false, true) {
			j.Endpoint = nil
		}
	}
	return jobs, err
}

func TestAPanicWhileSendingBacksOffThatDeliveryOnly(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	h := startWrapped(t, deliver.Config{AllowPrivateNetworks: true, Metrics: m}, func(st *sqlite.Store) store.Webhooks { return &panicOnce{Store: st} })
	rc := newReceiver(t, nil)
	h.endpoint(t, rc.URL)
	h.emit(t, [2]any{model.EventShipmentCreated, 1}, [2]any{model.EventShipmentCreated, 2})
	done := h.waitStatus(t, model.DeliverySucceeded, 2)

	require.Equal(t, 1.0, testutil.ToFloat64(m.PanicsRecovered.WithLabelValues("delivery")))
	var first *model.Delivery
	for _, d := range done {
		full, err := h.st.GetDelivery(context.Background(), "acme", d.ID)
		require.NoError(t, err)
		if d.Subject == model.Subject(model.EventShipmentCreated, 1) {
			first = full
		} else {
			require.Len(t, full.Log, 1, "the other delivery went out at once")
		}
	}
	require.NotNil(t, first)
	require.Len(t, first.Log, 2, "the delivery that panicked was retried")
	require.Contains(t, first.Log[0].Error, "recovered panic")
	require.Equal(t, http.StatusNoContent, first.Log[1].StatusCode)
}

// panickyAlerter panics on every alert.
type panickyAlerter struct{ calls atomic.Int64 }

func (a *panickyAlerter) Alert(context.Context, deliver.Alert) error {
	a.calls.Add(1)
	panic(errors.New("alerter bug"))
}

func TestAPanickingAlerterIsRecovered(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	alerter := &panickyAlerter{}
	h := start(t, deliver.Config{AllowPrivateNetworks: true, Metrics: m, Alerter: alerter})
	gone := newReceiver(t, func(_ int, _ received, w http.ResponseWriter) { w.WriteHeader(http.StatusGone) })
	ep := h.endpoint(t, gone.URL, "shipment.created")
	h.emit(t, [2]any{model.EventShipmentCreated, 1})
	h.waitDisabled(t, ep.ID)
	eventually(t, "the recovered panic", func() bool { return testutil.ToFloat64(m.PanicsRecovered.WithLabelValues("delivery")) == 1 })
	require.EqualValues(t, 1, alerter.calls.Load())

	// The worker carries on.
	rc := newReceiver(t, nil)
	h.endpoint(t, rc.URL, "shipment.edd_changed")
	h.emit(t, [2]any{model.EventShipmentEDDChanged, 1})
	h.waitStatus(t, model.DeliverySucceeded, 1)
}
