package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store/open"
)

// The provider documents' own examples, verbatim.
const (
	courierGETExample   = "order=ASS123456789&barcode=ABC123&container=MSKU123&status=PROCESSING&statustime=20230717094743&statuscode=take&statusNL=Mee+met+koerier&statusEN=Taken+by+courier&statusFR=En+route+avec+courier&referentie="
	courierPOSTExample  = `{"order":"ASK132456798", "barcode":"", "container":"", "status":"PROCESSING", "statustime":"20230719110649", "statuscode":"take", "statusNL":"Mee met koerier", "statusEN":"Taken by courier", "statusFR":"En route avec courier", "referentie":"anc/20221588", "comment":"TAKE on: 2023-07-19 Time: 10:33:04 Scan by PRISCILLA RAES GSM: +32 494508051 Status: MK Mee Kaai GPS: lat 51.234535 - lon 4.410024", "oldlead":"", "newlead":"", "verifier":"", "signatures":[], "pictures":[]}`
	winkelstraatExample = `{"items":[{"mpn":"3G1MXE1MXVZF982","qty":2,"sku":"wsnl199-5c9de5ad4681ed3eb551e7ee","size":"L","parent_sku":"381189","manufacturer":"Emporio Armani","row_total_inc_tax":540,"item_price_inc_tax":270}],"track":{"method":null,"carrier":"ups","tracking_url":"https://wwwapps.ups.com/WebTracking/processInputRequest?loc=nl_NL&tracknum=1Z7E3V556825150AAP","tracking_number":"1Z7E3V556825150AAP"},"status":"IN_TRANSIT","currency":"EUR","po_number":"YOUR_ORDER_REFERENCE","created_at":"2024-02-20 15:28:51","updated_at":"2024-02-20 15:31:54","collected_at":"2024-02-23 21:20:39","delivered_at":null,"increment_id":"000000288","origin_address":{"city":"Vianen","email":"info@winkelstraat.nl","street":"De Limiet","postcode":"4131NR","telephone":"+55512345679","country_id":"NL","region_code":null,"company_name":"Winkelstraat.nl","house_number":"19"},"shipping_address":{"city":"Zonnewijk","email":"jan.jansen@gwinkelstraat.nl","street":"Edsger Dijkstraat","postcode":"9012DE","last_name":"Jansen","telephone":"+31621510775","country_id":"NL","first_name":"Jan","region_code":null,"company_name":null,"house_number":"12"},"order_increment_id":"000000549"}`
)

var (
	courierHeader = map[string]string{"X-API-KEY": courierKey}
	courierJSON   = map[string]string{"X-API-KEY": courierKey, "Content-Type": "application/json"}
)

type tracking struct {
	Reference string           `json:"reference"`
	Shipments []model.Shipment `json:"shipments"`
}

type shipmentList struct {
	Data       []model.Shipment `json:"data"`
	NextCursor string           `json:"next_cursor"`
}

