package wicssim

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// trailingComma matches a comma before a closing brace or bracket, the
// Receipt example's quirk.
var trailingComma = regexp.MustCompile(`,(\s*[}\]])`)

// parseExample decodes a document example, forgiving its trailing comma.
func parseExample(t *testing.T, topic string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(trailingComma.ReplaceAll(documentExample(t, topic), []byte("$1")), &m))
	return m
}

// sameShape checks that got has exactly the keys of the example want, with
// the example's JSON types where the example is not null, and the same
// shape in every element of the example's arrays of objects. metaFields may
// be "" (as in the examples) or an object (as the Metafields chapter shows).
func sameShape(t *testing.T, path string, want, got map[string]any) {
	t.Helper()
	require.Equal(t, slices.Sorted(maps.Keys(want)), slices.Sorted(maps.Keys(got)), "keys of %s", path)
	for k, wv := range want {
		gv := got[k]
		p := path + "." + k
		switch wv := wv.(type) {
		case nil:
		case []any:
			ga, ok := gv.([]any)
			require.True(t, ok, "%s is an array, got %T", p, gv)
			require.NotEmpty(t, ga, p)
			if we, ok := wv[0].(map[string]any); ok {
				for i, e := range ga {
					ge, ok := e.(map[string]any)
					require.True(t, ok, "%s[%d] is an object", p, i)
					sameShape(t, fmt.Sprintf("%s[%d]", p, i), we, ge)
				}
			}
		default:
			if k == "metaFields" {
				if _, ok := gv.(map[string]any); ok {
					continue
				}
			}
			if gv == nil {
				continue // the examples show null for other fields of the same kind
			}
			require.IsType(t, wv, gv, "%s has the example's type", p)
		}
	}
}

// A generated message of every topic has the document example's keys and
// types.
func TestGeneratedPayloadsHaveTheExamplesShape(t *testing.T) {
	t.Parallel()
	cfg := testConfig("http://unused")
	cfg.Orders = 20
	cfg.SkipExamples = true
	seen := map[string]int{}
	for _, m := range expectedStream(cfg) {
		var got map[string]any
		require.NoError(t, json.Unmarshal(m.Body, &got), "%s: %s", m.Topic, m.Body)
		sameShape(t, m.Topic, parseExample(t, m.Topic), got)
		seen[m.Topic]++
	}
	for _, topic := range Topics() {
		require.Positive(t, seen[topic], topic)
	}
}

// The generated stream keeps the document's two registrationDate forms and
// writes its URLs with a plain &.
func TestGeneratedDates(t *testing.T) {
	t.Parallel()
	cfg := testConfig("http://unused")
	cfg.Orders = 20
	cfg.SkipExamples = true
	forms := map[string]int{}
	for _, m := range expectedStream(cfg) {
		switch m.Topic {
		case TopicStockMutation:
			var sm StockMutation
			require.NoError(t, json.Unmarshal(m.Body, &sm))
			if _, err := time.Parse(layoutDateTimeSpace, sm.RegistrationDate); err == nil {
				forms["space"]++
				continue
			}
			_, err := time.Parse(layoutDateTime, sm.RegistrationDate)
			require.NoError(t, err, sm.RegistrationDate)
			forms["plain"]++
		case TopicShipment:
			var sh Shipment
			require.NoError(t, json.Unmarshal(m.Body, &sh))
			_, err := time.Parse(layoutDateTime, sh.DeliveryDate)
			require.NoError(t, err)
			require.NotContains(t, string(m.Body), `\u0026`)
			require.Contains(t, sh.TrackAndTraceURL, "&")
		}
	}
	require.Positive(t, forms["space"])
	require.Positive(t, forms["plain"])
}

func TestTheSameSeedGivesTheSameStream(t *testing.T) {
	t.Parallel()
	cfg := testConfig("http://unused")
	a, b := expectedStream(cfg), expectedStream(cfg)
	require.Equal(t, a, b)
	cfg.Seed++
	c := expectedStream(cfg)
	require.NotEqual(t, a[len(a)-1], c[len(c)-1])
}

// history replays a received stream and checks it is one consistent
// warehouse.
type history struct {
	t *testing.T
	// orders by reference: the header statuses in arrival order.
	orderStatus map[string][]OrderStatus
	// order line and pickslip line statuses by reference and line number.
	lineStatus     map[string]map[int][]LineStatus
	pickslipStatus map[string]map[int][]LineStatus
	shipments      map[string]Shipment
	// shippedItems sums delivered quantities by item.
	shippedItems map[string]int
	// picks sums the (positive) picked quantities by item.
	picks map[string]int
	// physical is each item's physical stock: its last stock message plus
	// the mutations since.
	physical      map[string]int
	announcements map[string][]AnnouncementStatus
	receipts      int
	rmas          int
}

