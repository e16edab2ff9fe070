package wicssim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestItems(t *testing.T) {
	t.Parallel()
	s, base := startServer(t, nil)
	a := api{t, base, keyA, secretA}

	created := a.do("POST", "/api/item", fixture(t, "requests/item-create.json"))
	require.Equal(t, 201, created.Status)
	require.Equal(t, "null", string(created.Data))
	item := a.do("GET", "/api/item/starterset-01", nil)
	require.Equal(t, 200, item.Status)
	got := item.object(t)
	require.Equal(t, "School startset", got["description"])
	require.Equal(t, 3.75, got["weight"], `"weight": "3.75" is read as the number it is`)
	require.Equal(t, "Found itemcode for EAN 8710405785", a.do("GET", "/api/item/ean-item/8710405785", nil).Message, "a unit's barcode is an EAN")
	require.Equal(t, `"1398854674"`, string(a.do("GET", "/api/item/item-ean/starterset-01", nil).Data))
	_, _, _, found := s.StockLevel("starterset-01")
	require.True(t, found, "a new item has a stock record")

	t.Run("TheListShowsTheDocumentsFields", func(t *testing.T) {
		rows := a.do("GET", "/api/item?code=starterset-01", nil).list(t)
		require.Equal(t, []map[string]any{{"code": "starterset-01", "internalDescription": "School startset",
			"description": "School startset", "itemGroup": "DIV", "defaultUnit": "ST", "assembled": false, "statusCode": "30"}}, rows)
	})
	t.Run("AnUpdateChangesOnlyWhatItGives", func(t *testing.T) {
		require.Equal(t, 200, a.do("PUT", "/api/item/starterset-01", fixture(t, "requests/item-update.json")).Status)
		got := a.do("GET", "/api/item/starterset-01", nil).object(t)
		require.Equal(t, 10.0, got["statusCode"])
		require.Equal(t, 1.0, got["weight"])
		require.Equal(t, "School startset", got["description"])
		require.Equal(t, 404, a.do("PUT", "/api/item/NOPE", `{"weight": 1}`).Status)
	})
	for _, tc := range []struct{ name, path, body, message string }{
		{"ACodeTwice", "/api/item", `{"code": "16082", "internalDescription": "x"}`, "Item with code 16082 already exists."},
		{"NoCode", "/api/item", `{"internalDescription": "x"}`, "The code field is required."},
		{"ALongInternalDescription", "/api/item", `{"code": "L", "internalDescription": "` + strings.Repeat("x", 41) + `"}`, "may not be greater than 40 characters"},
		{"AWeightThatIsNoNumber", "/api/item", `{"code": "W", "internalDescription": "x", "weight": "heavy"}`, "weight"},
		{"AnUnknownTraceability", "/api/item", `{"code": "T", "internalDescription": "x", "traceability": "rfid"}`, "lot, serialnumber or none"},
		{"AListWithOneBadItemCreatesNone", "/api/item/list", `[{"code": "OK-1", "internalDescription": "x"}, {"code": "OK-1", "internalDescription": "y"}]`, "Item with code OK-1 already exists."},
		{"AnEmptyList", "/api/item/list", `[]`, "The list of items is empty."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ans := a.do("POST", tc.path, tc.body)
			require.Equal(t, 422, ans.Status, "answer %s", ans.Raw)
			require.Contains(t, ans.Message, tc.message)
		})
	}
	require.False(t, s.HasItem("OK-1"), "nothing of a refused list is created")
	require.Equal(t, 404, a.do("GET", "/api/item/ean-item/0000", nil).Status)
	require.Equal(t, 404, a.do("GET", "/api/item/item-ean/NOPE", nil).Status)
	require.Equal(t, 404, a.do("GET", "/api/item/NOPE", nil).Status)
}

