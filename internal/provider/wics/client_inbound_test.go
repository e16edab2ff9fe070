package wics

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The announcement examples: list (lines 507-524), get (553-578), create
// (611-632), update (665-698).
func TestAnnouncementCallsReadTheDocumentsExamples(t *testing.T) {
	t.Parallel()
	srv := newDocServer(t, map[string]http.HandlerFunc{
		"GET /api/announcement":         answer(http.StatusOK, docExample(t, "list_announcements.json")),
		"GET /api/announcement/2453":    answer(http.StatusOK, docExample(t, "get_announcement.json")),
		"POST /api/announcement":        answer(http.StatusCreated, []byte(`{"code":201,"message":"Announcement created","success":true,"data":["2455"]}`)),
		"PUT /api/announcement/2455":    answer(http.StatusOK, docExample(t, "update_announcement.json")),
		"DELETE /api/announcement/2455": answer(http.StatusOK, []byte(`{"code":200,"message":"2455 deleted succesfully","success":true,"data":null}`)),
	})
	c := srv.client()
	ctx := context.Background()

	list, err := c.ListAnnouncements(ctx, Filter{}.Where("plannedDate", OpGte, "2022-08-01"))
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "2454", list[0].Number)
	require.Equal(t, "PO150001", list[0].Reference)
	require.Equal(t, "2022-08-15", list[0].PlannedDate.Date)
	require.Equal(t, "005", list[0].Type)
	require.Equal(t, "WHS", list[0].WarehouseCode)
	require.EqualValues(t, 31, list[0].StockStatus)
	require.Contains(t, srv.seen()[0].Query, "plannedDate%5Bgte%5D=2022-08-01")

	one, err := c.GetAnnouncement(ctx, "2453")
	require.NoError(t, err)
	require.Equal(t, "2022-08-14", one.PlannedDate.Date)
	require.Equal(t, []AnnouncementLine{{LineNumber: 1, ItemCode: "16080", ItemDescription: "Jack Kabel 16080", Unit: "ST",
		QuantityExpected: 30, LotNumber: "6851993", BestBeforeDate: Time{Date: "2024-02-14"}}}, one.Lines)

	for _, tc := range []struct {
		name    string
		fixture string
		call    func(AnnouncementRequest) error
	}{
		{"CreateSendsTheDocumentsBody", "create_announcement_request.json", func(r AnnouncementRequest) error {
			id, err := c.CreateAnnouncement(ctx, r)
			require.Equal(t, "2455", id)
			return err
		}},
		{"UpdateSendsTheDocumentsBody", "update_announcement_request.json", func(r AnnouncementRequest) error {
			return c.UpdateAnnouncement(ctx, "2455", r)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := docExample(t, tc.fixture)
			var r AnnouncementRequest
			require.NoError(t, json.Unmarshal(doc, &r))
			require.NoError(t, tc.call(r))
			reqs := srv.seen()
			require.JSONEq(t, string(doc), string(reqs[len(reqs)-1].Body))
		})
	}
	require.NoError(t, c.DeleteAnnouncement(ctx, "2455"))
}

// The receipt examples: list (745-766), get (791-826), serial numbers
// (867-923).
func TestReceiptCallsReadTheDocumentsExamples(t *testing.T) {
	t.Parallel()
	srv := newDocServer(t, map[string]http.HandlerFunc{
		"GET /api/receipt":                   answer(http.StatusOK, docExample(t, "list_receipts.json")),
		"GET /api/receipt/1625":              answer(http.StatusOK, docExample(t, "get_receipt.json")),
		"GET /api/receipt/1625/serialnumber": answer(http.StatusOK, docExample(t, "receipt_serialnumbers.json")),
	})
	c := srv.client()
	ctx := context.Background()

	list, err := c.ListReceipts(ctx, Filter{}.Where("receiptDate", OpGte, "2022-04-18"))
	require.NoError(t, err)
	require.Len(t, list, 1)
	r := list[0]
	require.Equal(t, []string{"1564", "PO15001", "2022-08-16", "WHS", "60", "Opgeslagen", "005"},
		[]string{r.Number, r.Reference, r.ReceiptDate.Date, r.Warehouse, r.StatusCode, r.StatusDescription, r.TypeCode})
	require.Contains(t, strings.Split(srv.seen()[0].Query, "&"), "receiptDate%5Bgte%5D=2022-04-18")

	one, err := c.GetReceipt(ctx, "1625")
	require.NoError(t, err)
	require.Equal(t, "200116 - 1", one.Reference)
	require.Len(t, one.Lines, 1)
	require.Equal(t, "WTI-030", one.Lines[0].ItemCode)
	require.EqualValues(t, 10, one.Lines[0].QuantityReceived)
	require.Equal(t, "WICS2881", one.Lines[0].EANSSCC)

	sn, err := c.ReceiptSerialNumbers(ctx, "1625")
	require.NoError(t, err)
	require.Len(t, sn, 2)
	require.Equal(t, LineSerialNumbers{ItemCode: "190140", Description: "DIN Kabel", LineNumber: 1,
		SerialNumbers: []string{"TB001", "TB002", "TB003", "TB004", "TB005"}}, sn[0])
	require.Len(t, sn[1].SerialNumbers, 7)
}

