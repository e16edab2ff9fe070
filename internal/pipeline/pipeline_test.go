package pipeline_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/metrics"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// fakeConnector normalises a message whose body is a JSON wireUpdate, so the
// pipeline is tested without any real provider's format.
type fakeConnector struct {
	// remap overrides statuses by code, as a corrected mapping table would.
	remap map[string]model.Status
}

type wireEvent struct {
	Code   string       `json:"code"`
	Status model.Status `json:"status"`
	At     time.Time    `json:"at"`
}

type wireUpdate struct {
	// Panic makes Normalize panic, as a normaliser bug would.
	Panic bool   `json:"panic"`
	Ref   string `json:"ref"`
	// RefHex, when set, is the provider reference's bytes in hex: bytes
	// JSON cannot carry, as a form-encoded provider request can.
	RefHex string `json:"ref_hex"`
	// NaNPrice gives the update an item whose price is not a number, as a
	// normaliser that parses numbers carelessly would.
	NaNPrice bool        `json:"nan_price"`
	Carrier  string      `json:"carrier"`
	Refs     []string    `json:"refs"`
	Events   []wireEvent `json:"events"`
}

func (f fakeConnector) Normalize(m *model.InboxMessage) (model.Changes, error) {
	var w wireUpdate
	if err := json.Unmarshal(m.Body, &w); err != nil {
		return model.Changes{}, fmt.Errorf("decoding fake message: %w", err)
	}
	if w.Panic {
		var none []model.ShipmentUpdate
		return model.ShipmentChanges(none[:1]...), nil // index out of range: a normaliser bug
	}
	u := model.ShipmentUpdate{ProviderRef: w.Ref, Carrier: w.Carrier}
	if w.RefHex != "" {
		b, err := hex.DecodeString(w.RefHex)
		if err != nil {
			return model.Changes{}, fmt.Errorf("decoding fake message: %w", err)
		}
		u.ProviderRef = string(b)
	}
	if w.NaNPrice {
		nan := math.NaN()
		u.Items = []model.Item{{SKU: "X", Quantity: 1, UnitPrice: &nan}}
	}
	for _, r := range w.Refs {
		u.References = append(u.References, model.Reference{Kind: model.RefOrder, Value: r})
	}
	for _, e := range w.Events {
		if fixed, ok := f.remap[e.Code]; ok {
			e.Status = fixed
		}
		u.Events = append(u.Events, model.Event{
			Status: e.Status, ProviderCode: e.Code, OccurredAt: e.At,
			DedupKey: e.Code + "|" + e.At.Format(time.RFC3339),
		})
	}
	return model.ShipmentChanges(u), nil
}

func init() {
	provider.Register(provider.Info{Name: "fake", New: func(c provider.Connection) (provider.Connector, error) {
		var settings struct {
			Remap map[string]model.Status `yaml:"remap"`
		}
		if err := c.Decode(&settings); err != nil {
			return nil, err
		}
		return fakeConnector{remap: settings.Remap}, nil
	}})
}

// stores are the adapters every pipeline case runs against.
var stores = map[string]func(t *testing.T) store.Store{
	"SQLite":     func(t *testing.T) store.Store { return sqlite.OpenTest(t) },
	"PostgreSQL": func(t *testing.T) store.Store { return postgres.OpenTest(t) },
}

type harness struct {
	t       *testing.T
	st      store.Store
	p       *pipeline.Pipeline
	metrics *metrics.Metrics
	seq     int
}

func newHarness(t *testing.T, open func(t *testing.T) store.Store) *harness {
	st := open(t)
	m := metrics.New()
	return &harness{t: t, st: st, p: newPipeline(t, st, m, nil), metrics: m}
}

// newPipeline builds a pipeline on st whose fake connection remaps codes.
func newPipeline(t *testing.T, st store.Store, m *metrics.Metrics, remap map[string]any) *pipeline.Pipeline {
	t.Helper()
	settings := map[string]any{}
	if remap != nil {
		settings["remap"] = remap
	}
	cfg := &config.Config{Workspaces: []config.Workspace{{ID: "acme", Connections: []config.Connection{{ID: "c1", Provider: "fake", Settings: settings}}}}}
	conns, err := connections.Build(cfg)
	require.NoError(t, err)
	p, err := pipeline.New(pipeline.Config{Store: st, Connections: conns, Metrics: m, BatchSize: 4})
	require.NoError(t, err)
	return p
}

