package wicssim

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A burst of 1,000 concurrent requests at one instant: the first 150 are
// served, the rest refused, and the counters see all of them.
func TestABurstIsCountedPerSlidingMinute(t *testing.T) {
	t.Parallel()
	s, _, a, _ := manualServer(t, nil)
	var served, refused atomic.Int64
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 100 {
				switch a.do("GET", "/api/login", nil).Status {
				case 200:
					served.Add(1)
				case 429:
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 150, served.Load())
	require.EqualValues(t, 850, refused.Load())
	st := s.Limits(keyA)
	require.Equal(t, 1000, st.MaxPerMinute)
	require.Equal(t, 150, st.MaxServedPerMinute)
	require.Equal(t, 3, st.Level, "ignoring the block escalated it to the last level")
	require.Len(t, st.Blocks, 3)
}

// Orders created at once by two logins all reach shipped on a compressed
// clock, and every subscription gets every Shipment exactly once.
func TestConcurrentOrdersAllShip(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	s, base := startServer(t, func(c *ServerConfig) { c.Speed = 60000; c.ProgressStep = time.Minute })
	a, b := api{t, base, keyA, secretA}, api{t, base, keyB, secretB}
	subscribe(t, a, "SHIPMENT", h.URL+"/a")
	subscribe(t, b, "SHIPMENT", h.URL+"/b")
	var wg sync.WaitGroup
	for i := range 40 {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Go(func() {
			require.Equal(t, 201, c.do("POST", "/api/order", orderJSON(fmt.Sprintf("C-%d", i))).Status)
		})
	}
	wg.Wait()
	refs := s.SeedOrders(10, "SEED")
	require.Equal(t, "SEED-10", refs[9])
	waitFor(t, 20*time.Second, "every shipment at both logins", func() bool {
		return len(h.at("/a")) == 50 && len(h.at("/b")) == 50
	})
	require.True(t, s.WaitDelivered(5*time.Second))
	seen := map[string]int{}
	for _, p := range h.at("/a") {
		var sh Shipment
		require.NoError(t, json.Unmarshal(p.body, &sh))
		seen[sh.OrderReference]++
	}
	require.Len(t, seen, 50)
	for ref, n := range seen {
		require.Equal(t, 1, n, ref)
	}
	require.Equal(t, 50, s.Orders())
}

func TestAdvanceAll(t *testing.T) {
	t.Parallel()
	s, base := startServer(t, nil)
	a := api{t, base, keyA, secretA}
	s.SeedOrders(3, "ALL")
	require.Equal(t, 201, a.do("POST", "/api/announcement", fixture(t, "requests/announcement-create.json")).Status)
	steps := 0
	for s.AdvanceAll() > 0 {
		steps++
		require.Less(t, steps, 20)
	}
	for _, ref := range []string{"ALL-1", "ALL-2", "ALL-3"} {
		st, _ := s.OrderStatus(ref)
		require.Equal(t, "70", st)
	}
	st, _ := s.AnnouncementStatus("PO150002")
	require.Equal(t, "60", st)
}

func TestEmittedKeepsTheNewest(t *testing.T) {
	t.Parallel()
	s, _ := startServer(t, func(c *ServerConfig) { c.KeepEmitted = 10 })
	s.SeedOrders(10, "K") // each sends an order status, a line status and a stock
	em := s.Emitted()
	require.LessOrEqual(t, len(em), 10)
	require.NotEmpty(t, em)
	require.Equal(t, "K-10", em[len(em)-2].Key, "the newest: K-10's line status, then its item's stock")
}

func TestAllLimits(t *testing.T) {
	t.Parallel()
	s, _, a, b := manualServer(t, nil)
	a.do("GET", "/api/login", nil)
	b.do("GET", "/api/login", nil)
	b.do("GET", "/api/login", nil)
	all := s.AllLimits()
	require.Len(t, all, 2)
	require.EqualValues(t, 1, all[keyA].Requests)
	require.EqualValues(t, 2, all[keyB].Requests)
	s.ResetLimits()
	require.Empty(t, s.AllLimits())
}

func TestWarehouseHooksSendTheirWebhooks(t *testing.T) {
	t.Parallel()
	s, _ := startServer(t, nil)
	phys0, sal0, _, _ := s.StockLevel("PEN001")
	require.True(t, s.AdjustStock("PEN001", -2))
	require.False(t, s.AdjustStock("NOPE", 1))
	phys, sal, _, _ := s.StockLevel("PEN001")
	require.Equal(t, []int{phys0 - 2, sal0 - 2}, []int{phys, sal})
	em := s.Emitted()
	require.Equal(t, []string{TopicStockMutation, TopicStock}, []string{em[0].Topic, em[1].Topic})
	var m StockMutation
	require.NoError(t, json.Unmarshal(em[0].Body, &m))
	require.Equal(t, -2, m.Quantity)
	require.Equal(t, 10, m.ReasonCode)

	refs := s.SeedOrders(1, "RET")
	require.False(t, s.ReturnOrder(refs[0]), "not shipped yet")
	for !s.AdvanceOrder(refs[0]) {
	}
	require.True(t, s.ReturnOrder(refs[0]))
	em = s.Emitted()
	last := em[len(em)-1]
	require.Equal(t, TopicRMA, last.Topic)
	var rma RMA
	require.NoError(t, json.Unmarshal(last.Body, &rma))
	require.Equal(t, "RET-1", rma.OrderReference)
	require.Equal(t, "Ja", rma.Lines[0].Questions[0].Answer)
}
