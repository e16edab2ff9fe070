package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// orderFixture is acme's orders 1..7 (odd ones of connection wics, even
// ones of ants; 3 shipped; 4 with provider reference ORD-1 and two
// shipments) and globex's order 8, whose reference is ORD-1 too.
func orderFixture() *fakeStore {
	f := fixture()
	for id := int64(1); id <= 7; id++ {
		conn, status := "wics", model.OrderProcessing
		if id%2 == 0 {
			conn = "ants"
		}
		if id == 3 {
			status = model.OrderShipped
		}
		f.orders = append(f.orders, &model.Order{
			Resource: model.Resource{ID: id, Workspace: "acme", Connection: conn, Provider: conn,
				ProviderRef: fmt.Sprintf("P%03d", id), CreatedAt: t0, UpdatedAt: t0.Add(time.Duration(id) * time.Minute)},
			Reference: fmt.Sprintf("WT-%d", id), Status: status,
			ProviderStatus: &model.ProviderStatus{Code: "40", Description: "In behandeling"},
		})
	}
	o := f.orders[3]
	o.ProviderRef, o.ShipmentIDs = "ORD-1", []int64{5, 7}
	o.Lines = []model.OrderLine{{LineNumber: 1, SKU: "CS1001", Quantity: 2, QuantityShipped: 1, Status: model.OrderPartiallyShipped,
		ProviderStatus: &model.ProviderStatus{Code: "60"}}}
	o.DeliveryAddress = &model.Address{FirstName: "Ada", Street: "Meir", HouseNumber: "1", Postcode: "2000", City: "Antwerpen", Country: "BE"}
	o.ShippingMethod, o.Note = "PostNL", "ring twice"
	f.orders = append(f.orders, &model.Order{
		Resource:  model.Resource{ID: 8, Workspace: "globex", Connection: "wics", Provider: "wics", CreatedAt: t0, UpdatedAt: t0},
		Reference: "ORD-1", Status: model.OrderAccepted,
	})
	return f
}