// send commits one message to the inbox and applies the inbox.
func (h *harness) send(body string) {
	h.t.Helper()
	h.seq++
	_, _, err := h.st.AppendInbox(context.Background(), &model.InboxMessage{
		Workspace: "acme", Connection: "c1", Provider: "fake", Source: model.SourceWebhook,
		DedupKey: fmt.Sprint(h.seq), ContentType: "application/json", Body: []byte(body), ReceivedAt: time.Now(),
	})
	require.NoError(h.t, err)
	_, err = h.p.Drain(context.Background())
	require.NoError(h.t, err)
}

func (h *harness) shipment(ref string) *model.Shipment {
	h.t.Helper()
	list, err := h.st.ListShipments(context.Background(), store.ShipmentFilter{Workspace: "acme", Reference: ref, Limit: 10})
	require.NoError(h.t, err)
	require.Len(h.t, list, 1)
	s, err := h.st.GetShipment(context.Background(), "acme", list[0].ID)
	require.NoError(h.t, err)
	return s
}

func (h *harness) feedTypes() []string {
	h.t.Helper()
	feed, err := h.st.ListFeed(context.Background(), "acme", 0, 1000)
	require.NoError(h.t, err)
	var types []string
	for _, f := range feed {
		types = append(types, f.Type)
	}
	return types
}

func at(hour int) string { return time.Date(2024, 5, 1, hour, 0, 0, 0, time.UTC).Format(time.RFC3339) }

func msg(ref string, events ...string) string {
	return fmt.Sprintf(`{"ref":%q,"refs":[%q],"carrier":"dhl","events":[%s]}`, ref, ref, strings.Join(events, ","))
}

func ev(code string, status model.Status, hour int) string {
	return fmt.Sprintf(`{"code":%q,"status":%q,"at":%q}`, code, status, at(hour))
}

