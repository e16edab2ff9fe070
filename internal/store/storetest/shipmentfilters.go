package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// shipmentFilterCases are the dashboard's shipment filters (provider and
// update time) and the order a shipment page links to.
var shipmentFilterCases = []conformanceCase{
	{"ShipmentsFilterByProviderAndUpdateTimeWithTheOtherFilters", testShipmentFilters},
	{"AShipmentsOrderIsTheOneItsLinkNamesWithinTheWorkspace", testOrderForShipment},
}

func testShipmentFilters(t *testing.T, s store.Store) {
	day := func(n int) time.Time { return base.Add(time.Duration(n) * 24 * time.Hour) }
	s1 := shipment("acme", "courier", "F-1", "SHARED")
	s1.Status, s1.UpdatedAt = model.StatusInTransit, day(0)
	s2 := shipment("acme", "gcl", "F-2", "SHARED")
	s2.Provider, s2.Status, s2.UpdatedAt = "gcl", model.StatusDelivered, day(1)
	s3 := shipment("acme", "courier2", "F-3")
	s3.Status, s3.UpdatedAt = model.StatusDelivered, day(2)
	s4 := shipment("acme", "gcl", "F-4")
	s4.Provider, s4.Status, s4.UpdatedAt = "gcl", model.StatusInTransit, day(3)
	s5 := shipment("globex", "gcl", "F-5", "SHARED")
	s5.Provider, s5.Status, s5.UpdatedAt = "gcl", model.StatusDelivered, day(1)
	// s6 comes last but was updated first: in update order it is last.
	s6 := shipment("acme", "courier", "F-6")
	s6.UpdatedAt = day(0).Add(-time.Hour)
	// s7 and s8 were updated at the same instant: then the id decides.
	s7 := shipment("initech", "courier", "F-7")
	s7.UpdatedAt = day(5)
	s8 := shipment("initech", "courier", "F-8")
	s8.UpdatedAt = day(5)
	insertShipments(t, s, s1, s2, s3, s4, s5, s6, s7, s8)

	cases := []struct {
		name   string
		filter store.ShipmentFilter
		want   []*model.Shipment
	}{
		{"a provider selects its shipments of every connection", store.ShipmentFilter{Workspace: "acme", Provider: "courier"}, []*model.Shipment{s6, s3, s1}},
		{"another provider selects its own", store.ShipmentFilter{Workspace: "acme", Provider: "gcl"}, []*model.Shipment{s4, s2}},
		{"a provider without shipments selects none", store.ShipmentFilter{Workspace: "acme", Provider: "wics"}, []*model.Shipment{}},
		{"provider and status combine", store.ShipmentFilter{Workspace: "acme", Provider: "gcl", Status: model.StatusDelivered}, []*model.Shipment{s2}},
		{"connection and status combine", store.ShipmentFilter{Workspace: "acme", Connection: "courier2", Status: model.StatusDelivered}, []*model.Shipment{s3}},
		{"a connection of another provider selects none", store.ShipmentFilter{Workspace: "acme", Connection: "courier", Provider: "gcl"}, []*model.Shipment{}},
		{"updated from is inclusive", store.ShipmentFilter{Workspace: "acme", UpdatedFrom: day(2)}, []*model.Shipment{s4, s3}},
		{"updated to is exclusive, and a range lists by update", store.ShipmentFilter{Workspace: "acme", UpdatedTo: day(1)}, []*model.Shipment{s1, s6}},
		{"a range continues after the last shipment's update", store.ShipmentFilter{Workspace: "acme", UpdatedTo: day(9), BeforeUpdatedAt: s1.UpdatedAt, BeforeID: s1.ID}, []*model.Shipment{s6}},
		{"a range continues within one instant by id", store.ShipmentFilter{Workspace: "initech", UpdatedFrom: day(5), BeforeUpdatedAt: day(5), BeforeID: s8.ID}, []*model.Shipment{s7}},
		{"one instant lists by id", store.ShipmentFilter{Workspace: "initech", UpdatedFrom: day(5)}, []*model.Shipment{s8, s7}},
		{"a range of updates", store.ShipmentFilter{Workspace: "acme", UpdatedFrom: day(1), UpdatedTo: day(3)}, []*model.Shipment{s3, s2}},
		{"a range with a provider and a status", store.ShipmentFilter{Workspace: "acme", Provider: "gcl", Status: model.StatusInTransit, UpdatedFrom: day(1)}, []*model.Shipment{s4}},
		{"a range with a reference", store.ShipmentFilter{Workspace: "acme", Reference: "SHARED", UpdatedFrom: day(1)}, []*model.Shipment{s2}},
		{"a range with paging", store.ShipmentFilter{Workspace: "acme", UpdatedFrom: day(1), BeforeUpdatedAt: s4.UpdatedAt, BeforeID: s4.ID, Limit: 1}, []*model.Shipment{s3}},
		{"a range with a reference lists by update", store.ShipmentFilter{Workspace: "acme", Reference: "SHARED", UpdatedTo: day(9)}, []*model.Shipment{s2, s1}},
		{"a range without shipments", store.ShipmentFilter{Workspace: "acme", UpdatedFrom: day(9)}, []*model.Shipment{}},
		{"another workspace's shipments are never selected", store.ShipmentFilter{Workspace: "globex", Provider: "gcl", UpdatedFrom: day(1)}, []*model.Shipment{s5}},
	}
	for _, c := range cases {
		got, err := s.ListShipments(ctx(t), c.filter)
		require.NoError(t, err, c.name)
		require.Equal(t, shipmentIDs(c.want), shipmentIDs(got), c.name)
	}
}

