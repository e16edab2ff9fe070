package wicssim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// orderJSON is a valid order body with the given reference and lines.
func orderJSON(ref string, lines ...string) string {
	if len(lines) == 0 {
		lines = []string{`{"itemCode": "16082", "quantity": 2}`}
	}
	return `{"reference": "` + ref + `", "deliveryDate": "2026-06-02", "deliveryAddress": ` + testAddress +
		`, "lines": [` + strings.Join(lines, ",") + `]}`
}

func TestInvalidOrdersAreRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, field, message string
		status                     int
	}{
		{name: "AnUnknownItem", body: orderJSON("R", `{"itemCode": "NOPE", "quantity": 1}`),
			field: "lines.0.itemCode", message: "Item NOPE does not exist."},
		{name: "AMissingDeliveryDate", body: strings.Replace(orderJSON("R"), `"deliveryDate": "2026-06-02", `, "", 1),
			field: "deliveryDate", message: "The deliveryDate field is required."},
		{name: "ADeliveryDateNotYYYYMMDD", body: strings.Replace(orderJSON("R"), `2026-06-02`, `02-06-2026`, 1),
			field: "deliveryDate", message: `The deliveryDate "02-06-2026" does not match the format YYYY-MM-DD.`},
		{name: "AStreetNumberAsText", body: strings.Replace(orderJSON("R"), `"streetNumber": 157`, `"streetNumber": "157A"`, 1),
			field: "deliveryAddress.streetNumber", message: "The deliveryAddress.streetNumber field must be of type number."},
		{name: "ADutchAddressWithoutStreetNumber", body: strings.Replace(orderJSON("R"), `"streetNumber": 157, `, ``, 1),
			field: "deliveryAddress.streetNumber", message: "The deliveryAddress.streetNumber field is required."},
		{name: "NoDeliveryAddress", body: `{"deliveryDate": "2026-06-02", "lines": [{"itemCode": "16082", "quantity": 1}]}`,
			field: "deliveryAddress", message: "The deliveryAddress field is required."},
		{name: "NoEmail", body: strings.Replace(orderJSON("R"), `"email": "info@wics.nl"`, `"email": ""`, 1),
			field: "deliveryAddress.email", message: "The deliveryAddress.email field is required."},
		{name: "NoLines", body: strings.Replace(orderJSON("R"), `{"itemCode": "16082", "quantity": 2}`, ``, 1),
			field: "lines", message: "The lines field is required."},
		{name: "AZeroQuantity", body: orderJSON("R", `{"itemCode": "16082", "quantity": 0}`),
			field: "lines.0.quantity", message: "The lines.0.quantity must be at least 1."},
		{name: "AMissingQuantity", body: orderJSON("R", `{"itemCode": "16082"}`),
			field: "lines.0.quantity", message: "The lines.0.quantity field is required."},
		{name: "APriorityOutOfRange", body: strings.Replace(orderJSON("R"), `"reference"`, `"priority": 7, "reference"`, 1),
			field: "priority", message: "The priority must be 1 (high), 2 (medium) or 3 (low)."},
		{name: "NotJSON", body: `{"reference": `, status: 400, message: "The request body is not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, in2xx := range []bool{false, true} {
				s, base := startServer(t, func(c *ServerConfig) { c.ErrorsIn2xx = in2xx })
				ans := api{t, base, keyA, secretA}.do("POST", "/api/order", tc.body)
				want := tc.status
				if want == 0 {
					want = http.StatusUnprocessableEntity
				}
				require.Equal(t, want, ans.Code, "answer %s", ans.Raw)
				if in2xx {
					require.Equal(t, http.StatusOK, ans.Status)
				} else {
					require.Equal(t, want, ans.Status)
				}
				require.False(t, ans.Success)
				require.Contains(t, ans.Message, tc.message)
				if tc.field != "" {
					var fields map[string][]string
					require.NoError(t, json.Unmarshal(ans.Data, &fields), "data %s", ans.Data)
					require.Contains(t, fields, tc.field)
				}
				require.Zero(t, s.Orders(), "a refused order is not created")
				require.Empty(t, s.Emitted(), "a refused order sends nothing")
			}
		})
	}
}