func replay(t *testing.T, msgs []request) *history {
	t.Helper()
	h := &history{
		t: t, orderStatus: map[string][]OrderStatus{}, lineStatus: map[string]map[int][]LineStatus{},
		pickslipStatus: map[string]map[int][]LineStatus{}, shipments: map[string]Shipment{},
		shippedItems: map[string]int{}, picks: map[string]int{}, physical: map[string]int{},
		announcements: map[string][]AnnouncementStatus{},
	}
	seen := map[string]bool{}
	for i, r := range msgs {
		where := fmt.Sprintf("message %d (%s %s)", i, r.topic, r.body)
		// A request the receiver answered too late for the simulator (a
		// loaded machine) is sent again, as WICS retries: the same topic
		// and body twice is one message of the world, not a second change.
		key := r.topic + "\x00" + string(r.body)
		if seen[key] {
			continue
		}
		seen[key] = true
		switch r.topic {
		case TopicOrderStatus:
			var m OrderStatus
			require.NoError(t, json.Unmarshal(r.body, &m), where)
			h.orderStatusChange(where, m)
		case TopicOrderLineStatus, TopicPickslipLineStatus:
			var m LineStatuses
			require.NoError(t, json.Unmarshal(r.body, &m), where)
			h.lineStatusChange(where, r.topic, m)
		case TopicShipment:
			var m Shipment
			require.NoError(t, json.Unmarshal(r.body, &m), where)
			h.shipment(where, m)
		case TopicStock:
			var m Stock
			require.NoError(t, json.Unmarshal(r.body, &m), where)
			require.GreaterOrEqual(t, m.Physical, 0, where)
			require.GreaterOrEqual(t, m.NettoSalable, 0, where)
			require.GreaterOrEqual(t, m.Announced, 0, where)
			require.LessOrEqual(t, m.NettoSalable, m.Physical, "%s: reserved stock is physical stock", where)
			if p, ok := h.physical[m.ItemCode]; ok {
				require.Equal(t, p, m.Physical, "%s: physical stock moves only by mutations", where)
			}
			h.physical[m.ItemCode] = m.Physical
		case TopicStockMutation:
			var m StockMutation
			require.NoError(t, json.Unmarshal(r.body, &m), where)
			p, ok := h.physical[m.ItemCode]
			require.True(t, ok, "%s: a mutation of an item whose stock was sent", where)
			require.NotZero(t, m.Quantity, where)
			h.physical[m.ItemCode] = p + m.Quantity
			if m.ReasonCode == reasonPick.code {
				require.Negative(t, m.Quantity, where)
				h.picks[m.ItemCode] -= m.Quantity
			}
		case TopicAnnouncementStatus:
			var m AnnouncementStatus
			require.NoError(t, json.Unmarshal(r.body, &m), where)
			prev := h.announcements[m.Reference]
			if len(prev) == 0 {
				require.Equal(t, announcementCreated.code, m.StatusCode, where)
				require.Empty(t, m.OldStatusCode, where)
			} else {
				last := prev[len(prev)-1]
				require.Greater(t, m.StatusCode, last.StatusCode, where)
				require.Equal(t, last.StatusCode, m.OldStatusCode, where)
				require.Equal(t, last.StatusDescription, m.OldStatusDescription, where)
				require.Equal(t, last.AnnouncementNr, m.AnnouncementNr, where)
			}
			h.announcements[m.Reference] = append(prev, m)
		case TopicReceipt:
			var m Receipt
			require.NoError(t, json.Unmarshal(r.body, &m), where)
			st := h.announcements[m.Reference]
			require.NotEmpty(t, st, "%s: a receipt against an announcement sent before", where)
			require.Equal(t, announcementReceiving.code, st[len(st)-1].StatusCode, "%s: received while the announcement is being received", where)
			require.NotEmpty(t, m.Lines, where)
			for _, l := range m.Lines {
				require.Positive(t, l.QuantityReceived, where)
				require.LessOrEqual(t, l.QuantityReceived, l.QuantityExpected, where)
			}
			h.receipts++
		case TopicRMA:
			var m RMA
			require.NoError(t, json.Unmarshal(r.body, &m), where)
			sh, ok := h.shipments[m.OrderReference]
			require.True(t, ok, "%s: a return of a shipped order", where)
			require.NotEmpty(t, m.Lines, where)
			for _, l := range m.Lines {
				i := slices.IndexFunc(sh.ShippingLines, func(s ShippingLine) bool { return s.OrderLine == l.LineNumber })
				require.GreaterOrEqual(t, i, 0, "%s: line %d was shipped", where, l.LineNumber)
				require.Equal(t, sh.ShippingLines[i].ItemCode, l.ItemCode, where)
				require.Positive(t, l.Quantity, where)
				require.LessOrEqual(t, l.Quantity, sh.ShippingLines[i].QuantityDelivered, where)
				require.NotEmpty(t, l.Questions, where)
				for _, q := range l.Questions {
					require.NotEmpty(t, q.Question, where)
					require.NotEmpty(t, q.Answer, where)
				}
			}
			h.rmas++
		default:
			t.Fatalf("%s: unknown topic", where)
		}
	}
	return h
}