func testOrderForShipment(t *testing.T, s store.Store) {
	own := shipment("acme", "wics", "OS-1")
	foreign := shipment("acme", "carrier", "OS-2")
	elsewhere := shipment("globex", "wics", "OS-3")
	orphan := shipment("acme", "wics", "OS-4")
	unlinked := shipment("acme", "wics", "OS-5")
	insertShipments(t, s, own, foreign, elsewhere, orphan, unlinked)
	first := order("acme", "shop", "R-1")
	mine := order("acme", "wics", "R-1")
	theirs := order("globex", "wics", "R-1")
	insertOrders(t, s, first, mine, theirs)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		require.NoError(t, tx.LinkShipment(ctx, "acme", "wics", own.ID, "R-1"))
		require.NoError(t, tx.LinkShipment(ctx, "acme", "carrier", foreign.ID, "R-1"))
		require.NoError(t, tx.LinkShipment(ctx, "globex", "wics", elsewhere.ID, "R-1"))
		require.NoError(t, tx.LinkShipment(ctx, "acme", "wics", orphan.ID, "R-404"))
		return nil
	})

	cases := []struct {
		name      string
		workspace string
		shipment  int64
		want      *model.Order
	}{
		{"the order of the shipment's own connection", "acme", own.ID, mine},
		{"a connection without the order gets the workspace's first", "acme", foreign.ID, first},
		{"another workspace's shipment has its own order", "globex", elsewhere.ID, theirs},
		{"another workspace cannot read a shipment's order", "globex", own.ID, nil},
		{"a shipment naming a missing order has none", "acme", orphan.ID, nil},
		{"a shipment naming no order has none", "acme", unlinked.ID, nil},
		{"a missing shipment has none", "acme", 1 << 40, nil},
	}
	for _, c := range cases {
		got, err := s.OrderForShipment(ctx(t), c.workspace, c.shipment)
		if c.want == nil {
			require.True(t, errors.Is(err, store.ErrNotFound), "%s: %v", c.name, err)
			continue
		}
		require.NoError(t, err, c.name)
		require.Equal(t, c.want.ID, got.ID, c.name)
		require.Contains(t, got.ShipmentIDs, c.shipment, c.name)
	}
}