func TestAForeignAddressMayLackAStreetNumber(t *testing.T) {
	t.Parallel()
	_, base := startServer(t, nil)
	body := strings.Replace(strings.Replace(orderJSON("DE-1"), `"streetNumber": 157, `, ``, 1), `"country": "NL"`, `"country": "DE"`, 1)
	ans := api{t, base, keyA, secretA}.do("POST", "/api/order", body)
	require.Equal(t, 201, ans.Status, "answer %s", ans.Raw)
}

func TestOrdersAreFoundByNumberAndByReference(t *testing.T) {
	t.Parallel()
	s, base := startServer(t, nil)
	a := api{t, base, keyA, secretA}
	nr := a.do("POST", "/api/order", orderJSON("SO-77")).id(t)
	for _, id := range []string{nr, "SO-77"} {
		ans := a.do("GET", "/api/order/"+id, nil)
		require.Equal(t, 200, ans.Status)
		o := ans.object(t)
		require.Equal(t, nr, o["number"])
		require.Equal(t, "SO-77", o["reference"])
		require.Equal(t, "Aangemaakt", o["statusCode"], "the document's examples put the description in statusCode")
	}
	require.Equal(t, 404, a.do("GET", "/api/order/NOPE", nil).Status)
	require.Equal(t, 404, a.do("GET", "/api/order/NOPE/shipment", nil).Status)
	require.Equal(t, "List of 0 shipments", a.do("GET", "/api/order/SO-77/shipment", nil).Message)
	require.Equal(t, 1, s.OrderCount("SO-77"))
	require.Zero(t, s.OrderCount("SO-78"))
}

func TestANumericStatusCodeOnRequest(t *testing.T) {
	t.Parallel()
	_, base := startServer(t, func(c *ServerConfig) { c.NumericOrderStatus = true })
	a := api{t, base, keyA, secretA}
	nr := a.do("POST", "/api/order", orderJSON("N-1")).id(t)
	require.Equal(t, "00", a.do("GET", "/api/order/"+nr, nil).object(t)["statusCode"])
}

func TestTheSameReferenceTwiceMakesTwoOrdersUnlessUnique(t *testing.T) {
	t.Parallel()
	for _, unique := range []bool{false, true} {
		t.Run(fmt.Sprint("Unique", unique), func(t *testing.T) {
			t.Parallel()
			s, base := startServer(t, func(c *ServerConfig) { c.UniqueReferences = unique })
			a := api{t, base, keyA, secretA}
			require.Equal(t, 201, a.do("POST", "/api/order", orderJSON("TWICE")).Status)
			second := a.do("POST", "/api/order", orderJSON("TWICE"))
			if unique {
				require.Equal(t, 422, second.Status)
				require.Contains(t, second.Message, "already exists")
				require.Equal(t, 1, s.OrderCount("TWICE"))
			} else {
				require.Equal(t, 201, second.Status)
				require.Equal(t, 2, s.OrderCount("TWICE"))
			}
		})
	}
}

// statuses is the order status webhooks of a reference, as "old>new".
func statuses(s *Server, ref string) []string {
	var out []string
	for _, e := range s.Emitted() {
		if e.Topic != TopicOrderStatus || e.Key != ref {
			continue
		}
		var os OrderStatus
		if json.Unmarshal(e.Body, &os) == nil {
			out = append(out, os.OldStatusCode+">"+os.StatusCode)
		}
	}
	return out
}

