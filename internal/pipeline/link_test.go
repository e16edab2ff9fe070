package pipeline_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/provider/gcl"
	"github.com/shiphub/shiphub/internal/provider/registry"
	"github.com/shiphub/shiphub/internal/store"
)

// parcel is the one parcel two connections know: Winkelstraat's document
// example ships it with UPS, and GCL tracks the same UPS number.
const parcel = "1Z7E3V556825150AAP"

// twoSources is a workspace with a Winkelstraat connection and a GCL
// connection whose carrier rule attaches UPS shipments.
type twoSources struct {
	t   *testing.T
	st  store.Store
	p   *pipeline.Pipeline
	seq int
}

func newTwoSources(t *testing.T, st store.Store) *twoSources {
	t.Helper()
	registry.RegisterAll()
	cfg := &config.Config{Workspaces: []config.Workspace{{ID: "acme", Connections: []config.Connection{
		{ID: "ws", Provider: "winkelstraat", Settings: map[string]any{"inbound_api_key": "ws-key-0123456789"}},
		{ID: "tracking", Provider: "gcl", Settings: map[string]any{
			"base_url": "http://127.0.0.1:1", "api_key": "gcl-key-0123456789",
			"attach": []map[string]any{{"carrier": "ups"}},
		}},
	}}}}
	conns, err := connections.Build(cfg)
	require.NoError(t, err)
	p, err := pipeline.New(pipeline.Config{Store: st, Connections: conns, BatchSize: 4, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	return &twoSources{t: t, st: st, p: p}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// commit puts one message in the inbox, as the intake (Winkelstraat) or
// the GCL service (meta of a poll answer) does, and applies the inbox.
func (h *twoSources) commit(conn, provider string, source model.Source, meta map[string]string, body []byte) {
	h.t.Helper()
	h.seq++
	_, dup, err := h.st.AppendInbox(context.Background(), &model.InboxMessage{
		Workspace: "acme", Connection: conn, Provider: provider, Source: source, DedupKey: fmt.Sprint(h.seq),
		ContentType: "application/json", Meta: meta, Body: body, ReceivedAt: time.Now(),
	})
	require.NoError(h.t, err)
	require.False(h.t, dup)
	_, err = h.p.Drain(context.Background())
	require.NoError(h.t, err)
}

func (h *twoSources) shipments() []*model.Shipment {
	h.t.Helper()
	list, err := h.st.ListShipments(context.Background(), store.ShipmentFilter{Workspace: "acme", Limit: 10})
	require.NoError(h.t, err)
	out := make([]*model.Shipment, len(list))
	for i, s := range list {
		out[i], err = h.st.GetShipment(context.Background(), "acme", s.ID)
		require.NoError(h.t, err)
	}
	return out
}

// gclMeta is the meta the GCL service commits a poll answer with; origin
// is the shipment a carrier rule attached the tracker to, or 0.
func gclMeta(number string, origin int64) map[string]string {
	m := map[string]string{gcl.MetaTrackingNumber: number, gcl.MetaTracker: "7"}
	if origin != 0 {
		m[gcl.MetaOriginShipment] = strconv.FormatInt(origin, 10)
	}
	return m
}

// eventSources counts a shipment's events by the connection they came from.
func eventSources(s *model.Shipment) map[string]int {
	out := map[string]int{}
	for _, e := range s.Events {
		out[e.Connection+"/"+e.Provider]++
	}
	return out
}

// TestOneParcelKnownToTwoConnectionsIsOneShipment applies a Winkelstraat
// shipment (carrier ups, with its tracking number) and then GCL's answers
// about the same parcel: whether the GCL tracker was attached by the
// carrier rule (it names the shipment) or created through the API (it only
// knows the number), the merchant sees one shipment, with the events of
// both sources, each marked with its connection, and the status derived
// from all of them. A reprocess rebuilds the same single shipment.
func TestOneParcelKnownToTwoConnectionsIsOneShipment(t *testing.T) {
	t.Parallel()
	for name, open := range stores {
		for _, origin := range []string{"carrier rule", "api tracker"} {
			t.Run(name+"/"+origin, func(t *testing.T) {
				t.Parallel()
				h := newTwoSources(t, open(t))
				h.commit("ws", "winkelstraat", model.SourceWebhook, nil, fixture(t, "winkelstraat-document-example.json"))
				list := h.shipments()
				require.Len(t, list, 1)
				ws := list[0]
				require.Equal(t, model.StatusInTransit, ws.Status)
				require.Equal(t, parcel, ws.TrackingNumber)

				var attached int64
				if origin == "carrier rule" {
					attached = ws.ID
				}
				// A first poll finds one checkpoint, a later one two more.
				h.commit("tracking", "gcl", model.SourcePoll, gclMeta(parcel, attached), fixture(t, "gcl-ups-in-transit.json"))
				h.commit("tracking", "gcl", model.SourcePoll, gclMeta(parcel, attached), fixture(t, "gcl-ups-delivered.json"))

				list = h.shipments()
				require.Len(t, list, 1, "one parcel is one shipment")
				got := list[0]
				require.Equal(t, ws.ID, got.ID)
				require.Equal(t, "ws", got.Connection, "the shipment stays Winkelstraat's")
				require.Equal(t, map[string]int{"ws/winkelstraat": 1, "tracking/gcl": 3}, eventSources(got), "the events of both sources")
				require.Equal(t, model.StatusDelivered, got.Status, "derived from every event: GCL's delivery is the latest")
				require.Equal(t, "000000549", got.OrderReference, "Winkelstraat's facts stay")
				require.Contains(t, got.References, model.Reference{Kind: model.RefShipment, Value: "UPS0000288"}, "GCL's references join")

				feed, err := h.st.ListFeed(context.Background(), "acme", 0, 100)
				require.NoError(t, err)
				created := 0
				for _, f := range feed {
					require.Equal(t, ws.ID, f.SubjectID, "every feed entry is about the one shipment (%s)", f.Type)
					if f.Type == model.EventShipmentCreated {
						created++
					}
				}
				require.Equal(t, 1, created)

				// A parcel no other connection knows is GCL's own shipment.
				h.commit("tracking", "gcl", model.SourcePoll, gclMeta("1ZNOBODY", 0), fixture(t, "gcl-ups-delivered.json"))
				require.Len(t, h.shipments(), 2)

				rep, err := h.p.Rebuild(context.Background(), []string{"acme"}, nil)
				require.NoError(t, err)
				require.Zero(t, rep.Created, "the rebuild makes no new shipment")
				rebuilt, err := h.st.GetShipment(context.Background(), "acme", ws.ID)
				require.NoError(t, err)
				require.Equal(t, model.StatusDelivered, rebuilt.Status)
				require.Equal(t, eventSources(got), eventSources(rebuilt))
			})
		}
	}
}

// TestALinkFindsItsShipmentInTheDocumentedOrder pins the order in which
// model.ShipmentLink's candidates are tried, for the cases the first test
// does not reach: the shipment a carrier rule names wins over GCL's own
// shipment of the parcel (made before this hub linked parcels), and GCL's
// own shipment, once it exists, keeps a tracker's answers that name no
// shipment, even after another connection reports the parcel.
func TestALinkFindsItsShipmentInTheDocumentedOrder(t *testing.T) {
	t.Parallel()
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newTwoSources(t, open(t))
			// GCL knows the parcel first (an API tracker): its own shipment.
			h.commit("tracking", "gcl", model.SourcePoll, gclMeta(parcel, 0), fixture(t, "gcl-ups-in-transit.json"))
			h.commit("ws", "winkelstraat", model.SourceWebhook, nil, fixture(t, "winkelstraat-document-example.json"))
			list := h.shipments()
			require.Len(t, list, 2)
			byConn := map[string]*model.Shipment{}
			for _, s := range list {
				byConn[s.Connection] = s
			}
			require.Contains(t, byConn, "ws")
			require.Contains(t, byConn, "tracking")

			// A later answer that names no shipment stays with GCL's own.
			h.commit("tracking", "gcl", model.SourcePoll, gclMeta(parcel, 0), fixture(t, "gcl-ups-delivered.json"))
			own, err := h.st.GetShipment(context.Background(), "acme", byConn["tracking"].ID)
			require.NoError(t, err)
			require.Equal(t, map[string]int{"tracking/gcl": 3}, eventSources(own))

			// An answer a carrier rule's tracker commits names the
			// Winkelstraat shipment, and goes there.
			h.commit("tracking", "gcl", model.SourcePoll, gclMeta(parcel, byConn["ws"].ID), fixture(t, "gcl-ups-delivered.json"))
			ws, err := h.st.GetShipment(context.Background(), "acme", byConn["ws"].ID)
			require.NoError(t, err)
			require.Equal(t, map[string]int{"ws/winkelstraat": 1, "tracking/gcl": 3}, eventSources(ws))
			require.Equal(t, model.StatusDelivered, ws.Status)
			require.Len(t, h.shipments(), 2, "no third shipment")
		})
	}
}
