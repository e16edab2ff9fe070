package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
	"github.com/shiphub/shiphub/internal/web"
)

const (
	ovKeyAcme   = "acme-dashboard-key-0123456789"
	ovKeyGlobex = "globex-dashboard-key-0123456789"
)

var ovT0 = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)

// ovStatuses is a fake of the connections' health.
type ovStatuses struct{}

func (ovStatuses) Connections(_ context.Context, ws string) ([]*model.ConnectionStatus, error) {
	return []*model.ConnectionStatus{
		{ID: ws + "-wics", Workspace: ws, Provider: "wics", Health: model.ConnectionHealth{Status: model.HealthUnhealthy, Reason: ws + " login refused"}},
		{ID: ws + "-courier", Workspace: ws, Provider: "courier", Health: model.ConnectionHealth{Status: model.HealthHealthy}},
	}, nil
}

// ovHub is a dashboard on a fresh SQLite store.
type ovHub struct {
	store store.Store
	srv   *httptest.Server
}

func newOvHub(t *testing.T) *ovHub {
	t.Helper()
	st := sqlite.OpenTest(t)
	ui, err := web.New(web.Config{Store: st, Statuses: ovStatuses{},
		Keys: []api.Key{{Workspace: "acme", Secret: ovKeyAcme}, {Workspace: "globex", Secret: ovKeyGlobex}}})
	require.NoError(t, err)
	srv := httptest.NewServer(ui.Handler())
	t.Cleanup(srv.Close)
	return &ovHub{store: st, srv: srv}
}

// client signs in with key and returns a client that keeps the session.
func (h *ovHub) client(t testing.TB, key string) *http.Client {
	t.Helper()
	return web.SignedInClient(t, h.srv.URL, key)
}

func ovGet(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	return web.GetPage(t, c, u)
}

var ovSeq atomic.Int64

func (h *ovHub) inTx(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	n := web.InPipelineTx(t, h.store, 10, &model.InboxMessage{Workspace: "acme", Connection: "setup", Provider: "courier",
		Source: model.SourceWebhook, DedupKey: fmt.Sprintf("ov-%d", ovSeq.Add(1)), Body: []byte(`{}`), ReceivedAt: ovT0}, fn)
	require.Equal(t, 1, n)
}

func (h *ovHub) ship(t *testing.T, ws, ref string, status model.Status, action bool) *model.Shipment {
	t.Helper()
	sh := &model.Shipment{Workspace: ws, Connection: "courier", Provider: "courier", ProviderRef: ref,
		StatusPosition: model.StatusPosition{Status: status, ActionRequired: action, At: ovT0}, CreatedAt: ovT0, UpdatedAt: ovT0}
	h.inTx(t, func(ctx context.Context, tx store.Tx) error { return tx.InsertShipment(ctx, sh) })
	return sh
}

// deadCommand submits an order.create and lets it die.
func (h *ovHub) deadCommand(t *testing.T, ws, ref string) *model.Command {
	t.Helper()
	ctx := context.Background()
	payload, err := json.Marshal(model.OrderRequest{Reference: ref})
	require.NoError(t, err)
	res, err := h.store.SubmitCommand(ctx, &store.Submission{Workspace: ws, Connection: "wics", Provider: "wics", Kind: model.CommandOrderCreate,
		Payload: payload, Order: &model.Order{Reference: ref, Status: model.OrderPending}, RequestHash: "h-" + ref, Now: ovT0}, nil)
	require.NoError(t, err)
	_, err = h.store.StartCommand(ctx, res.Command.ID, ovT0)
	require.NoError(t, err)
	cmd, err := h.store.FinishCommand(ctx, res.Command.ID, store.CommandOutcome{Status: model.CommandDead, Error: ref + " refused by WICS", Now: ovT0})
	require.NoError(t, err)
	return cmd
}

