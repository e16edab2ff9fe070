package api_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// trackerControl accepts trackers on acme/gcl only and counts wake-ups.
type trackerControl struct {
	mu    sync.Mutex
	woken int
}

func (c *trackerControl) CanTrack(ws, conn string) bool { return ws == "acme" && conn == "gcl" }
func (c *trackerControl) Wake(string, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.woken++
}

func trackerHandler(t *testing.T) (http.Handler, *trackerControl) {
	t.Helper()
	ctl := &trackerControl{}
	a, err := api.New(api.Config{
		Store:    sqlite.OpenTest(t),
		Keys:     []api.Key{{Workspace: "acme", Secret: acmeKey}, {Workspace: "globex", Secret: globexKey}},
		Trackers: ctl,
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", a.Handler())
	return mux, ctl
}

// send is do with a JSON body.
func send(t *testing.T, h http.Handler, method, path, key, body string) response {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func TestTrackerLifecycle(t *testing.T) {
	t.Parallel()
	h, ctl := trackerHandler(t)
	r := send(t, h, http.MethodPost, "/api/v1/trackers", acmeKey, `{"connection":"gcl","tracking_number":"EXMPL0001234TRCKNUM","reference":"order-1"}`)
	require.Equal(t, http.StatusCreated, r.code, "body: %s", r.body)
	first := decode[model.Tracker](t, r)
	require.Equal(t, "EXMPL0001234TRCKNUM", first.TrackingNumber)
	require.Equal(t, model.TrackerActive, first.State)
	require.Equal(t, "order-1", first.Reference)
	require.NotNil(t, first.NextPollAt, "a new tracker is due at once")
	require.Equal(t, 1, ctl.woken)

	r = send(t, h, http.MethodPost, "/api/v1/trackers", acmeKey, `{"connection":"gcl","tracking_number":"EXMPL0001234TRCKNUM"}`)
	require.Equal(t, http.StatusOK, r.code, "the same number twice is the same tracker")
	require.Equal(t, first.ID, decode[model.Tracker](t, r).ID)

	r = get(t, h, "/api/v1/trackers/"+itoa(first.ID), acmeKey)
	require.Equal(t, http.StatusOK, r.code)
	require.Equal(t, first.ID, decode[model.Tracker](t, r).ID)
	requireProblem(t, get(t, h, "/api/v1/trackers/"+itoa(first.ID), globexKey), http.StatusNotFound)

	send(t, h, http.MethodPost, "/api/v1/trackers", acmeKey, `{"connection":"gcl","tracking_number":"1Z999AA10123456784"}`)
	page := decode[api.TrackerPage](t, get(t, h, "/api/v1/trackers?limit=1", acmeKey))
	require.Len(t, page.Data, 1)
	require.Equal(t, "1Z999AA10123456784", page.Data[0].TrackingNumber, "newest first")
	require.NotEmpty(t, page.NextCursor)
	page = decode[api.TrackerPage](t, get(t, h, "/api/v1/trackers?cursor="+page.NextCursor, acmeKey))
	require.Len(t, page.Data, 1)
	require.Equal(t, first.ID, page.Data[0].ID)
	require.Empty(t, decode[api.TrackerPage](t, get(t, h, "/api/v1/trackers", globexKey)).Data)

	requireProblem(t, do(t, h, http.MethodDelete, "/api/v1/trackers/"+itoa(first.ID), globexKey), http.StatusNotFound)
	r = do(t, h, http.MethodDelete, "/api/v1/trackers/"+itoa(first.ID), acmeKey)
	require.Equal(t, http.StatusNoContent, r.code, "body: %s", r.body)
	requireProblem(t, get(t, h, "/api/v1/trackers/"+itoa(first.ID), acmeKey), http.StatusNotFound)
	requireProblem(t, do(t, h, http.MethodDelete, "/api/v1/trackers/"+itoa(first.ID), acmeKey), http.StatusNotFound)
}

func TestBadTrackerRequestsChangeNothing(t *testing.T) {
	t.Parallel()
	h, ctl := trackerHandler(t)
	tests := []struct {
		name, body, field string
	}{
		{"ConnectionIsRequired", `{"tracking_number":"ABC123"}`, "body.connection"},
		{"ConnectionMustTrackParcels", `{"connection":"courier","tracking_number":"ABC123"}`, "body.connection"},
		{"TrackingNumberIsRequired", `{"connection":"gcl"}`, "body.tracking_number"},
		{"TrackingNumberMustNotHoldASlash", `{"connection":"gcl","tracking_number":"ABC/../x"}`, "body.tracking_number"},
		{"TrackingNumberIsBounded", `{"connection":"gcl","tracking_number":"` + strings.Repeat("A", 65) + `"}`, "body.tracking_number"},
		{"ReferenceIsBounded", `{"connection":"gcl","tracking_number":"A1","reference":"` + strings.Repeat("r", 201) + `"}`, "body.reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := requireProblem(t, send(t, h, http.MethodPost, "/api/v1/trackers", acmeKey, tt.body), http.StatusBadRequest)
			require.NotEmpty(t, p.Errors)
			require.Equal(t, tt.field, p.Errors[0].Location)
		})
	}
	r := send(t, h, http.MethodPost, "/api/v1/trackers", acmeKey, `{"connection":`)
	require.GreaterOrEqual(t, r.code, 400)
	require.Less(t, r.code, 500)
	requireProblem(t, send(t, h, http.MethodPost, "/api/v1/trackers", globexKey, `{"connection":"gcl","tracking_number":"A1"}`), http.StatusBadRequest)
	requireProblem(t, get(t, h, "/api/v1/trackers?state=sleeping", acmeKey), http.StatusBadRequest)
	requireProblem(t, get(t, h, "/api/v1/trackers/0", acmeKey), http.StatusBadRequest)
	require.Empty(t, decode[api.TrackerPage](t, get(t, h, "/api/v1/trackers", acmeKey)).Data, "nothing was created")
	require.Zero(t, ctl.woken)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