var headerDescriptions = map[string]string{
	"00": "Aangemaakt", "10": "Ingevoerd", "20": "Vrijgegeven", "30": "Bevestigd", "40": "In uitvoering",
	"50": "Gepickt", "60": "Afgehandeld", "70": "Verzonden", "90": "Geannuleerd",
}

func (h *history) orderStatusChange(where string, m OrderStatus) {
	t := h.t
	require.Equal(t, headerDescriptions[m.StatusCode], m.StatusDescription, "%s: the code's description", where)
	_, shipped := h.shipments[m.OrderReference]
	require.False(t, shipped, "%s: no status after the shipment", where)
	prev := h.orderStatus[m.OrderReference]
	if len(prev) == 0 {
		require.Equal(t, "00", m.StatusCode, "%s: an order starts Aangemaakt", where)
		require.Empty(t, m.OldStatusCode, where)
		require.Empty(t, m.OldStatusDescription, where)
	} else {
		last := prev[len(prev)-1]
		require.Greater(t, m.StatusCode, last.StatusCode, "%s: statuses in order", where)
		require.Equal(t, last.StatusCode, m.OldStatusCode, where)
		require.Equal(t, last.StatusDescription, m.OldStatusDescription, where)
		require.Equal(t, last.OrderNr, m.OrderNr, where)
		require.NotEqual(t, "90", last.StatusCode, "%s: nothing after a cancellation", where)
	}
	h.orderStatus[m.OrderReference] = append(prev, m)
}

func (h *history) lineStatusChange(where, topic string, m LineStatuses) {
	t := h.t
	st := h.orderStatus[m.OrderReference]
	require.NotEmpty(t, st, "%s: line statuses of a known order", where)
	require.Equal(t, st[0].OrderNr, m.OrderNr, where)
	require.NotEmpty(t, m.Lines, where)
	all := h.lineStatus
	if topic == TopicPickslipLineStatus {
		all = h.pickslipStatus
		require.Equal(t, "40", st[len(st)-1].StatusCode, "%s: picking while the order is In uitvoering", where)
	}
	if all[m.OrderReference] == nil {
		all[m.OrderReference] = map[int][]LineStatus{}
	}
	for _, l := range m.Lines {
		prev := all[m.OrderReference][l.LineNumber]
		if topic == TopicOrderLineStatus && len(prev) == 0 {
			require.Equal(t, "00", l.StatusCode, where)
		}
		if len(prev) == 0 {
			require.Empty(t, l.OldStatusCode, where)
		} else {
			last := prev[len(prev)-1]
			require.Greater(t, l.StatusCode, last.StatusCode, "%s: line %d statuses in order", where, l.LineNumber)
			require.Equal(t, last.StatusCode, l.OldStatusCode, where)
			require.Equal(t, last.StatusDescription, l.OldStatusDescription, where)
		}
		all[m.OrderReference][l.LineNumber] = append(prev, l)
	}
}