func TestAnOrderMovesToShippedWithItsWebhooksAndStock(t *testing.T) {
	t.Parallel()
	s, base := startServer(t, nil)
	a := api{t, base, keyA, secretA}
	phys0, sal0, _, _ := s.StockLevel("16082")
	nr := a.do("POST", "/api/order", orderJSON("LIFE-1", `{"itemCode": "16082", "quantity": 3, "metaFields": {"shiphub": {"line": "l1"}}}`)).id(t)
	_, sal, _, _ := s.StockLevel("16082")
	require.Equal(t, sal0-3, sal, "creating the order reserves its stock")
	steps := 0
	for !s.AdvanceOrder(nr) {
		steps++
		require.Less(t, steps, 20)
	}
	require.Equal(t, []string{">00", "00>10", "10>20", "20>30", "30>40", "40>50", "50>60", "60>70"}, statuses(s, "LIFE-1"))
	phys, sal, _, _ := s.StockLevel("16082")
	require.Equal(t, phys0-3, phys, "the pick takes the goods")
	require.Equal(t, sal0-3, sal)

	var topicsSeen []string
	var shipment Shipment
	for _, e := range s.Emitted() {
		if e.Key == "LIFE-1" && (len(topicsSeen) == 0 || topicsSeen[len(topicsSeen)-1] != e.Topic) {
			topicsSeen = append(topicsSeen, e.Topic)
		}
		if e.Topic == TopicShipment {
			require.NoError(t, json.Unmarshal(e.Body, &shipment))
		}
	}
	require.Contains(t, topicsSeen, TopicOrderLineStatus)
	require.Contains(t, topicsSeen, TopicPickslipLineStatus)
	require.Equal(t, TopicShipment, topicsSeen[len(topicsSeen)-1], "the Shipment comes last")
	require.Equal(t, "LIFE-1", shipment.OrderReference)
	require.Equal(t, "PostNL", shipment.ShipperName)
	require.NotEmpty(t, shipment.TrackAndTrace)
	require.Contains(t, shipment.TrackAndTraceURL, shipment.TrackAndTrace)
	require.Contains(t, shipment.TrackAndTraceURL, "P=4206BK")
	require.Equal(t, "", shipment.MetaFields, "no header metaFields: the document's empty string")
	require.Equal(t, map[string]any{"shiphub": map[string]any{"line": "l1"}}, shipment.ShippingLines[0].MetaFields, "line metaFields come back")
	require.Equal(t, 3, shipment.ShippingLines[0].QuantityDelivered)

	o := a.do("GET", "/api/order/"+nr, nil).object(t)
	require.Equal(t, "Verzonden", o["statusCode"])
	require.EqualValues(t, 3, o["lines"].([]any)[0].(map[string]any)["quantityDelivered"])
	ships := a.do("GET", "/api/order/LIFE-1/shipment", nil)
	require.Equal(t, "List of 1 shipments", ships.Message)
	require.Equal(t, shipment.TrackAndTrace, ships.list(t)[0]["trackAndTrace"])
	require.Equal(t, 422, a.do("DELETE", "/api/order/"+nr, nil).Status, "a shipped order can not be deleted")
}

func TestAnUnpaidOrderWaitsUntilPaid(t *testing.T) {
	t.Parallel()
	s, base := startServer(t, nil)
	a := api{t, base, keyA, secretA}
	nr := a.do("POST", "/api/order", strings.Replace(orderJSON("UNPAID"), `"reference"`, `"paid": false, "reference"`, 1)).id(t)
	for range 5 {
		require.False(t, s.AdvanceOrder(nr))
	}
	st, _ := s.OrderStatus(nr)
	require.Equal(t, "10", st, "an unpaid order is not released")
	require.Equal(t, false, a.do("GET", "/api/order/"+nr, nil).object(t)["paid"])
	paid := a.do("POST", "/api/order/UNPAID/paid", nil)
	require.Equal(t, 200, paid.Status)
	require.Equal(t, "Succesfully set order to paid UNPAID", paid.Message)
	require.False(t, s.AdvanceOrder(nr))
	st, _ = s.OrderStatus(nr)
	require.Equal(t, "20", st)
}

func TestADeletedOrderIsCancelledAndGivesItsStockBack(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		steps int
		want  []string
	}{
		{"BeforeConfirmation", 1, []string{">00", "00>10", "10>90"}},
		{"AfterPickingStarted", 5, []string{">00", "00>10", "10>20", "20>30", "30>40", "40>90"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, base := startServer(t, nil)
			a := api{t, base, keyA, secretA}
			phys0, sal0, _, _ := s.StockLevel("16082")
			nr := a.do("POST", "/api/order", orderJSON("DEL-1")).id(t)
			for range tc.steps {
				require.False(t, s.AdvanceOrder(nr))
			}
			del := a.do("DELETE", "/api/order/"+nr, nil)
			require.Equal(t, 200, del.Status)
			require.Equal(t, nr+" deleted succesfully", del.Message)
			require.Equal(t, "null", string(del.Data))
			require.True(t, s.AdvanceOrder(nr), "a cancelled order goes no further")
			require.Equal(t, tc.want, statuses(s, "DEL-1"))
			phys, sal, _, _ := s.StockLevel("16082")
			require.Equal(t, phys0, phys)
			require.Equal(t, sal0, sal)
			require.Equal(t, "Geannuleerd", a.do("GET", "/api/order/"+nr, nil).object(t)["statusCode"])
			require.Equal(t, 422, a.do("DELETE", "/api/order/"+nr, nil).Status)
			require.Equal(t, 1, s.OrderCount("DEL-1"), "a cancelled order is still there")
		})
	}
}