type orderPage struct {
	Data []struct {
		ID          int64            `json:"id"`
		Workspace   string           `json:"workspace"`
		Status      string           `json:"status"`
		Lines       []map[string]any `json:"lines"`
		ShipmentIDs []int64          `json:"shipment_ids"`
	} `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func (p orderPage) ids() []int64 {
	out := make([]int64, len(p.Data))
	for i, o := range p.Data {
		out[i] = o.ID
	}
	return out
}

func TestListOrders(t *testing.T) {
	t.Parallel()
	st := orderFixture()
	h := newHandler(t, st, nil)
	cases := []struct {
		query string
		want  []int64
	}{
		{"", []int64{7, 6, 5, 4, 3, 2, 1}},
		{"?reference=WT-2", []int64{2}},
		{"?reference=ORD-1", []int64{4}},
		{"?status=shipped", []int64{3}},
		{"?connection=ants", []int64{6, 4, 2}},
		{"?connection=ants&status=processing&limit=2", []int64{6, 4}},
		{"?reference=none", []int64{}},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			t.Parallel()
			r := get(t, h, "/api/v1/orders"+c.query, acmeKey)
			require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
			page := decode[orderPage](t, r)
			require.Equal(t, c.want, page.ids())
			require.NotNil(t, page.NextCursor, "next_cursor is always present")
			for _, o := range page.Data {
				require.Equal(t, "acme", o.Workspace)
				require.NotNil(t, o.Lines, "lines is a list, never null")
				require.NotNil(t, o.ShipmentIDs, "shipment_ids is a list, never null")
			}
		})
	}
}

func TestListOrdersWalksEveryOrderOnceAndPassesTheFilter(t *testing.T) {
	t.Parallel()
	st := orderFixture()
	h := newHandler(t, st, nil)
	var seen []int64
	path := "/api/v1/orders?limit=3"
	for range 10 {
		page := decode[orderPage](t, get(t, h, path, acmeKey))
		seen = append(seen, page.ids()...)
		if *page.NextCursor == "" {
			break
		}
		path = "/api/v1/orders?limit=3&cursor=" + *page.NextCursor
	}
	require.Equal(t, []int64{7, 6, 5, 4, 3, 2, 1}, seen)

	get(t, h, "/api/v1/orders?reference=ORD-1&status=processing&connection=ants&limit=5", acmeKey)
	require.Equal(t, store.OrderFilter{Workspace: "acme", Reference: "ORD-1", Status: model.OrderProcessing, Connection: "ants", Limit: 6},
		st.lastOrderFilter, "one more than the page, to know whether another follows")
}

func TestGetOrder(t *testing.T) {
	t.Parallel()
	h := newHandler(t, orderFixture(), nil)
	r := get(t, h, "/api/v1/orders/4", acmeKey)
	require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
	golden := filepath.Join("testdata", "order.golden.json")
	if *update {
		var pretty bytes.Buffer
		require.NoError(t, json.Indent(&pretty, r.body, "", "  "))
		require.NoError(t, os.WriteFile(golden, append(pretty.Bytes(), '\n'), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(r.body))

	empty := decode[map[string]any](t, get(t, h, "/api/v1/orders/1", acmeKey))
	require.Equal(t, []any{}, empty["lines"])
	require.Equal(t, []any{}, empty["shipment_ids"])
	require.NotContains(t, empty, "fact_times", "the fields' times are not part of the API")
}

func TestOrderRequestsThatCannotBeAnsweredAreProblems(t *testing.T) {
	t.Parallel()
	st := orderFixture()
	h := newHandler(t, st, nil)
	cases := []struct {
		path     string
		key      string
		status   int
		location string
	}{
		{"/api/v1/orders/8", acmeKey, http.StatusNotFound, ""},
		{"/api/v1/orders/99", acmeKey, http.StatusNotFound, ""},
		{"/api/v1/orders/0", acmeKey, http.StatusBadRequest, "path.id"},
		{"/api/v1/orders/x", acmeKey, http.StatusBadRequest, ""},
		{"/api/v1/orders?status=lost", acmeKey, http.StatusBadRequest, "query.status"},
		{"/api/v1/orders?cursor=nope", acmeKey, http.StatusBadRequest, "query.cursor"},
		{"/api/v1/orders?limit=201", acmeKey, http.StatusBadRequest, "query.limit"},
		{"/api/v1/orders", "", http.StatusUnauthorized, ""},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			t.Parallel()
			p := requireProblem(t, get(t, h, c.path, c.key), c.status)
			if c.location != "" {
				require.NotEmpty(t, p.Errors)
				require.Equal(t, c.location, p.Errors[0].Location)
			}
		})
	}

	leaky := orderFixture()
	leaky.leak = true
	lh := newHandler(t, leaky, nil)
	requireProblem(t, get(t, lh, "/api/v1/orders/8", acmeKey), http.StatusNotFound)
	require.Equal(t, []int64{4}, decode[orderPage](t, get(t, lh, "/api/v1/orders?reference=ORD-1", acmeKey)).ids(),
		"a store that leaks another workspace's orders still shows only the key's own")

	failing := orderFixture()
	failing.err = errors.New("disk on fire")
	fh := newHandler(t, failing, nil)
	for _, path := range []string{"/api/v1/orders", "/api/v1/orders/4"} {
		r := get(t, fh, path, acmeKey)
		p := requireProblem(t, r, http.StatusServiceUnavailable)
		require.NotContains(t, p.Detail, "disk on fire")
	}
}

// TestTheOrderStatusesOfTheDocumentAreTheModels requires the status enum of
// GET /orders, written in a struct tag, to be the model's order statuses.
func TestTheOrderStatusesOfTheDocumentAreTheModels(t *testing.T) {
	t.Parallel()
	h := newHandler(t, orderFixture(), nil)
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string `json:"name"`
				Schema struct {
					Enum []string `json:"enum"`
				} `json:"schema"`
			} `json:"parameters"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(get(t, h, "/api/v1/openapi.json", "").body, &doc))
	want := make([]string, len(model.OrderStatuses))
	for i, s := range model.OrderStatuses {
		want[i] = string(s)
	}
	var found bool
	for _, p := range doc.Paths["/orders"]["get"].Parameters {
		if p.Name == "status" {
			found = true
			require.Equal(t, want, p.Schema.Enum)
		}
	}
	require.True(t, found, "GET /orders has a status filter")
	require.Equal(t, want, doc.Components.Schemas["Order"].Properties["status"].Enum)
	require.Equal(t, want, doc.Components.Schemas["OrderLine"].Properties["status"].Enum)
}
