package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

const (
	acmeKey   = "acme-key-0123456789"
	globexKey = "globex-key-9876543210"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// fixture is two workspaces' data: acme has shipments 1..12 (one without
// events, one with a barcode), globex has 13..15, and both have a shipment
// with order reference ORD-1, to prove that neither sees the other's.
func fixture() *fakeStore {
	f := &fakeStore{}
	statuses := []model.Status{model.StatusInTransit, model.StatusDelivered, model.StatusException}
	for id := int64(1); id <= 12; id++ {
		conn := "courier"
		if id%2 == 0 {
			conn = "ws"
		}
		s := &model.Shipment{
			ID: id, Workspace: "acme", Connection: conn, Provider: conn,
			ProviderRef:    fmt.Sprintf("A%03d", id),
			References:     []model.Reference{{Kind: model.RefOrder, Value: fmt.Sprintf("ACME-%d", id)}},
			StatusPosition: model.StatusPosition{Status: statuses[id%3], At: t0.Add(time.Duration(id) * time.Hour)},
			CreatedAt:      t0, UpdatedAt: t0,
			Events: []model.Event{{
				ID: id * 10, Status: statuses[id%3], ProviderCode: "C" + fmt.Sprint(id),
				OccurredAt: t0.Add(time.Duration(id) * time.Hour), Source: model.SourceWebhook, InboxID: id,
			}},
		}
		f.shipments = append(f.shipments, s)
	}
	// 3: has a barcode and a second event; 12: has no events yet; 5: ORD-1.
	f.shipments[2].References = append(f.shipments[2].References, model.Reference{Kind: model.RefBarcode, Value: "3SABC0000123"})
	f.shipments[2].Events = append(f.shipments[2].Events, model.Event{ID: 31, Status: model.StatusDelivered, ProviderCode: "D", OccurredAt: t0.Add(5 * time.Hour), Source: model.SourceFTP})
	f.shipments[11].Events = nil
	f.shipments[11].Status = model.StatusPending
	f.shipments[4].References = append(f.shipments[4].References, model.Reference{Kind: model.RefMerchant, Value: "ORD-1"})

	for id := int64(13); id <= 15; id++ {
		f.shipments = append(f.shipments, &model.Shipment{
			ID: id, Workspace: "globex", Connection: "courier", Provider: "courier",
			ProviderRef:    fmt.Sprintf("G%03d", id),
			References:     []model.Reference{{Kind: model.RefBarcode, Value: fmt.Sprintf("GLOBEX-%d", id)}, {Kind: model.RefOrder, Value: "ORD-1"}},
			StatusPosition: model.StatusPosition{Status: model.StatusInTransit},
			CreatedAt:      t0, UpdatedAt: t0,
		})
	}

	for _, e := range []struct {
		id int64
		ws string
	}{{1, "acme"}, {2, "acme"}, {3, "globex"}, {4, "acme"}, {5, "acme"}, {6, "globex"}, {7, "acme"}} {
		f.feed = append(f.feed, &model.FeedEvent{
			ID: e.id, Workspace: e.ws, Type: model.EventShipmentStatusChanged, SubjectID: e.id,
			OccurredAt: t0, Data: json.RawMessage(`{"n":` + fmt.Sprint(e.id) + `}`),
		})
	}
	return f
}

// newHandler builds the API over st and mounts it the way the server does.
func newHandler(t *testing.T, st store.Store, log *slog.Logger) http.Handler {
	t.Helper()
	a, err := api.New(api.Config{
		Store:  st,
		Keys:   []api.Key{{Workspace: "acme", Secret: acmeKey}, {Workspace: "globex", Secret: globexKey}},
		Logger: log,
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", a.Handler())
	return mux
}

type response struct {
	code   int
	header http.Header
	body   []byte
}

func get(t *testing.T, h http.Handler, path, key string) response {
	t.Helper()
	return do(t, h, http.MethodGet, path, key)
}

func do(t *testing.T, h http.Handler, method, path, key string) response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(r.body, &v), "body: %s", r.body)
	return v
}

type problem struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

// requireProblem asserts an RFC 9457 problem response with this status.
func requireProblem(t *testing.T, r response, status int) problem {
	t.Helper()
	require.Equal(t, status, r.code, "body: %s", r.body)
	require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
	p := decode[problem](t, r)
	require.Equal(t, status, p.Status)
	require.NotEmpty(t, p.Title)
	require.NotEmpty(t, p.Detail)
	return p
}

type shipmentPage struct {
	Data []struct {
		ID         int64             `json:"id"`
		Workspace  string            `json:"workspace"`
		Connection string            `json:"connection"`
		Status     string            `json:"status"`
		Events     []json.RawMessage `json:"events"`
	} `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func (p shipmentPage) ids() []int64 {
	ids := make([]int64, len(p.Data))
	for i, s := range p.Data {
		ids[i] = s.ID
	}
	return ids
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)

	for _, tc := range []struct {
		name   string
		path   string
		header string
		want   int
	}{
		{"NoHeaderIsRejected", "/api/v1/shipments", "", http.StatusUnauthorized},
		{"WrongKeyIsRejected", "/api/v1/shipments", "Bearer not-a-key", http.StatusUnauthorized},
		{"KeyWithExtraCharacterIsRejected", "/api/v1/shipments", "Bearer " + acmeKey + "x", http.StatusUnauthorized},
		{"PrefixOfKeyIsRejected", "/api/v1/shipments", "Bearer " + acmeKey[:5], http.StatusUnauthorized},
		{"BasicSchemeIsRejected", "/api/v1/shipments", "Basic " + base64.StdEncoding.EncodeToString([]byte("acme:"+acmeKey)), http.StatusUnauthorized},
		{"BareKeyWithoutSchemeIsRejected", "/api/v1/shipments", acmeKey, http.StatusUnauthorized},
		{"EmptyBearerIsRejected", "/api/v1/shipments", "Bearer ", http.StatusUnauthorized},
		{"EveryRouteNeedsAKey", "/api/v1/shipments/1", "", http.StatusUnauthorized},
		{"TrackingNeedsAKey", "/api/v1/tracking/3SABC0000123", "", http.StatusUnauthorized},
		{"FeedNeedsAKey", "/api/v1/events", "", http.StatusUnauthorized},
		{"AuthComesBeforeParameterChecks", "/api/v1/shipments?status=bogus", "", http.StatusUnauthorized},
		{"ValidKeyIsAccepted", "/api/v1/shipments", "Bearer " + acmeKey, http.StatusOK},
		{"SchemeIsCaseInsensitive", "/api/v1/shipments", "bearer " + acmeKey, http.StatusOK},
		{"OpenAPIDocumentIsPublic", "/api/v1/openapi.json", "", http.StatusOK},
		{"DocsPageIsPublic", "/api/v1/docs", "", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			r := response{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
			if tc.want != http.StatusUnauthorized {
				require.Equal(t, tc.want, r.code, "body: %s", r.body)
				return
			}
			requireProblem(t, r, http.StatusUnauthorized)
			require.Equal(t, "Bearer", r.header.Get("WWW-Authenticate"))
			require.NotContains(t, string(r.body), acmeKey)
		})
	}
}

func TestListShipments(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)

	for _, tc := range []struct {
		name  string
		query string
		key   string
		want  []int64
	}{
		{"AllOfTheWorkspaceNewestFirst", "", acmeKey, []int64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"OtherWorkspaceSeesOnlyItsOwn", "", globexKey, []int64{15, 14, 13}},
		{"ByStatus", "status=delivered", acmeKey, []int64{10, 7, 4, 1}},
		{"ByConnection", "connection=ws", acmeKey, []int64{12, 10, 8, 6, 4, 2}},
		{"ByStatusAndConnection", "status=exception&connection=courier", acmeKey, []int64{11, 5}},
		{"ByBarcode", "reference=3SABC0000123", acmeKey, []int64{3}},
		{"ByReferenceSharedAcrossWorkspacesSeesOnlyOwn", "reference=ORD-1", acmeKey, []int64{5}},
		{"ByReferenceOfOtherWorkspaceFindsNothing", "reference=GLOBEX-13", acmeKey, []int64{}},
		{"ByStatusNobodyHas", "status=returned", acmeKey, []int64{}},
		{"LimitTruncates", "limit=2", acmeKey, []int64{12, 11}},
		{"MaxLimitIsAllowed", "limit=200", acmeKey, []int64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := get(t, h, "/api/v1/shipments?"+tc.query, tc.key)
			require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
			require.Equal(t, "application/json", r.header.Get("Content-Type"))
			page := decode[shipmentPage](t, r)
			require.NotNil(t, page.Data, "data is a list, never null")
			require.Equal(t, tc.want, page.ids())
			require.NotNil(t, page.NextCursor, "next_cursor is always present")
			for _, s := range page.Data {
				require.Empty(t, s.Events, "listings carry no events")
			}
			require.NotContains(t, string(r.body), `"$schema"`)
		})
	}
}

func TestListShipmentsPassesTheFilterToTheStore(t *testing.T) {
	t.Parallel()
	st := fixture()
	h := newHandler(t, st, nil)

	r := get(t, h, "/api/v1/shipments?reference=R&status=in_transit&connection=c&limit=7", globexKey)
	require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
	require.Equal(t, store.ShipmentFilter{
		Workspace: "globex", Reference: "R", Status: model.StatusInTransit, Connection: "c", Limit: 8,
	}, st.lastFilter, "the workspace comes from the key, and one row more is fetched to detect the end")

	r = get(t, h, "/api/v1/shipments", acmeKey)
	require.Equal(t, http.StatusOK, r.code)
	require.Equal(t, 51, st.lastFilter.Limit, "the default page is 50")
}

func TestPaginationWalksEveryShipmentOnce(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)

	for _, tc := range []struct {
		name  string
		query string
		limit int
		want  []int64
	}{
		{"PagesOfThree", "", 3, []int64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"PagesOfFiveWithARemainder", "", 5, []int64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"PagesOfOne", "", 1, []int64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"FilteredPagesOfTwo", "&connection=courier", 2, []int64{11, 9, 7, 5, 3, 1}},
		{"OnePageExactlyFull", "&status=delivered", 4, []int64{10, 7, 4, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []int64
			seen := map[int64]bool{}
			cursor := ""
			for pages := 0; ; pages++ {
				require.Less(t, pages, 20, "pagination does not end")
				r := get(t, h, fmt.Sprintf("/api/v1/shipments?limit=%d&cursor=%s%s", tc.limit, url.QueryEscape(cursor), tc.query), acmeKey)
				require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
				page := decode[shipmentPage](t, r)
				require.LessOrEqual(t, len(page.Data), tc.limit)
				for _, id := range page.ids() {
					require.False(t, seen[id], "shipment %d seen twice", id)
					seen[id] = true
				}
				got = append(got, page.ids()...)
				require.NotNil(t, page.NextCursor)
				if *page.NextCursor == "" {
					break
				}
				require.Len(t, page.Data, tc.limit, "only the last page may be short")
				cursor = *page.NextCursor
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestBadParametersAreRejected(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)

	for _, tc := range []struct {
		name     string
		path     string
		location string
	}{
		{"UnknownStatus", "/api/v1/shipments?status=bogus", "query.status"},
		{"StatusIsCaseSensitive", "/api/v1/shipments?status=DELIVERED", "query.status"},
		{"CursorThatIsNotBase64", "/api/v1/shipments?cursor=!!!", "query.cursor"},
		{"CursorThatIsNotAnId", "/api/v1/shipments?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("abc")), "query.cursor"},
		{"CursorOfZero", "/api/v1/shipments?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("0")), "query.cursor"},
		{"CursorWithPadding", "/api/v1/shipments?cursor=" + base64.URLEncoding.EncodeToString([]byte("1")), "query.cursor"},
		{"LimitZero", "/api/v1/shipments?limit=0", "query.limit"},
		{"LimitAboveMaximum", "/api/v1/shipments?limit=201", "query.limit"},
		{"LimitNegative", "/api/v1/shipments?limit=-1", "query.limit"},
		{"LimitNotANumber", "/api/v1/shipments?limit=ten", "query.limit"},
		{"ShipmentIdNotANumber", "/api/v1/shipments/abc", "path.id"},
		{"ShipmentIdZero", "/api/v1/shipments/0", "path.id"},
		{"FeedAfterNegative", "/api/v1/events?after=-1", "query.after"},
		{"FeedAfterNotANumber", "/api/v1/events?after=x", "query.after"},
		{"FeedLimitAboveMaximum", "/api/v1/events?limit=501", "query.limit"},
		{"FeedLimitZero", "/api/v1/events?limit=0", "query.limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := requireProblem(t, get(t, h, tc.path, acmeKey), http.StatusBadRequest)
			var locations []string
			for _, e := range p.Errors {
				locations = append(locations, e.Location)
				require.NotEmpty(t, e.Message)
			}
			require.Contains(t, locations, tc.location)
		})
	}
}

func TestGetShipment(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)

	type detail struct {
		ID        int64  `json:"id"`
		Workspace string `json:"workspace"`
		Status    string `json:"status"`
		Events    []struct {
			ID           int64  `json:"id"`
			ProviderCode string `json:"provider_code"`
			Source       string `json:"source"`
		} `json:"events"`
	}

	t.Run("ReturnsTheShipmentWithItsEvents", func(t *testing.T) {
		t.Parallel()
		r := get(t, h, "/api/v1/shipments/3", acmeKey)
		require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
		d := decode[detail](t, r)
		require.Equal(t, int64(3), d.ID)
		require.Equal(t, "acme", d.Workspace)
		require.Equal(t, "in_transit", d.Status)
		require.Len(t, d.Events, 2)
		require.Equal(t, int64(30), d.Events[0].ID)
		require.Equal(t, "C3", d.Events[0].ProviderCode)
		require.Equal(t, "ftp", d.Events[1].Source)
	})

	t.Run("ShipmentWithoutEventsHasAnEmptyList", func(t *testing.T) {
		t.Parallel()
		r := get(t, h, "/api/v1/shipments/12", acmeKey)
		require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
		require.Contains(t, string(r.body), `"events":[]`)
	})

	for _, tc := range []struct {
		name string
		path string
		key  string
	}{
		{"MissingShipmentIsNotFound", "/api/v1/shipments/999", acmeKey},
		{"OtherWorkspacesShipmentIsNotFound", "/api/v1/shipments/13", acmeKey},
		{"AndTheOtherWayRound", "/api/v1/shipments/3", globexKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := get(t, h, tc.path, tc.key)
			requireProblem(t, r, http.StatusNotFound)
			require.NotContains(t, string(r.body), "provider_ref")
		})
	}
}

func TestTracking(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)

	type tracking struct {
		Reference string `json:"reference"`
		Shipments []struct {
			ID        int64             `json:"id"`
			Workspace string            `json:"workspace"`
			Events    []json.RawMessage `json:"events"`
		} `json:"shipments"`
	}

	for _, tc := range []struct {
		name       string
		reference  string
		key        string
		wantIDs    []int64
		wantEvents []int
	}{
		{"ByBarcodeWithEvents", "3SABC0000123", acmeKey, []int64{3}, []int{2}},
		{"ByOrderNumber", "ACME-12", acmeKey, []int64{12}, []int{0}},
		{"SharedReferenceShowsOnlyOwnWorkspace", "ORD-1", acmeKey, []int64{5}, []int{1}},
		{"SharedReferenceFromTheOtherSide", "ORD-1", globexKey, []int64{15, 14, 13}, []int{0, 0, 0}},
		{"ReferenceWithSpecialCharacters", "GLOBEX-14", globexKey, []int64{14}, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := get(t, h, "/api/v1/tracking/"+url.PathEscape(tc.reference), tc.key)
			require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
			tr := decode[tracking](t, r)
			require.Equal(t, tc.reference, tr.Reference)
			var ids []int64
			var events []int
			for _, s := range tr.Shipments {
				ids = append(ids, s.ID)
				events = append(events, len(s.Events))
				require.NotNil(t, s.Events)
			}
			require.Equal(t, tc.wantIDs, ids)
			require.Equal(t, tc.wantEvents, events)
		})
	}

	for _, tc := range []struct {
		name      string
		reference string
		key       string
	}{
		{"UnknownReferenceIsNotFound", "NOPE", acmeKey},
		{"OtherWorkspacesBarcodeIsNotFound", "3SABC0000123", globexKey},
		{"ProviderRefAloneIsNotAReference", "A003", acmeKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			requireProblem(t, get(t, h, "/api/v1/tracking/"+tc.reference, tc.key), http.StatusNotFound)
		})
	}
}

func TestEventFeed(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)

	type feedPage struct {
		Data []struct {
			ID        int64           `json:"id"`
			Workspace string          `json:"workspace"`
			Type      string          `json:"type"`
			Data      json.RawMessage `json:"data"`
		} `json:"data"`
		NextAfter *int64 `json:"next_after"`
	}

	for _, tc := range []struct {
		name      string
		query     string
		key       string
		wantIDs   []int64
		nextAfter int64
	}{
		{"FromTheStart", "", acmeKey, []int64{1, 2, 4, 5, 7}, 7},
		{"OtherWorkspaceSeesOnlyItsOwn", "", globexKey, []int64{3, 6}, 6},
		{"AfterAnId", "after=2", acmeKey, []int64{4, 5, 7}, 7},
		{"WithALimit", "after=1&limit=2", acmeKey, []int64{2, 4}, 4},
		{"NothingNewKeepsTheGivenAfter", "after=7", acmeKey, []int64{}, 7},
		{"AfterBeyondTheEndKeepsIt", "after=100", acmeKey, []int64{}, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := get(t, h, "/api/v1/events?"+tc.query, tc.key)
			require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
			page := decode[feedPage](t, r)
			require.NotNil(t, page.Data)
			ids := []int64{}
			for _, e := range page.Data {
				ids = append(ids, e.ID)
				require.JSONEq(t, fmt.Sprintf(`{"n":%d}`, e.ID), string(e.Data), "data is passed through as JSON")
			}
			require.Equal(t, tc.wantIDs, ids)
			require.NotNil(t, page.NextAfter)
			require.Equal(t, tc.nextAfter, *page.NextAfter)
		})
	}

	t.Run("FollowingNextAfterReadsEverythingOnce", func(t *testing.T) {
		t.Parallel()
		var got []int64
		after := int64(0)
		for polls := 0; ; polls++ {
			require.Less(t, polls, 10, "feed does not end")
			page := decode[feedPage](t, get(t, h, fmt.Sprintf("/api/v1/events?limit=2&after=%d", after), acmeKey))
			if len(page.Data) == 0 {
				require.Equal(t, after, *page.NextAfter)
				break
			}
			for _, e := range page.Data {
				got = append(got, e.ID)
			}
			after = *page.NextAfter
		}
		require.Equal(t, []int64{1, 2, 4, 5, 7}, got)
	})
}

func TestStoreFailureIsA503AndLogged(t *testing.T) {
	t.Parallel()
	st := fixture()
	st.err = errors.New("disk on fire")
	var logs bytes.Buffer
	h := newHandler(t, st, slog.New(slog.NewJSONHandler(&logs, nil)))

	for _, path := range []string{
		"/api/v1/shipments",
		"/api/v1/shipments/3",
		"/api/v1/tracking/3SABC0000123",
		"/api/v1/events",
	} {
		r := get(t, h, path, acmeKey)
		p := requireProblem(t, r, http.StatusServiceUnavailable)
		require.NotContains(t, p.Detail, "disk on fire", "the cause is not shown to clients")
		require.NotEmpty(t, r.header.Get("Retry-After"))
	}

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 4)
	for _, line := range lines {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		require.Equal(t, "ERROR", rec["level"])
		require.Equal(t, "acme", rec["workspace"])
		require.Equal(t, "disk on fire", rec["error"])
	}
	require.NotContains(t, logs.String(), acmeKey, "keys are never logged")
}

func TestUnknownRoutesAreProblems(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)

	t.Run("UnknownPathIsNotFound", func(t *testing.T) {
		t.Parallel()
		requireProblem(t, get(t, h, "/api/v1/nope", acmeKey), http.StatusNotFound)
	})
	t.Run("EmptyTrackingReferenceIsNotFound", func(t *testing.T) {
		t.Parallel()
		requireProblem(t, get(t, h, "/api/v1/tracking/", acmeKey), http.StatusNotFound)
	})
	t.Run("WrongMethodIsNotAllowed", func(t *testing.T) {
		t.Parallel()
		r := do(t, h, http.MethodDelete, "/api/v1/shipments/3", acmeKey)
		requireProblem(t, r, http.StatusMethodNotAllowed)
		require.Contains(t, r.header.Get("Allow"), http.MethodGet)
	})
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	st := fixture()

	for _, tc := range []struct {
		name    string
		cfg     api.Config
		wantErr string
	}{
		{"ValidConfigPasses", api.Config{Store: st, Keys: []api.Key{{Workspace: "a", Secret: "k1"}, {Workspace: "a", Secret: "k2"}}}, ""},
		{"NoKeysIsAllowedAndLocksEveryoneOut", api.Config{Store: st}, ""},
		{"StoreIsRequired", api.Config{Keys: []api.Key{{Workspace: "a", Secret: "k"}}}, "store is required"},
		{"KeyNeedsAWorkspace", api.Config{Store: st, Keys: []api.Key{{Secret: "k"}}}, "workspace is empty"},
		{"KeyNeedsASecret", api.Config{Store: st, Keys: []api.Key{{Workspace: "a"}}}, "secret is empty"},
		{"BlankSecretIsRefused", api.Config{Store: st, Keys: []api.Key{{Workspace: "a", Secret: "  "}}}, "secret is empty"},
		{"SecretWithSpacesIsRefused", api.Config{Store: st, Keys: []api.Key{{Workspace: "a", Secret: " k"}}}, "surrounding spaces"},
		{"KeySharedByTwoWorkspacesIsRefused", api.Config{Store: st, Keys: []api.Key{{Workspace: "a", Secret: "k"}, {Workspace: "b", Secret: "k"}}}, "must be unique"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			_, newErr := api.New(tc.cfg)
			if tc.wantErr == "" {
				require.NoError(t, err)
				require.NoError(t, newErr)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
			require.Error(t, newErr, "New validates too")
			require.NotContains(t, err.Error(), `"k"`, "secrets are not echoed in errors")
		})
	}
}

func TestLeakyStoreStillIsolatesWorkspaces(t *testing.T) {
	t.Parallel()
	st := fixture()
	st.leak = true
	h := newHandler(t, st, nil)

	t.Run("ListingDropsOtherWorkspaces", func(t *testing.T) {
		t.Parallel()
		page := decode[shipmentPage](t, get(t, h, "/api/v1/shipments?reference=ORD-1", acmeKey))
		require.Equal(t, []int64{5}, page.ids())
	})
	t.Run("OtherWorkspacesShipmentIsNotFound", func(t *testing.T) {
		t.Parallel()
		requireProblem(t, get(t, h, "/api/v1/shipments/13", acmeKey), http.StatusNotFound)
	})
	t.Run("TrackingDropsOtherWorkspaces", func(t *testing.T) {
		t.Parallel()
		requireProblem(t, get(t, h, "/api/v1/tracking/GLOBEX-13", acmeKey), http.StatusNotFound)
	})
	t.Run("FeedDropsOtherWorkspaces", func(t *testing.T) {
		t.Parallel()
		r := get(t, h, "/api/v1/events", globexKey)
		require.Equal(t, http.StatusOK, r.code)
		require.NotContains(t, string(r.body), `"workspace":"acme"`)
		require.Contains(t, string(r.body), `"workspace":"globex"`)
	})
}