// trackOne waits until a reference resolves to exactly one shipment with at
// least minEvents events, and returns it.
func trackOne(t *testing.T, h *hub, reference string, minEvents int) model.Shipment {
	t.Helper()
	var got tracking
	eventually(t, 10*time.Second, "tracking "+reference, func() bool {
		got = tracking{}
		return apiGet(t, h, acmeKey, "/api/v1/tracking/"+url.PathEscape(reference), &got) == http.StatusOK &&
			len(got.Shipments) == 1 && len(got.Shipments[0].Events) >= minEvents
	})
	return got.Shipments[0]
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := startHub(t, writeConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db")))

	t.Run("CourierGETExampleBecomesAnEvent", func(t *testing.T) {
		status, body := do(t, http.MethodGet, h.URL+"/hooks/acme/courier?"+courierGETExample, courierHeader, "")
		require.Equal(t, http.StatusOK, status, "%s", body)
		require.JSONEq(t, `{"status":"accepted","id":1}`, string(body))

		s := trackOne(t, h, "MSKU123", 1) // the container finds it, as do order and barcode
		require.Equal(t, "ASS123456789", s.ProviderRef)
		require.Equal(t, model.StatusInTransit, s.Status)
		require.Len(t, s.Events, 1)
		e := s.Events[0]
		require.Equal(t, "take", e.ProviderCode)
		require.Equal(t, "PROCESSING", e.ProviderGroup)
		require.Equal(t, "Mee met koerier", e.Labels["nl"])
		require.Equal(t, "Taken by courier", e.Labels["en"])
		require.Equal(t, model.SourceWebhook, e.Source)
		// 09:47:43 in Brussels in July is 07:47:43 UTC.
		require.Equal(t, time.Date(2023, 7, 17, 7, 47, 43, 0, time.UTC), e.OccurredAt.UTC())
		require.Equal(t, s.ID, trackOne(t, h, "ABC123", 1).ID)
		require.Equal(t, s.ID, trackOne(t, h, "ASS123456789", 1).ID)
	})

	t.Run("CourierPOSTExampleKeepsScanAndGPS", func(t *testing.T) {
		status, body := do(t, http.MethodPost, h.URL+"/hooks/acme/courier", courierJSON, courierPOSTExample)
		require.Equal(t, http.StatusOK, status, "%s", body)
		s := trackOne(t, h, "anc/20221588", 1)
		require.Equal(t, "ASK132456798", s.ProviderRef)
		e := s.Events[0]
		require.NotNil(t, e.Location)
		require.InDelta(t, 51.234535, *e.Location.Lat, 1e-9)
		require.InDelta(t, 4.410024, *e.Location.Lon, 1e-9)
		require.NotNil(t, e.Scan)
		require.Equal(t, "PRISCILLA RAES", e.Scan.By)
		require.Equal(t, time.Date(2023, 7, 19, 9, 6, 49, 0, time.UTC), e.OccurredAt.UTC())
	})

	t.Run("ARetryIsAcknowledgedNotApplied", func(t *testing.T) {
		status, body := do(t, http.MethodPost, h.URL+"/hooks/acme/courier", courierJSON, courierPOSTExample)
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, string(body), `"duplicate"`)
		// The same update through the GET channel is the same event too.
		q := "order=ASK132456798&status=PROCESSING&statustime=20230719110649&statuscode=take"
		status, _ = do(t, http.MethodGet, h.URL+"/hooks/acme/courier?"+q, courierHeader, "")
		require.Equal(t, http.StatusOK, status)
		s := trackOne(t, h, "ASK132456798", 1)
		require.Len(t, s.Events, 1)
	})

	t.Run("LateOlderEventDoesNotOverturnDelivered", func(t *testing.T) {
		delivered := `{"order":"ASK132456798","status":"DELIVERED","statustime":"20230719150000","statuscode":"DELIVERED"}`
		older := `{"order":"ASK132456798","status":"PROCESSING","statustime":"20230718095503","statuscode":"PICKUP_PLANNED"}`
		for _, b := range []string{delivered, older} {
			status, body := do(t, http.MethodPost, h.URL+"/hooks/acme/courier", courierJSON, b)
			require.Equal(t, http.StatusOK, status, "%s", body)
		}
		s := trackOne(t, h, "ASK132456798", 3)
		require.Equal(t, model.StatusDelivered, s.Status)
		codes := []string{}
		for _, e := range s.Events {
			codes = append(codes, e.ProviderCode)
		}
		require.Equal(t, []string{"PICKUP_PLANNED", "take", "DELIVERED"}, codes, "events are in time order")
		// Labels missing from the message come from the table.
		require.Equal(t, "Geleverd", s.Events[2].Labels["nl"])
	})

	t.Run("UnknownCodeIsKeptAndCounted", func(t *testing.T) {
		b := `{"order":"ASK000000777","status":"PROCESSING","statustime":"20230720080000","statuscode":"TELEPORTED"}`
		status, _ := do(t, http.MethodPost, h.URL+"/hooks/acme/courier", courierJSON, b)
		require.Equal(t, http.StatusOK, status)
		s := trackOne(t, h, "ASK000000777", 1)
		require.Equal(t, model.StatusInTransit, s.Status, "no row maps the code; its group PROCESSING does")
		require.Equal(t, "TELEPORTED", s.Events[0].ProviderCode)
		status, metrics := do(t, http.MethodGet, h.URL+"/metrics", nil, "")
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, string(metrics), `shiphub_unknown_status_total{provider="courier",provider_code="TELEPORTED"} 1`)
	})

	t.Run("WinkelstraatExampleBecomesAShipment", func(t *testing.T) {
		status, body := do(t, http.MethodPost, h.URL+"/hooks/acme/ws",
			map[string]string{"x-api-key": wsKey, "x-version": "1", "Content-Type": "application/json"}, winkelstraatExample)
		require.Equal(t, http.StatusOK, status, "%s", body)
		s := trackOne(t, h, "1Z7E3V556825150AAP", 1)
		require.Equal(t, "winkelstraat", s.Provider)
		require.Equal(t, "000000288", s.ProviderRef)
		require.Equal(t, model.StatusInTransit, s.Status)
		require.Equal(t, "ups", s.Carrier)
		require.Equal(t, "YOUR_ORDER_REFERENCE", s.PONumber)
		require.Len(t, s.Items, 1)
		require.Equal(t, "Emporio Armani", s.Items[0].Manufacturer)
		require.NotNil(t, s.ShippingAddress)
		require.Equal(t, "Zonnewijk", s.ShippingAddress.City)
		require.NotNil(t, s.CollectedAt)
		require.Equal(t, s.ID, trackOne(t, h, "YOUR_ORDER_REFERENCE", 1).ID)
	})

	t.Run("FiltersAndPagination", func(t *testing.T) {
		var list shipmentList
		require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, "/api/v1/shipments?status=delivered", &list))
		require.Len(t, list.Data, 1)
		require.Equal(t, "ASK132456798", list.Data[0].ProviderRef)
		require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, "/api/v1/shipments?connection=ws", &list))
		require.Len(t, list.Data, 1)
		require.Equal(t, "winkelstraat", list.Data[0].Provider)

		seen := map[int64]bool{}
		cursor := ""
		for page := 0; ; page++ {
			require.Less(t, page, 10)
			list = shipmentList{}
			require.Equal(t, http.StatusOK, apiGet(t, h, acmeKey, "/api/v1/shipments?limit=1&cursor="+cursor, &list))
			for _, s := range list.Data {
				require.False(t, seen[s.ID], "shipment %d listed twice", s.ID)
				seen[s.ID] = true
			}
			if list.NextCursor == "" {
				break
			}
			cursor = list.NextCursor
		}
		require.Len(t, seen, 4)
	})

	t.Run("AnotherWorkspaceSeesNothing", func(t *testing.T) {
		var list shipmentList
		require.Equal(t, http.StatusOK, apiGet(t, h, otherKey, "/api/v1/shipments", &list))
		require.Empty(t, list.Data)
		s := trackOne(t, h, "ASK132456798", 1)
		require.Equal(t, http.StatusNotFound, apiGet(t, h, otherKey, fmt.Sprintf("/api/v1/shipments/%d", s.ID), nil))
		require.Equal(t, http.StatusNotFound, apiGet(t, h, otherKey, "/api/v1/tracking/ASK132456798", nil))
		require.Equal(t, http.StatusUnauthorized, apiGet(t, h, "wrong-key-wrong-key", "/api/v1/shipments", nil))
	})

	t.Run("OperationalEndpoints", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"} {
			status, body := do(t, http.MethodGet, h.URL+path, nil, "")
			require.Equal(t, http.StatusOK, status, "%s: %s", path, body)
		}
	})
}