func TestPipeline(t *testing.T) {
	t.Parallel()
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			t.Run("AMessageCreatesAShipmentWithItsEventsAndFeed", func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, open)
				h.send(msg("S1", ev("picked", model.StatusInTransit, 8), ev("label", model.StatusInfoReceived, 7)))
				s := h.shipment("S1")
				require.Equal(t, model.StatusInTransit, s.Status)
				require.Equal(t, "dhl", s.Carrier)
				require.Len(t, s.Events, 2)
				require.Equal(t, "label", s.Events[0].ProviderCode, "events come oldest first")
				require.Equal(t, []string{model.EventShipmentCreated, model.EventShipmentEventAdded, model.EventShipmentEventAdded, model.EventShipmentStatusChanged}, h.feedTypes())
			})

			t.Run("LateEventsDoNotOverturnNewerOrTerminalStatus", func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, open)
				h.send(msg("S2", ev("out", model.StatusOutForDelivery, 10)))
				h.send(msg("S2", ev("scan", model.StatusInTransit, 9))) // older, arrives late
				require.Equal(t, model.StatusOutForDelivery, h.shipment("S2").Status)
				h.send(msg("S2", ev("delivered", model.StatusDelivered, 11)))
				h.send(msg("S2", ev("rescan", model.StatusInTransit, 12))) // newer but not terminal
				s := h.shipment("S2")
				require.Equal(t, model.StatusDelivered, s.Status)
				require.Len(t, s.Events, 4)
				changes := 0
				for _, typ := range h.feedTypes() {
					if typ == model.EventShipmentStatusChanged {
						changes++
					}
				}
				require.Equal(t, 2, changes, "pending→out_for_delivery, out_for_delivery→delivered")
			})

			t.Run("TheSameEventTwiceIsStoredOnce", func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, open)
				h.send(msg("S3", ev("picked", model.StatusInTransit, 8)))
				h.send(msg("S3", ev("picked", model.StatusInTransit, 8), ev("out", model.StatusOutForDelivery, 9)))
				s := h.shipment("S3")
				require.Len(t, s.Events, 2)
				require.Equal(t, model.StatusOutForDelivery, s.Status)
			})

			t.Run("AMessageThatCannotBeNormalisedIsSetAsideAndTheRestApplied", func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, open)
				h.send(`{"ref":`)
				h.send(msg("S4", ev("picked", model.StatusInTransit, 8)))
				require.Equal(t, model.StatusInTransit, h.shipment("S4").Status)
				stats, err := h.st.InboxStats(context.Background())
				require.NoError(t, err)
				require.Equal(t, int64(1), stats.Failed)
				require.Zero(t, stats.Pending)
				require.Equal(t, 1.0, testutil.ToFloat64(h.metrics.Processed.WithLabelValues("fake", "failed")))
			})

			t.Run("AnUpdateWithoutProviderReferenceIsSetAsideAndDoesNotStallTheRest", func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, open)
				h.send(msg("", ev("picked", model.StatusInTransit, 8)))
				h.send(msg("S10", ev("picked", model.StatusInTransit, 8)))
				require.Equal(t, model.StatusInTransit, h.shipment("S10").Status)
				stats, err := h.st.InboxStats(context.Background())
				require.NoError(t, err)
				require.Equal(t, int64(1), stats.Failed)
				require.Zero(t, stats.Pending)
			})

			t.Run("UnknownStatusIsKeptAndCounted", func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, open)
				h.send(msg("S5", ev("WEIRD", model.StatusUnknown, 8)))
				s := h.shipment("S5")
				require.Equal(t, model.StatusUnknown, s.Status)
				require.Equal(t, "WEIRD", s.Events[0].ProviderCode)
				h.send(msg("S5", ev("picked", model.StatusInTransit, 7)))
				require.Equal(t, model.StatusInTransit, h.shipment("S5").Status, "a known status replaces unknown")
				require.Equal(t, 1.0, testutil.ToFloat64(h.metrics.UnknownStatus.WithLabelValues("fake", "WEIRD")))
			})

			t.Run("RebuildWithTheSameMappingChangesNothingAndTellsNobody", func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, open)
				h.send(msg("S6", ev("picked", model.StatusInTransit, 8)))
				h.send(msg("S6", ev("delivered", model.StatusDelivered, 9)))
				h.send(msg("S7", ev("picked", model.StatusInTransit, 8)))
				before := h.shipment("S6")
				feedBefore := h.feedTypes()
				rep, err := h.p.Rebuild(context.Background(), []string{"acme"}, nil)
				require.NoError(t, err)
				require.Equal(t, pipeline.RebuildReport{Messages: 3}, rep)
				after := h.shipment("S6")
				require.Equal(t, before.ID, after.ID, "ids stay")
				require.Equal(t, before.Status, after.Status)
				require.Len(t, after.Events, len(before.Events))
				require.Equal(t, before.References, after.References)
				require.Equal(t, feedBefore, h.feedTypes(), "no feed entries for what did not change")
			})

			t.Run("RebuildAfterAMappingFixReportsOnlyTheChangedShipments", func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, open)
				h.send(msg("S8", ev("WEIRD", model.StatusUnknown, 8)))
				h.send(msg("S9", ev("picked", model.StatusInTransit, 8)))
				require.Equal(t, model.StatusUnknown, h.shipment("S8").Status)
				id := h.shipment("S8").ID
				feedBefore := len(h.feedTypes())

				fixed := newPipeline(t, h.st, metrics.New(), map[string]any{"WEIRD": "out_for_delivery"})
				rep, err := fixed.Rebuild(context.Background(), []string{"acme"}, nil)
				require.NoError(t, err)
				require.Equal(t, 1, rep.Changed)
				s := h.shipment("S8")
				require.Equal(t, id, s.ID)
				require.Equal(t, model.StatusOutForDelivery, s.Status)
				feed, err := h.st.ListFeed(context.Background(), "acme", 0, 1000)
				require.NoError(t, err)
				require.Len(t, feed, feedBefore+1, "one entry: the corrected shipment")
				last := feed[len(feed)-1]
				require.Equal(t, model.EventShipmentStatusChanged, last.Type)
				require.Equal(t, id, last.SubjectID)
				var data pipeline.StatusChanged
				require.NoError(t, json.Unmarshal(last.Data, &data))
				require.Equal(t, model.StatusUnknown, data.PreviousStatus)
				require.Equal(t, model.StatusOutForDelivery, data.Status)
			})
		})
	}
}

func TestMain(m *testing.M) {
	if os.Getenv("SHIPHUB_TEST_POSTGRES") == "" {
		os.Setenv("SHIPHUB_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	}
	os.Exit(m.Run())
}