func TestAnAnnouncementIsReceivedIntoStock(t *testing.T) {
	t.Parallel()
	s, base := startServer(t, nil)
	a := api{t, base, keyA, secretA}
	phys0, sal0, ann0, _ := s.StockLevel("16082")
	nr := a.do("POST", "/api/announcement", fixture(t, "requests/announcement-create.json")).id(t)
	_, _, ann, _ := s.StockLevel("16082")
	require.Equal(t, ann0+1, ann, "announcing raises the announced stock")

	got := a.do("GET", "/api/announcement/PO150002", nil)
	require.Equal(t, "Announcement PO150002", got.Message)
	o := got.object(t)
	require.Equal(t, nr, o["number"])
	require.Equal(t, "WHS", o["warehouseCode"], `the example's "warehouse" is the warehouse code`)
	require.Equal(t, "2024-02-14", o["lines"].([]any)[0].(map[string]any)["bestBeforeDate"])

	// An update before it is received: ten instead of one.
	require.Equal(t, 200, a.do("PUT", "/api/announcement/"+nr, fixture(t, "requests/announcement-update.json")).Status)
	_, _, ann, _ = s.StockLevel("16082")
	require.Equal(t, ann0+10, ann)
	require.Equal(t, "PO150003", a.do("GET", "/api/announcement/"+nr, nil).object(t)["reference"])

	for !s.AdvanceAnnouncement(nr) {
	}
	st, _ := s.AnnouncementStatus(nr)
	require.Equal(t, "60", st)
	phys, sal, ann, _ := s.StockLevel("16082")
	require.Equal(t, []int{phys0 + 10, sal0 + 10, ann0}, []int{phys, sal, ann})
	receipts := a.do("GET", "/api/receipt?reference=PO150003", nil).list(t)
	require.Len(t, receipts, 1)
	rc := a.do("GET", "/api/receipt/"+receipts[0]["number"].(string), nil).object(t)
	line := rc["lines"].([]any)[0].(map[string]any)
	require.EqualValues(t, 10, line["quantityReceived"])
	require.Equal(t, "6851994", line["lotNumber"])

	var seen []string
	for _, e := range s.Emitted() {
		if e.Key == "PO150002" || e.Key == "PO150003" {
			seen = append(seen, e.Topic)
		}
	}
	require.Equal(t, []string{TopicAnnouncementStatus, TopicAnnouncementStatus, TopicReceipt, TopicAnnouncementStatus}, seen)
	late := a.do("DELETE", "/api/announcement/"+nr, nil)
	require.Equal(t, 422, late.Status)
	require.Equal(t, 422, a.do("PUT", "/api/announcement/"+nr, `{"door": "D9"}`).Status)
}

func TestADeletedAnnouncementIsGone(t *testing.T) {
	t.Parallel()
	s, base := startServer(t, nil)
	a := api{t, base, keyA, secretA}
	_, _, ann0, _ := s.StockLevel("16082")
	nr := a.do("POST", "/api/announcement", fixture(t, "requests/announcement-create.json")).id(t)
	del := a.do("DELETE", "/api/announcement/"+nr, nil)
	require.Equal(t, 200, del.Status)
	require.Equal(t, 404, a.do("GET", "/api/announcement/"+nr, nil).Status)
	require.Equal(t, "List of 0 announcements", a.do("GET", "/api/announcement", nil).Message)
	_, _, ann, _ := s.StockLevel("16082")
	require.Equal(t, ann0, ann)
	require.True(t, s.AdvanceAnnouncement(nr) == false, "a deleted announcement is not found")
}

func TestInvalidAnnouncementsAreRefused(t *testing.T) {
	t.Parallel()
	s, base := startServer(t, nil)
	a := api{t, base, keyA, secretA}
	doc := string(fixture(t, "requests/announcement-create.json"))
	for _, tc := range []struct{ name, body, field string }{
		{"AnUnknownItem", strings.Replace(doc, `"16082"`, `"NOPE"`, 1), "lines.0.itemCode"},
		{"NoPlannedDate", strings.Replace(doc, `"plannedDate": "2022-08-12",`, ``, 1), "plannedDate"},
		{"APlannedDateNotYYYYMMDD", strings.Replace(doc, `"2022-08-12"`, `"12-08-2022"`, 1), "plannedDate"},
		{"NoSupplier", strings.Replace(doc, `"supplier": 86,`, ``, 1), "supplier"},
		{"NoStockStatus", strings.Replace(doc, `"stockStatus": 31,`, ``, 1), "stockStatus"},
		{"NoLotNumberKey", strings.Replace(doc, `"lotNumber": "6851993",`, ``, 1), "lines.0.lotNumber"},
		{"NoQuantity", strings.Replace(doc, `"quantityExpected": 1,`, ``, 1), "lines.0.quantityExpected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ans := a.do("POST", "/api/announcement", tc.body)
			require.Equal(t, 422, ans.Status, "answer %s", ans.Raw)
			require.Contains(t, string(ans.Data), `"`+tc.field+`"`)
		})
	}
	require.Equal(t, 201, a.do("POST", "/api/announcement", strings.Replace(strings.Replace(doc, `"6851993"`, `""`, 1), `"2024-02-14"`, `null`, 1)).Status,
		"an empty lot number and a null best-before date are given")
	require.Len(t, s.Emitted(), 2, "only the accepted one sent anything: its status and its stock")
}