func TestAnOrderIsUpdatedUntilPickingStarts(t *testing.T) {
	t.Parallel()
	s, base := startServer(t, nil)
	a := api{t, base, keyA, secretA}
	_, sal0, _, _ := s.StockLevel("16084")
	nr := a.do("POST", "/api/order", orderJSON("UPD-1", `{"lineNumber": 1, "itemCode": "16084", "quantity": 1}`)).id(t)
	up := a.do("PUT", "/api/order/"+nr, orderJSON("UPD-1", `{"lineNumber": 1, "itemCode": "16084", "quantity": 4}`))
	require.Equal(t, 200, up.Status, "answer %s", up.Raw)
	require.Equal(t, []any{nr}, decodeAny(t, up.Data))
	_, sal, _, _ := s.StockLevel("16084")
	require.Equal(t, sal0-4, sal, "the reservation follows the update")
	require.EqualValues(t, 4, a.do("GET", "/api/order/"+nr, nil).object(t)["lines"].([]any)[0].(map[string]any)["quantity"])
	require.Equal(t, 422, a.do("PUT", "/api/order/"+nr, orderJSON("UPD-1", `{"itemCode": "NOPE", "quantity": 4}`)).Status)
	for range 4 {
		s.AdvanceOrder(nr)
	}
	late := a.do("PUT", "/api/order/"+nr, orderJSON("UPD-1"))
	require.Equal(t, 422, late.Status)
	require.Contains(t, late.Message, "can no longer be updated")
}

func TestSerialNumbersFollowThePick(t *testing.T) {
	t.Parallel()
	s, base := startServer(t, nil)
	a := api{t, base, keyA, secretA}
	nr := a.do("POST", "/api/order", orderJSON("SER-1", `{"itemCode": "190130", "quantity": 2}`)).id(t)
	require.Equal(t, "List of 0 serial numbers", a.do("GET", "/api/order/"+nr+"/serialnumber", nil).Message)
	for !s.AdvanceOrder(nr) {
	}
	serials := a.do("GET", "/api/order/"+nr+"/serialnumber", nil)
	require.Equal(t, "List of 2 serial numbers", serials.Message)
	rows := serials.list(t)
	require.Equal(t, "190130", rows[0]["itemCode"])
	require.NotEqual(t, rows[0]["serialNumber"], rows[1]["serialNumber"])
	ship := a.do("GET", "/api/order/SER-1/shipment", nil).list(t)[0]
	require.Equal(t, true, ship["hasSerialNumbers"])
	bySh := a.do("GET", fmt.Sprintf("/api/shipment/%v/serialnumber", ship["shipmentNr"]), nil).list(t)
	require.Len(t, bySh, 1)
	require.Equal(t, []any{[]any{rows[0]["serialNumber"]}, []any{rows[1]["serialNumber"]}}, bySh[0]["serialNumbers"])
	require.Equal(t, 404, a.do("GET", "/api/shipment/1/serialnumber", nil).Status)
}