// The stock examples: serial numbers by EANSSCC (2299-2321), list
// (2340-2380), get (2416-2442), detail (2476-2499), item detail
// (2530-2569).
func TestStockCallsReadTheDocumentsExamples(t *testing.T) {
	t.Parallel()
	list := docExample(t, "list_stock.json")
	fixed := []byte(strings.Replace(string(list), `"customerNumber": 14
            "warehouses"`, `"customerNumber": 14,
            "warehouses"`, 1))
	require.NotEqual(t, list, fixed, "the document's missing comma is where the test expects it")
	srv := newDocServer(t, map[string]http.HandlerFunc{
		"GET /api/stock":                       answer(http.StatusOK, fixed),
		"GET /api/stock/16080":                 answer(http.StatusOK, docExample(t, "get_stock.json")),
		"GET /api/stock/detail":                answer(http.StatusOK, docExample(t, "list_stock_detail.json")),
		"GET /api/stock/16082/detail":          answer(http.StatusOK, docExample(t, "get_stock_detail.json")),
		"GET /api/stock/WICS0541/serialnumber": answer(http.StatusOK, docExample(t, "stock_serialnumbers.json")),
	})
	c := srv.client()
	ctx := context.Background()

	t.Run("ListAsPrintedIsRefused", func(t *testing.T) {
		bad := newDocServer(t, map[string]http.HandlerFunc{"GET /api/stock": answer(http.StatusOK, list)})
		_, err := bad.client().ListStock(ctx, Filter{})
		require.ErrorContains(t, err, "decoding wics GET /stock answer")
	})
	items, err := c.ListStock(ctx, Filter{}.Where("nettoSalable", OpGte, "1000"))
	require.NoError(t, err)
	require.Len(t, items, 2)
	require.Equal(t, "PEN001", items[0].ItemCode)
	require.Equal(t, []StockWarehouse{{WarehouseCode: "WXS", Physical: 10, NettoSalable: 10, Announced: 2},
		{WarehouseCode: "WHS", Physical: 25, NettoSalable: 23, Announced: 3}}, items[0].Warehouses)
	require.EqualValues(t, 141, items[1].NettoSalable)

	one, err := c.GetStock(ctx, "16080")
	require.NoError(t, err)
	require.EqualValues(t, 40565, one.Physical)
	require.Len(t, one.Warehouses, 2)

	details, err := c.ListStockDetails(ctx, Filter{})
	require.NoError(t, err)
	require.Equal(t, []StockDetail{{ItemCode: "16082", ItemDescription: "Jack Kabel 1m", CustomerNr: 14, WarehouseCode: "WHS",
		Location: "AA02D4", StockStatusCode: "02", StockStatusDescription: "In picking/batchpicking", BestBefore: Time{Date: "2024-11-11"},
		LotNumber: "654321", QuantitySKU: 1, SKUCode: "ST", QuantityHU: 1, HUCode: "ST", EANSSCC: "WICS0541"}}, details)

	itemDetails, err := c.ItemStockDetails(ctx, "16082")
	require.NoError(t, err)
	require.Len(t, itemDetails, 2)
	require.True(t, itemDetails[1].BestBefore.IsZero())
	require.EqualValues(t, 10, itemDetails[1].QuantitySKU)

	sn, err := c.StockSerialNumbers(ctx, "WICS0541")
	require.NoError(t, err)
	require.Equal(t, []LineSerialNumbers{{ItemCode: "190130", Description: "XLR Kabel",
		SerialNumbers: []string{"TB01AA", "TB02AA", "TB03AA", "TB04AA", "TB05AA", "TB06AA", "TB07AA"}}}, sn)
}

// Every fixture the tests strip still holds the document's text: the
// placeholder is the only thing removed.
func TestDocExamplesLoseOnlyTheirPlaceholders(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"list_announcements.json", "list_receipts.json", "list_stock_detail.json", "get_stock_detail.json", "list_orders.json"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "api", name))
			require.NoError(t, err)
			require.Contains(t, string(raw), "...")
			clean := docExample(t, name)
			require.True(t, json.Valid(clean), "%s", clean)
			require.NotContains(t, string(clean), "...")
		})
	}
}

func TestListsWalkEveryPage(t *testing.T) {
	t.Parallel()
	var pages []string
	srv := newDocServer(t, map[string]http.HandlerFunc{
		"GET /api/receipt": func(w http.ResponseWriter, r *http.Request) {
			page := r.URL.Query().Get("page")
			pages = append(pages, page)
			var data []map[string]any
			if page == "1" || page == "2" {
				data = []map[string]any{{"number": page + "a"}, {"number": page + "b"}}
			} else if page == "3" {
				data = []map[string]any{{"number": "3a"}}
			}
			answer(http.StatusOK, envelopeOf(t, "List of receipts", data))(w, r)
		},
	})
	c := srv.client()
	c.PageSize = 2
	got, err := c.ListReceipts(context.Background(), Filter{})
	require.NoError(t, err)
	require.Len(t, got, 5)
	require.Equal(t, []string{"1", "2", "3"}, pages, "the short third page is the last")
}