// TestBadInputChangesNothing sends every kind of bad request and then checks
// that the inbox is empty.
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	database := "sqlite:" + filepath.Join(dir, "hub.db")
	h := startHub(t, writeConfig(t, dir, database))
	big := `{"order":"ASK1","statuscode":"take","statustime":"20230719110649","comment":"` + strings.Repeat("x", 1<<20) + `"}`
	tests := []struct {
		name   string
		method string
		path   string
		header map[string]string
		body   string
		want   int
	}{
		{"MalformedJSONIs400", http.MethodPost, "/hooks/acme/courier", courierJSON, `{"order":`, http.StatusBadRequest},
		{"MissingStatustimeIs400", http.MethodGet, "/hooks/acme/courier?order=ASK1&statuscode=take", courierHeader, "", http.StatusBadRequest},
		{"MalformedStatustimeIs400", http.MethodGet, "/hooks/acme/courier?order=ASK1&statuscode=take&statustime=2023-07-19", courierHeader, "", http.StatusBadRequest},
		{"WrongCourierKeyIs401", http.MethodPost, "/hooks/acme/courier", map[string]string{"X-API-KEY": "nope"}, courierPOSTExample, http.StatusUnauthorized},
		{"MissingCourierKeyIs401", http.MethodPost, "/hooks/acme/courier", nil, courierPOSTExample, http.StatusUnauthorized},
		{"WrongWinkelstraatKeyIs401", http.MethodPost, "/hooks/acme/ws", map[string]string{"x-api-key": "nope"}, winkelstraatExample, http.StatusUnauthorized},
		{"WinkelstraatWithoutIncrementIDIs400", http.MethodPost, "/hooks/acme/ws", map[string]string{"x-api-key": wsKey}, `{"status":"IN_TRANSIT"}`, http.StatusBadRequest},
		{"UnknownWorkspaceIs404", http.MethodPost, "/hooks/nobody/courier", courierJSON, courierPOSTExample, http.StatusNotFound},
		{"UnknownConnectionIs404", http.MethodPost, "/hooks/acme/nothing", courierJSON, courierPOSTExample, http.StatusNotFound},
		{"BodyOverOneMiBIs413", http.MethodPost, "/hooks/acme/courier", courierJSON, big, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, tt.method, h.URL+tt.path, tt.header, tt.body)
			require.Equal(t, tt.want, status, "%s", body)
			var p struct {
				Title  string `json:"title"`
				Status int    `json:"status"`
				Detail string `json:"detail"`
			}
			require.NoError(t, json.Unmarshal(body, &p), "problem JSON expected: %s", body)
			require.Equal(t, tt.want, p.Status)
			require.NotEmpty(t, p.Title)
		})
	}
	status, _ := do(t, http.MethodGet, h.URL+"/healthz", nil, "")
	require.Equal(t, http.StatusOK, status, "the hub stays up")
	h.kill(t)

	st, err := open.Open(context.Background(), database)
	require.NoError(t, err)
	defer st.Close()
	stats, err := st.InboxStats(context.Background())
	require.NoError(t, err)
	require.Zero(t, stats.Total, "bad input must store nothing")
}