// section returns the HTML of the element with the id, up to the next
// element of the same tag at the same place (enough for assertions).
func section(t *testing.T, page, id string) string {
	t.Helper()
	i := strings.Index(page, `id="`+id+`"`)
	require.GreaterOrEqual(t, i, 0, "the page has #%s", id)
	rest := page[i:]
	if j := strings.Index(rest[1:], "<article"); j >= 0 {
		return rest[:j+1]
	}
	return rest
}

func TestOverviewShowsItsWorkspacesCountsAndNeedsActionOnly(t *testing.T) {
	t.Parallel()
	h := newOvHub(t)
	exc := h.ship(t, "acme", "EXC-1", model.StatusException, true)
	fa := h.ship(t, "acme", "FA-1", model.StatusFailedAttempt, false)
	h.ship(t, "acme", "IT-1", model.StatusInTransit, false)
	h.ship(t, "acme", "IT-2", model.StatusInTransit, false)
	quiet := h.ship(t, "acme", "QUIET-1", model.StatusOutForDelivery, false)
	h.ship(t, "globex", "GLOBEX-EXC", model.StatusException, true)
	h.ship(t, "globex", "GLOBEX-QUIET", model.StatusOutForDelivery, false)
	for _, ws := range []string{"acme", "globex"} {
		_, err := h.store.MarkStuck(context.Background(), store.StuckScan{Workspace: ws, Status: model.StatusOutForDelivery, Before: ovT0.Add(time.Hour), Now: ovT0.Add(time.Hour), Limit: 10})
		require.NoError(t, err)
	}
	cmd := h.deadCommand(t, "acme", "ORDER-DEAD")
	h.deadCommand(t, "globex", "GLOBEX-ORDER")
	require.NoError(t, h.store.RecordIntakeError(context.Background(), &model.IntakeError{Workspace: "acme", Connection: "courier", Source: model.SourceFTP,
		Name: "broken.json", Reason: "bad input: unexpected end of JSON", Ref: "acme/courier/quarantine/broken.json", Size: 3, ReceivedAt: ovT0}))
	require.NoError(t, h.store.RecordIntakeError(context.Background(), &model.IntakeError{Workspace: "globex", Connection: "courier", Source: model.SourceFTP,
		Name: "globex-file.json", Reason: "bad", Size: 3, ReceivedAt: ovT0}))

	c := h.client(t, ovKeyAcme)
	status, page := ovGet(t, c, h.srv.URL+"/ui/")
	require.Equal(t, http.StatusOK, status, page)
	require.NotContains(t, page, "GLOBEX", "nothing of another workspace")
	require.NotContains(t, page, "globex")

	cases := []struct {
		name, section string
		want          []string
	}{
		{"ShipmentCountsLinkToTheFilteredList", "count-shipments", []string{
			`<span class="total">5</span>`, `href="/ui/shipments?status=in_transit"`, `In transit</span> <span class="n">2</span>`,
			`href="/ui/shipments?status=exception"`}},
		{"OrderCountsCountTheDeadCommandsOrder", "count-orders", []string{`href="/ui/orders?status=rejected"`, `<span class="n">1</span>`}},
		{"CommandCounts", "count-commands", []string{`href="/ui/commands?status=dead"`, `Dead</span> <span class="n">1</span>`}},
		{"Exceptions", "needs-exception", []string{fmt.Sprintf(`href="/ui/shipments/%d"`, exc.ID), "EXC-1", `data-count="1"`}},
		{"ActionRequired", "needs-action-required", []string{fmt.Sprintf(`href="/ui/shipments/%d"`, exc.ID), `href="/ui/action-required"`}},
		{"FailedAttempts", "needs-failed-attempt", []string{fmt.Sprintf(`href="/ui/shipments/%d"`, fa.ID), "FA-1"}},
		{"Stuck", "needs-stuck", []string{fmt.Sprintf(`href="/ui/shipments/%d"`, quiet.ID), "QUIET-1", `href="/ui/stuck"`, `data-count="1"`}},
		{"DeadCommands", "needs-dead-commands", []string{fmt.Sprintf("order.create #%d", cmd.ID), "ORDER-DEAD refused by WICS", `href="/ui/commands?status=dead"`}},
		{"NoDeadDeliveries", "needs-dead-deliveries", []string{`data-count="0"`, "Nothing here."}},
		{"QuarantinedFiles", "needs-intake-errors", []string{"broken.json (quarantined)", "unexpected end of JSON", `href="/ui/connections"`}},
		{"UnhealthyConnections", "needs-connections", []string{"acme-wics (wics)", "acme login refused", `data-count="1"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := section(t, page, tc.section)
			for _, w := range tc.want {
				require.Contains(t, got, w)
			}
		})
	}
	require.NotContains(t, section(t, page, "needs-connections"), "acme-courier", "a healthy connection needs nothing")
	require.Contains(t, page, `<ul id="live-feed" aria-live="polite" sse-swap="feed" hx-swap="afterbegin">`)
	require.Contains(t, page, `hx-trigger="sse:shipment, sse:order, sse:inbound, sse:return, sse:command"`)
}

func TestOverviewFragmentsAndListsAreOfTheSessionsWorkspace(t *testing.T) {
	t.Parallel()
	h := newOvHub(t)
	var acme []*model.Shipment
	for i := range 52 {
		acme = append(acme, h.ship(t, "acme", fmt.Sprintf("ACT-%02d", i), model.StatusException, true))
	}
	h.ship(t, "globex", "GLOBEX-ACT", model.StatusException, true)
	c := h.client(t, ovKeyAcme)

	status, counts := ovGet(t, c, h.srv.URL+"/ui/?fragment=counts")
	require.Equal(t, http.StatusOK, status)
	require.True(t, strings.HasPrefix(strings.TrimSpace(counts), `<section id="counts"`), "only the fragment: %.80s", counts)
	require.Contains(t, counts, `<span class="total">52</span>`)
	require.NotContains(t, counts, "<html")

	status, needs := ovGet(t, c, h.srv.URL+"/ui/?fragment=needs")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, needs, `id="needs-action-required"`)
	got := section(t, needs, "needs-action-required")
	require.Equal(t, 10, strings.Count(got, `class="needs-item"`), "at most ten per group")
	require.Contains(t, got, `See all 52`)

	status, _ = ovGet(t, c, h.srv.URL+"/ui/?fragment=nope")
	require.Equal(t, http.StatusBadRequest, status)

	status, list := ovGet(t, c, h.srv.URL+"/ui/action-required")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, list, `<table id="action-required"`)
	require.Equal(t, 50, strings.Count(list, `class="shipment-link"`))
	require.NotContains(t, list, "GLOBEX")
	next := fmt.Sprintf(`/ui/action-required?before=%d`, acme[2].ID)
	require.Contains(t, list, `href="`+next+`"`)
	status, rest := ovGet(t, c, h.srv.URL+next)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 2, strings.Count(rest, `class="shipment-link"`))
	require.NotContains(t, rest, "Next page")

	status, _ = ovGet(t, c, h.srv.URL+"/ui/stuck?before=x")
	require.Equal(t, http.StatusBadRequest, status)
	status, stuck := ovGet(t, c, h.srv.URL+"/ui/stuck")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, stuck, `<table id="stuck"`)
	require.Contains(t, stuck, "None.")

	other := h.client(t, ovKeyGlobex)
	status, page := ovGet(t, other, h.srv.URL+"/ui/")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, page, "GLOBEX-ACT")
	require.NotContains(t, page, "ACT-0")
}

func TestOverviewNeedsASession(t *testing.T) {
	t.Parallel()
	h := newOvHub(t)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"/ui/", "/ui/?fragment=counts", "/ui/stuck", "/ui/action-required"} {
		res, err := c.Get(h.srv.URL + p)
		require.NoError(t, err)
		_ = res.Body.Close()
		require.Equal(t, http.StatusSeeOther, res.StatusCode, p)
		require.Equal(t, "/ui/signin", res.Header.Get("Location"), p)
	}
}