// BenchmarkShipmentFilters measures the dashboard's shipment list: one
// page (51 rows) of every filter combination, on a workspace of n
// shipments spread over five connections of four providers, twelve
// statuses (most delivered, few exceptions) and 180 days of updates.
// settle, when not nil, runs after the shipments are stored (PostgreSQL:
// ANALYZE, as the hub's statistics keeper does).
func BenchmarkShipmentFilters(b *testing.B, s store.Store, n int, settle func()) {
	c := context.Background()
	conns := []struct{ id, provider string }{{"courier", "courier"}, {"courier2", "courier"}, {"gcl", "gcl"}, {"wics", "wics"}, {"aa", "activeants"}}
	// status by i%100: 70 delivered, 15 in transit, 5 out for delivery, 3
	// failed attempts, 2 exceptions, 5 pending.
	status := func(i int) model.Status {
		switch r := i % 100; {
		case r < 70:
			return model.StatusDelivered
		case r < 85:
			return model.StatusInTransit
		case r < 90:
			return model.StatusOutForDelivery
		case r < 93:
			return model.StatusFailedAttempt
		case r < 95:
			return model.StatusException
		default:
			return model.StatusPending
		}
	}
	start := base.Add(-180 * 24 * time.Hour)
	const batch = 1000
	for from := 0; from < n; from += batch {
		if _, _, err := s.AppendInbox(c, message("setup", "setup", fmt.Sprintf("bench-filters-%d-%d", benchRun.Add(1), from))); err != nil {
			b.Fatal(err)
		}
		_, err := s.ProcessInbox(c, 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
			for i := from; i < min(from+batch, n); i++ {
				cn := conns[(i/7)%len(conns)]
				sh := shipment("acme", cn.id, fmt.Sprintf("B-%07d", i), fmt.Sprintf("BC-%07d", i))
				sh.Provider, sh.Status = cn.provider, status(i)
				// Updates follow creation, with some shipments updated much later.
				sh.UpdatedAt = start.Add(time.Duration(i) * 180 * 24 * time.Hour / time.Duration(n))
				if i%10 == 0 {
					sh.UpdatedAt = sh.UpdatedAt.Add(time.Duration(i%30) * 24 * time.Hour)
				}
				if err := tx.InsertShipment(ctx, sh); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if settle != nil {
		settle()
	}
	day := func(d int) time.Time { return start.Add(time.Duration(d) * 24 * time.Hour) }
	last, err := s.ListShipments(c, store.ShipmentFilter{Workspace: "acme", Limit: 1})
	if err != nil || len(last) != 1 {
		b.Fatalf("%v, %v", last, err)
	}
	cases := []struct {
		name string
		f    store.ShipmentFilter
	}{
		{"none", store.ShipmentFilter{}},
		{"status_common", store.ShipmentFilter{Status: model.StatusDelivered}},
		{"status_rare", store.ShipmentFilter{Status: model.StatusException}},
		{"status_absent", store.ShipmentFilter{Status: model.StatusExpired}},
		{"provider", store.ShipmentFilter{Provider: "gcl"}},
		{"provider_absent", store.ShipmentFilter{Provider: "winkelstraat"}},
		{"connection", store.ShipmentFilter{Connection: "wics"}},
		{"provider_status_rare", store.ShipmentFilter{Provider: "courier", Status: model.StatusException}},
		{"connection_status_rare", store.ShipmentFilter{Connection: "aa", Status: model.StatusException}},
		{"connection_provider_status", store.ShipmentFilter{Connection: "aa", Provider: "activeants", Status: model.StatusFailedAttempt}},
		{"updated_recent_day", store.ShipmentFilter{UpdatedFrom: day(179)}},
		{"updated_old_day", store.ShipmentFilter{UpdatedFrom: day(20), UpdatedTo: day(21)}},
		{"updated_wide", store.ShipmentFilter{UpdatedFrom: day(0), UpdatedTo: day(200)}},
		{"updated_before_old", store.ShipmentFilter{UpdatedTo: day(10)}},
		{"updated_old_status_rare", store.ShipmentFilter{UpdatedFrom: day(20), UpdatedTo: day(27), Status: model.StatusException}},
		{"updated_old_provider", store.ShipmentFilter{UpdatedFrom: day(20), UpdatedTo: day(27), Provider: "gcl"}},
		{"updated_wide_connection_status", store.ShipmentFilter{UpdatedFrom: day(0), Connection: "gcl", Status: model.StatusPending}},
		{"reference", store.ShipmentFilter{Reference: "BC-0012345"}},
		{"reference_status", store.ShipmentFilter{Reference: "BC-0012345", Status: model.StatusDelivered}},
		{"deep_page", store.ShipmentFilter{BeforeID: last[0].ID - int64(n)/2}},
		{"deep_page_status_rare", store.ShipmentFilter{BeforeID: last[0].ID - int64(n)/2, Status: model.StatusException}},
	}
	for _, bc := range cases {
		f := bc.f
		f.Workspace, f.Limit = "acme", 51
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.ListShipments(c, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