func (h *history) shipment(where string, m Shipment) {
	t := h.t
	st := h.orderStatus[m.OrderReference]
	require.NotEmpty(t, st, "%s: a shipment of a known order", where)
	require.Equal(t, "70", st[len(st)-1].StatusCode, "%s: shipped after the last status", where)
	_, dup := h.shipments[m.OrderReference]
	require.False(t, dup, "%s: one shipment per order", where)
	require.NotEmpty(t, m.TrackAndTrace, where)
	require.Contains(t, m.TrackAndTraceURL, m.TrackAndTrace, where)
	require.NotEmpty(t, m.ShipperName, where)
	require.NotEmpty(t, m.ShipperCode, where)
	lines := h.lineStatus[m.OrderReference]
	require.Len(t, m.ShippingLines, len(lines), "%s: every order line is shipped", where)
	serials := false
	for _, l := range m.ShippingLines {
		require.Contains(t, lines, l.OrderLine, where)
		ls := lines[l.OrderLine]
		require.Equal(t, "60", ls[len(ls)-1].StatusCode, "%s: line %d Afgehandeld", where, l.OrderLine)
		ps := h.pickslipStatus[m.OrderReference][l.OrderLine]
		require.NotEmpty(t, ps, where)
		require.Equal(t, pickDone, code{ps[len(ps)-1].StatusCode, ps[len(ps)-1].StatusDescription}, "%s: line %d picked", where, l.OrderLine)
		require.Positive(t, l.QuantityDelivered, where)
		require.Equal(t, l.QuantityOrdered, l.QuantityDelivered, where)
		if l.OrderLineExternal != nil {
			meta, ok := l.MetaFields.(map[string]any)
			require.True(t, ok, "%s: an external line id comes with metafields", where)
			app := meta["Webshop_app"].(map[string]any)
			ext, err := strconv.ParseFloat(*l.OrderLineExternal, 64)
			require.NoError(t, err)
			require.Equal(t, ext, app["external_line"], where)
		}
		h.shippedItems[l.ItemCode] += l.QuantityDelivered
		serials = serials || l.HasSerialNumbers
	}
	require.Equal(t, serials, m.HasSerialNumbers, where)
	if meta, ok := m.MetaFields.(map[string]any); ok {
		require.Equal(t, m.OrderReference, meta["Webshop_app"].(map[string]any)["orderReference"], where)
	} else {
		require.Equal(t, "", m.MetaFields, where)
	}
	h.shipments[m.OrderReference] = m
}

// The order lives, stock, announcements and returns the simulator sends add
// up, for several seeds.
func TestTheGeneratedWorldIsConsistent(t *testing.T) {
	t.Parallel()
	for _, seed := range []int64{1, 2, 3, 42, 1 << 40} {
		t.Run(strconv.FormatInt(seed, 10), func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, always(http.StatusOK))
			cfg := testConfig(rc.URL)
			cfg.Seed = seed
			cfg.Orders = 30
			s := runSim(t, cfg)

			reqs := rc.seen()
			require.Greater(t, len(reqs), len(Topics()))
			h := replay(t, reqs[len(Topics()):]) // after the examples

			require.Len(t, h.orderStatus, 30)
			require.EqualValues(t, 30, s.Stats().Orders)
			shipped, cancelled := 0, 0
			for ref, st := range h.orderStatus {
				switch last := st[len(st)-1].StatusCode; last {
				case "70":
					shipped++
					require.Contains(t, h.shipments, ref, "a shipped order has its shipment")
				case "90":
					cancelled++
					require.NotContains(t, h.shipments, ref)
					require.NotContains(t, h.pickslipStatus, ref, "only unpicked orders are cancelled")
				default:
					t.Fatalf("order %s ended at status %s", ref, last)
				}
			}
			require.Positive(t, shipped)
			require.Equal(t, len(h.shipments), shipped)
			require.Equal(t, h.shippedItems, h.picks, "stock follows the picks: every shipped unit was picked, once")
			require.NotEmpty(t, h.announcements)
			require.Positive(t, h.receipts)
			require.Positive(t, h.rmas)
			require.Equal(t, 1+(shipped-1)/DefaultReturnEvery, h.rmas, "the first and every fifth shipped order is returned")
			for ref, st := range h.announcements {
				require.Equal(t, announcementStored.code, st[len(st)-1].StatusCode, "announcement %s is stored at the end", ref)
			}
			for _, m := range reqs[len(Topics()):] {
				if m.topic == TopicOrderStatus {
					require.True(t, strings.HasPrefix(string(m.body), `{"orderNr":`), "generated, not an example")
				}
			}
		})
	}
}

// A receipt moves goods from announced to physical stock, and a stored
// announcement leaves nothing announced for its items.
func TestAnnouncedStockFollowsTheReceipts(t *testing.T) {
	t.Parallel()
	cfg := testConfig("http://unused")
	cfg.Orders = 30
	cfg.SkipExamples = true
	announced := map[string]int{}
	var pendingReceipt map[string]int
	for _, m := range expectedStream(cfg) {
		switch m.Topic {
		case TopicReceipt:
			var r Receipt
			require.NoError(t, json.Unmarshal(m.Body, &r))
			pendingReceipt = map[string]int{}
			for _, l := range r.Lines {
				pendingReceipt[l.ItemCode] += l.QuantityReceived
			}
		case TopicStock:
			var s Stock
			require.NoError(t, json.Unmarshal(m.Body, &s))
			if q, ok := pendingReceipt[s.ItemCode]; ok {
				require.Equal(t, announced[s.ItemCode]-q, s.Announced, "%s: received goods are no longer announced", s.ItemCode)
				delete(pendingReceipt, s.ItemCode)
			}
			announced[s.ItemCode] = s.Announced
		}
	}
	for item, a := range announced {
		require.Zero(t, a, "%s: nothing announced once every announcement is stored", item)
	}
}