func TestInjectedFaults(t *testing.T) {
	t.Parallel()
	t.Run("A503CarriesNothingOut", func(t *testing.T) {
		t.Parallel()
		s, base := startServer(t, nil)
		a := api{t, base, keyA, secretA}
		s.InjectFault(Fault{Method: "POST", Path: "/api/order", Status: 503})
		ans := a.do("POST", "/api/order", orderJSON("F-1"))
		require.Equal(t, 503, ans.Status)
		require.Equal(t, 503, ans.Code)
		require.False(t, ans.Success)
		require.Zero(t, s.OrderCount("F-1"))
		require.Equal(t, 201, a.do("POST", "/api/order", orderJSON("F-1")).Status, "the fault is used up")
		require.Equal(t, 1, s.OrderCount("F-1"))
	})
	t.Run("ALostAnswerCarriesTheRequestOut", func(t *testing.T) {
		t.Parallel()
		s, base := startServer(t, nil)
		s.InjectFault(Fault{Method: "POST", Path: "/api/order", LoseAnswer: true})
		req, err := http.NewRequest("POST", base+"/api/order", strings.NewReader(orderJSON("F-2")))
		require.NoError(t, err)
		req.SetBasicAuth(keyA, secretA)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		require.Error(t, err, "the client gets no answer")
		require.Equal(t, 1, s.OrderCount("F-2"), "but the order is there")
		a := api{t, base, keyA, secretA}
		list := a.do("GET", "/api/order?reference=F-2", nil)
		require.Len(t, list.list(t), 1, "a connector that looks before re-creating finds it")
	})
	t.Run("ADelayOutlastsAClientsTimeout", func(t *testing.T) {
		t.Parallel()
		s, base := startServer(t, nil)
		s.InjectFault(Fault{Path: "/api/login", Delay: 2 * time.Second})
		req, err := http.NewRequest("GET", base+"/api/login", nil)
		require.NoError(t, err)
		req.SetBasicAuth(keyA, secretA)
		_, err = (&http.Client{Timeout: 50 * time.Millisecond}).Do(req)
		require.Error(t, err)
		require.Equal(t, 200, api{t, base, keyA, secretA}.do("GET", "/api/login", nil).Status, "the delay is used up")
	})
	t.Run("AHeldAnswerTakesEffectFirst", func(t *testing.T) {
		t.Parallel()
		s, base := startServer(t, nil)
		s.InjectFault(Fault{Method: "POST", Path: "/api/order", HoldAnswer: true, Delay: time.Minute})
		req, err := http.NewRequest("POST", base+"/api/order", strings.NewReader(orderJSON("F-3")))
		require.NoError(t, err)
		req.SetBasicAuth(keyA, secretA)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req.WithContext(ctx))
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		deadline := time.Now().Add(5 * time.Second)
		for s.OrderCount("F-3") == 0 {
			require.True(t, time.Now().Before(deadline), "the order is made while its answer is held")
			select {
			case err := <-done:
				t.Fatalf("answered before the hold ended: %v", err)
			case <-time.After(5 * time.Millisecond):
			}
		}
		cancel() // the client goes away, as a killed one does
		require.Error(t, <-done)
		require.Equal(t, 1, s.OrderCount("F-3"))

		s.InjectFault(Fault{Method: "POST", Path: "/api/order", HoldAnswer: true, Delay: 10 * time.Millisecond})
		ans := api{t, base, keyA, secretA}.do("POST", "/api/order", orderJSON("F-4"))
		require.Equal(t, 201, ans.Status, "a short hold answers as usual")
		require.Equal(t, 1, s.OrderCount("F-4"))
	})
	t.Run("AFaultForOneLoginOnly", func(t *testing.T) {
		t.Parallel()
		s, base := startServer(t, nil)
		s.InjectFault(Fault{User: keyB, Status: 500, Times: 2})
		require.Equal(t, 200, api{t, base, keyA, secretA}.do("GET", "/api/login", nil).Status)
		require.Equal(t, 500, api{t, base, keyB, secretB}.do("GET", "/api/login", nil).Status)
		s.ClearFaults()
		require.Equal(t, 200, api{t, base, keyB, secretB}.do("GET", "/api/login", nil).Status)
	})
}

func TestAReferenceWithASlashIsFoundEscaped(t *testing.T) {
	t.Parallel()
	_, base := startServer(t, nil)
	a := api{t, base, keyA, secretA}
	nr := a.do("POST", "/api/order", orderJSON("WT 95/1")).id(t)
	got := a.do("GET", "/api/order/WT%2095%2F1", nil)
	require.Equal(t, 200, got.Status, "answer %s", got.Raw)
	require.Equal(t, nr, got.object(t)["number"])
	require.Equal(t, 200, a.do("POST", "/api/order/WT%2095%2F1/paid", nil).Status)
	require.Len(t, a.do("GET", "/api/order?reference=WT%2095%2F1", nil).list(t), 1)
}
