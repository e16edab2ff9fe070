package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// opsHub is a dashboard on a fresh SQLite store with two workspaces, acme
// and other, for the tests of the connections, deliveries and commands
// pages.
type opsHub struct {
	t        *testing.T
	store    store.Store
	srv      *httptest.Server
	woken    atomic.Int64
	queue    *opsQueue
	statuses *opsStatuses
}

// opsQueue is the command queue: it retries through the store and counts.
type opsQueue struct {
	s       store.Store
	retried atomic.Int64
}

func (q *opsQueue) Submit(context.Context, *store.Submission) (*store.SubmitResult, error) {
	return nil, errors.New("not in these tests")
}

func (q *opsQueue) Retry(ctx context.Context, ws string, id int64) (*model.Command, error) {
	q.retried.Add(1)
	return q.s.RetryCommand(ctx, ws, id, nil)
}

// opsStatuses answers the connections' status from a fixed list.
type opsStatuses struct{ list []*model.ConnectionStatus }

func (s *opsStatuses) Connections(_ context.Context, ws string) ([]*model.ConnectionStatus, error) {
	var out []*model.ConnectionStatus
	for _, c := range s.list {
		if c.Workspace == ws {
			out = append(out, c)
		}
	}
	return out, nil
}

func newOpsHub(t *testing.T, withQueue bool) *opsHub {
	t.Helper()
	h := &opsHub{t: t, store: sqlite.OpenTest(t), statuses: &opsStatuses{}}
	cfg := Config{Store: h.store, Keys: []api.Key{{Workspace: "acme", Secret: "acme-key"}, {Workspace: "other", Secret: "other-key"}},
		Statuses: h.statuses, DeliveryRetried: func() { h.woken.Add(1) }}
	if withQueue {
		h.queue = &opsQueue{s: h.store}
		cfg.Commands = h.queue
	}
	ui, err := New(cfg)
	require.NoError(t, err)
	h.srv = httptest.NewServer(ui.Handler())
	t.Cleanup(h.srv.Close)
	return h
}

// opsBrowser is a signed-in client of one workspace.
type opsBrowser struct {
	t    *testing.T
	hub  *opsHub
	c    *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (h *opsHub) signIn(key string) *opsBrowser {
	h.t.Helper()
	b := &opsBrowser{t: h.t, hub: h, c: SignedInClient(h.t, h.srv.URL, key)}
	_, body := b.get("/ui/deliveries")
	m := csrfField.FindStringSubmatch(body)
	require.NotNil(h.t, m, "the page carries a CSRF token")
	b.csrf = m[1]
	return b
}

func (b *opsBrowser) get(path string) (int, string) {
	b.t.Helper()
	return GetPage(b.t, b.c, b.hub.srv.URL+path)
}

// post submits a form with the session's CSRF token, unless noCSRF.
func (b *opsBrowser) post(path string, form url.Values, noCSRF bool) (int, string, string) {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !noCSRF {
		form.Set("csrf", b.csrf)
	}
	res, err := b.c.PostForm(b.hub.srv.URL+path, form)
	require.NoError(b.t, err)
	defer func() { _ = res.Body.Close() }()
	body, err := io.ReadAll(res.Body)
	require.NoError(b.t, err)
	return res.StatusCode, res.Header.Get("Location"), string(body)
}

func (h *opsHub) endpoint(ws string) *model.Endpoint {
	h.t.Helper()
	e := &model.Endpoint{Workspace: ws, URL: "https://" + ws + ".example/hooks", Events: []string{"*"}, Source: model.EndpointFromAPI,
		Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	require.NoError(h.t, h.store.CreateEndpoint(context.Background(), e))
	return e
}

var opsSubject atomic.Int64

// deliveries queues n shipment.created deliveries in ws and returns their
// ids, oldest first.
func (h *opsHub) deliveries(ws string, n int) []int64 {
	h.t.Helper()
	ctx := context.Background()
	var evs []*model.FeedEvent
	for range n {
		evs = append(evs, &model.FeedEvent{Workspace: ws, Type: model.EventShipmentCreated, SubjectID: opsSubject.Add(1), OccurredAt: time.Now(), Data: []byte(`{}`)})
	}
	require.NoError(h.t, h.store.AppendFeedEvents(ctx, evs))
	list, err := h.store.ListDeliveries(ctx, store.DeliveryFilter{Workspace: ws, Status: model.DeliveryPending, Limit: 1000})
	require.NoError(h.t, err)
	var ids []int64
	for i := len(list) - 1; i >= 0 && len(ids) < n; i-- {
		ids = append(ids, list[i].ID)
	}
	return ids
}

// attempt claims every due delivery and records one attempt of each:
// answered with code, and the delivery's new status.
func (h *opsHub) attempt(code int, status string) {
	h.t.Helper()
	ctx := context.Background()
	jobs, err := h.store.ClaimDeliveries(ctx, 1000, time.Minute)
	require.NoError(h.t, err)
	var rs []store.AttemptResult
	for _, j := range jobs {
		a := model.DeliveryAttempt{AttemptedAt: time.Now(), DurationMS: 12.5, StatusCode: code, Response: "<b>answer</b>"}
		if code >= 300 {
			a.Error = fmt.Sprintf("HTTP %d", code)
		}
		rs = append(rs, store.AttemptResult{DeliveryID: j.Delivery.ID, EndpointID: j.Delivery.EndpointID, Attempt: a, Status: status, Healthy: code < 300})
	}
	_, err = h.store.RecordAttempts(ctx, rs)
	require.NoError(h.t, err)
}

func (h *opsHub) deliveryStatus(ws string, id int64) string {
	h.t.Helper()
	d, err := h.store.GetDelivery(context.Background(), ws, id)
	require.NoError(h.t, err)
	return d.Status
}

// command submits an order.create in ws and takes it to status.
func (h *opsHub) command(ws, ref string, status model.CommandStatus) *model.Command {
	h.t.Helper()
	ctx := context.Background()
	req := model.OrderRequest{Reference: ref, Lines: []model.OrderRequestLine{{SKU: "CS1001", Quantity: 1}},
		DeliveryAddress: model.Address{FirstName: "Ada", Street: "Meir", HouseNumber: "1", Postcode: "2000", City: "Antwerpen", Country: "BE"}}
	payload, err := json.Marshal(req)
	require.NoError(h.t, err)
	res, err := h.store.SubmitCommand(ctx, &store.Submission{Workspace: ws, Connection: "wics", Provider: "wics", Kind: model.CommandOrderCreate, Payload: payload,
		Order:       &model.Order{Reference: ref, Status: model.OrderPending, Lines: []model.OrderLine{{LineNumber: 1, SKU: "CS1001", Quantity: 1}}, DeliveryAddress: &req.DeliveryAddress},
		RequestHash: "hash-" + ref, Now: time.Now()}, nil)
	require.NoError(h.t, err)
	cmd := res.Command
	if status == model.CommandQueued {
		return cmd
	}
	_, err = h.store.StartCommand(ctx, cmd.ID, time.Now())
	require.NoError(h.t, err)
	o := store.CommandOutcome{Status: status, Now: time.Now()}
	switch status {
	case model.CommandFailed:
		o.Error, o.NextAttemptAt = "provider said <no>", time.Now().Add(time.Hour)
	case model.CommandDead:
		o.Error = "refused for good"
	}
	cmd, err = h.store.FinishCommand(ctx, cmd.ID, o)
	require.NoError(h.t, err)
	return cmd
}

func (h *opsHub) commandStatus(ws string, id int64) model.CommandStatus {
	h.t.Helper()
	c, err := h.store.GetCommand(context.Background(), ws, id)
	require.NoError(h.t, err)
	return c.Status
}

func rowOf(attr string, id int64) string { return fmt.Sprintf(`%s="%d"`, attr, id) }

func TestOpsPagesShowOnlyTheirWorkspace(t *testing.T) {
	t.Parallel()
	h := newOpsHub(t, true)
	acmeEP, otherEP := h.endpoint("acme"), h.endpoint("other")
	acmeDel, otherDel := h.deliveries("acme", 1)[0], h.deliveries("other", 1)[0]
	h.attempt(500, model.DeliveryFailed)
	acmeCmd, otherCmd := h.command("acme", "A-1", model.CommandDead), h.command("other", "O-1", model.CommandDead)
	ctx := context.Background()
	require.NoError(t, h.store.RecordIntakeError(ctx, &model.IntakeError{Workspace: "acme", Connection: "courier", Source: model.SourceFTP, Name: "acme.csv", Reason: "acme-reason", Body: []byte("x")}))
	require.NoError(t, h.store.RecordIntakeError(ctx, &model.IntakeError{Workspace: "other", Connection: "courier", Source: model.SourceFTP, Name: "other.csv", Reason: "other-reason", Body: []byte("y")}))
	h.statuses.list = []*model.ConnectionStatus{
		{ID: "acme-conn", Workspace: "acme", Provider: "courier", Health: model.ConnectionHealth{Status: model.HealthHealthy}},
		{ID: "other-conn", Workspace: "other", Provider: "courier", Health: model.ConnectionHealth{Status: model.HealthHealthy}},
	}
	b := h.signIn("acme-key")

	for _, tc := range []struct {
		name, path string
		want, not  []string
	}{
		{"DeliveriesShowTheWorkspacesEndpointsAndDeadLetters", "/ui/deliveries",
			[]string{rowOf("data-endpoint-id", acmeEP.ID), rowOf("data-delivery-id", acmeDel), `id="dead-letters"`, "acme.example"},
			[]string{rowOf("data-endpoint-id", otherEP.ID), rowOf("data-delivery-id", otherDel), "other.example"}},
		{"CommandsShowTheWorkspacesCommands", "/ui/commands",
			[]string{rowOf("data-command-id", acmeCmd.ID), `id="commands"`, `class="retry-command"`},
			[]string{rowOf("data-command-id", otherCmd.ID)}},
		{"ConnectionsShowTheWorkspacesConnectionsAndIntakeErrors", "/ui/connections",
			[]string{`data-connection="acme-conn"`, "acme-reason", "acme.csv"},
			[]string{"other-conn", "other-reason", "other.csv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := b.get(tc.path)
			require.Equal(t, http.StatusOK, code)
			for _, w := range tc.want {
				require.Contains(t, body, w)
			}
			for _, n := range tc.not {
				require.NotContains(t, body, n)
			}
		})
	}
}

func TestOpsRetryingADeadLetterQueuesItAndWakesTheWorker(t *testing.T) {
	t.Parallel()
	h := newOpsHub(t, false)
	h.endpoint("acme")
	id := h.deliveries("acme", 1)[0]
	h.attempt(503, model.DeliveryFailed)
	b := h.signIn("acme-key")

	code, body := b.get("/ui/deliveries")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `class="retry-delivery"`)
	require.Contains(t, body, "HTTP 503", "the attempt log and the row show the answer")
	require.Contains(t, body, "&lt;b&gt;answer&lt;/b&gt;", "the response excerpt is escaped")

	require.Contains(t, body, `name="back" value="/ui/deliveries"`)
	code, loc, _ := b.post(fmt.Sprintf("/ui/deliveries/%d/retry", id), url.Values{"back": {"/ui/deliveries?endpoint=1"}}, false)
	require.Equal(t, http.StatusSeeOther, code)
	require.Equal(t, model.DeliveryPending, h.deliveryStatus("acme", id))
	require.Contains(t, loc, "endpoint=1", "the filters are kept")
	require.EqualValues(t, 1, h.woken.Load(), "the delivery worker was woken")
	require.Contains(t, loc, fmt.Sprintf("watch=%d", id))

	// The page after the redirect keeps the retried delivery in view, and
	// its row polls while it is pending.
	code, body = b.get(loc)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "queued again")
	require.Contains(t, body, fmt.Sprintf(`hx-get="/ui/deliveries/%d/row" hx-trigger="every 2s"`, id))

	h.attempt(200, model.DeliverySucceeded)
	code, row := b.get(fmt.Sprintf("/ui/deliveries/%d/row", id))
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, row, rowOf("data-delivery-id", id))
	require.Regexp(t, `class="delivery-status"><span class="badge status-delivered">delivered</span>`, row)
	require.NotContains(t, row, "hx-trigger", "a delivered row stops polling")

	code, _, body = b.post(fmt.Sprintf("/ui/deliveries/%d/retry", id), nil, false)
	require.Equal(t, http.StatusConflict, code, "a delivered delivery is not retryable")
	require.Contains(t, body, "not a dead letter")
	require.EqualValues(t, 1, h.woken.Load())
}

func TestOpsRecoverSinceRequeuesTheDeadLettersSinceThen(t *testing.T) {
	t.Parallel()
	h := newOpsHub(t, false)
	ep := h.endpoint("acme")
	ids := h.deliveries("acme", 3)
	h.attempt(500, model.DeliveryFailed)
	_, err := h.store.DisableEndpoint(context.Background(), ep.ID, "answered 410")
	require.NoError(t, err)
	b := h.signIn("acme-key")
	_, body := b.get("/ui/deliveries")
	require.Contains(t, body, "disabled")
	require.Contains(t, body, `class="recover-since"`)
	require.Contains(t, body, "(UTC)", "the since field says it is UTC")

	for _, tc := range []struct {
		name  string
		since time.Time
		want  int
	}{
		{"ATimeAfterEveryDeadLetterRequeuesNone", time.Now().UTC().Add(time.Hour), 0},
		{"ATimeBeforeThemRequeuesAll", time.Now().UTC().Add(-time.Hour), 3},
	} {
		code, loc, _ := b.post(fmt.Sprintf("/ui/endpoints/%d/recover", ep.ID), url.Values{"since": {tc.since.Format("2006-01-02T15:04")}}, false)
		require.Equal(t, http.StatusSeeOther, code, tc.name)
		_, page := b.get(loc)
		require.Contains(t, page, fmt.Sprintf("%d dead letters since", tc.want), tc.name)
	}
	for _, id := range ids {
		require.Equal(t, model.DeliveryPending, h.deliveryStatus("acme", id))
	}
	require.EqualValues(t, 2, h.woken.Load())

	code, _, _ := b.post(fmt.Sprintf("/ui/endpoints/%d/recover", ep.ID), url.Values{"since": {"yesterday"}}, false)
	require.Equal(t, http.StatusBadRequest, code)
}

func TestOpsAnotherWorkspacesIDsAreNotFoundAndChangeNothing(t *testing.T) {
	t.Parallel()
	h := newOpsHub(t, true)
	ep := h.endpoint("other")
	del := h.deliveries("other", 1)[0]
	h.attempt(500, model.DeliveryFailed)
	_, err := h.store.DisableEndpoint(context.Background(), ep.ID, "gone")
	require.NoError(t, err)
	cmd := h.command("other", "O-2", model.CommandDead)
	b := h.signIn("acme-key")

	for _, tc := range []struct {
		name, path string
		form       url.Values
	}{
		{"RetryingADelivery", fmt.Sprintf("/ui/deliveries/%d/retry", del), nil},
		{"RecoveringAnEndpoint", fmt.Sprintf("/ui/endpoints/%d/recover", ep.ID), url.Values{"since": {"2000-01-01T00:00"}}},
		{"RetryingACommand", fmt.Sprintf("/ui/commands/%d/retry", cmd.ID), nil},
	} {
		code, _, body := b.post(tc.path, tc.form, false)
		require.Equal(t, http.StatusNotFound, code, tc.name)
		require.Contains(t, body, `class="error-message"`, tc.name)
	}
	code, _ := b.get(fmt.Sprintf("/ui/deliveries/%d/row", del))
	require.Equal(t, http.StatusNotFound, code)
	_, body := b.get(fmt.Sprintf("/ui/deliveries?watch=%d", del))
	require.NotContains(t, body, rowOf("data-delivery-id", del))

	require.Equal(t, model.DeliveryFailed, h.deliveryStatus("other", del))
	got, err := h.store.GetEndpoint(context.Background(), "other", ep.ID)
	require.NoError(t, err)
	require.NotNil(t, got.DisabledAt, "the endpoint is still disabled")
	require.Equal(t, model.CommandDead, h.commandStatus("other", cmd.ID))
	require.Zero(t, h.woken.Load())
	require.EqualValues(t, 1, h.queue.retried.Load(), "the queue was asked and said not found")
}

func TestOpsAFormWithoutItsCSRFTokenIsRefusedAndChangesNothing(t *testing.T) {
	t.Parallel()
	h := newOpsHub(t, true)
	ep := h.endpoint("acme")
	del := h.deliveries("acme", 1)[0]
	h.attempt(500, model.DeliveryFailed)
	cmd := h.command("acme", "A-3", model.CommandDead)
	b := h.signIn("acme-key")

	for _, tc := range []struct {
		name, path string
		form       url.Values
	}{
		{"RetryingADelivery", fmt.Sprintf("/ui/deliveries/%d/retry", del), nil},
		{"RecoveringAnEndpoint", fmt.Sprintf("/ui/endpoints/%d/recover", ep.ID), url.Values{"since": {"2000-01-01T00:00"}}},
		{"RetryingACommand", fmt.Sprintf("/ui/commands/%d/retry", cmd.ID), nil},
	} {
		code, _, _ := b.post(tc.path, tc.form, true)
		require.Equal(t, http.StatusForbidden, code, tc.name)
	}
	require.Equal(t, model.DeliveryFailed, h.deliveryStatus("acme", del))
	require.Equal(t, model.CommandDead, h.commandStatus("acme", cmd.ID))
	require.Zero(t, h.woken.Load())
	require.Zero(t, h.queue.retried.Load())
}

func TestOpsConnectionsShowHealthBudgetAndIntakeErrors(t *testing.T) {
	t.Parallel()
	h := newOpsHub(t, false)
	now := time.Now().UTC()
	last, blocked := now.Add(-3*time.Minute), now.Add(10*time.Minute)
	h.statuses.list = []*model.ConnectionStatus{
		{ID: "wics", Workspace: "acme", Provider: "wics", Health: model.ConnectionHealth{Status: model.HealthUnhealthy, Reason: "login refused"},
			LastMessageAt: &last, LastError: &model.ConnectionError{Reason: "bad file", At: last},
			Budget: &model.ConnectionBudget{PerMinute: 150, PerDay: 20000, MinuteLeft: 42, DayLeft: 19000, BlockedUntil: &blocked, Violations: 2}},
		{ID: "courier", Workspace: "acme", Provider: "courier", Health: model.ConnectionHealth{Status: model.HealthHealthy}},
	}
	ctx := context.Background()
	require.NoError(t, h.store.RecordIntakeError(ctx, &model.IntakeError{Workspace: "acme", Connection: "courier", Source: model.SourceFTP,
		Name: "status.csv", Reason: "line 2: no barcode", Ref: "quarantine/acme/courier/status.csv", Size: 40, Body: []byte("<script>alert(1)</script>")}))
	require.NoError(t, h.store.RecordIntakeError(ctx, &model.IntakeError{Workspace: "acme", Connection: "wics", Source: model.SourceFTP, Name: "wics.xml", Reason: "not xml", Body: []byte("z")}))
	b := h.signIn("acme-key")

	code, body := b.get("/ui/connections")
	require.Equal(t, http.StatusOK, code)
	for _, want := range []string{
		`data-connection="wics"`, `data-connection="courier"`,
		"✗</span> unhealthy", "login refused", "✓</span> healthy", "3m ago", "bad file",
		`<meter id="minute-wics" min="0" max="150"`, `value="42"`, "42 of 150 per minute left", "19000 of 20000 per day left",
		"Blocked", "block level 2", "This provider sets no rate limit.",
		"line 2: no barcode", "quarantine/acme/courier/status.csv", "&lt;script&gt;alert(1)&lt;/script&gt;", "not xml",
	} {
		require.Contains(t, body, want)
	}
	require.NotContains(t, body, "<script>alert(1)")

	_, body = b.get("/ui/connections?connection=wics")
	require.Contains(t, body, "not xml")
	require.NotContains(t, body, "no barcode", "the filter keeps one connection's errors")

	code, body = b.get("/ui/connections/cards")
	require.Equal(t, http.StatusOK, code)
	require.True(t, strings.HasPrefix(strings.TrimSpace(body), `<div id="connections"`), "the refreshed fragment is the cards alone")
	require.Contains(t, body, "42 of 150 per minute left")
	require.NotContains(t, body, `<table id="intake-errors"`)

	// A block that has ended is not shown.
	past := now.Add(-time.Minute)
	h.statuses.list[0].Budget.BlockedUntil = &past
	_, body = b.get("/ui/connections")
	require.NotContains(t, body, "Blocked")
}

func TestOpsCommandsListProblemsByDefaultAndRetry(t *testing.T) {
	t.Parallel()
	h := newOpsHub(t, true)
	dead, failed := h.command("acme", "A-10", model.CommandDead), h.command("acme", "A-11", model.CommandFailed)
	queued, ok := h.command("acme", "A-12", model.CommandQueued), h.command("acme", "A-13", model.CommandSucceeded)
	b := h.signIn("acme-key")

	for _, tc := range []struct {
		name, query string
		want, not   []*model.Command
	}{
		{"TheDefaultIsFailedAndDead", "", []*model.Command{dead, failed}, []*model.Command{queued, ok}},
		{"AllListsEveryCommand", "?status=all", []*model.Command{dead, failed, queued, ok}, nil},
		{"OneStatus", "?status=succeeded", []*model.Command{ok}, []*model.Command{dead, failed, queued}},
		{"ConnectionFilter", "?status=all&connection=nope", nil, []*model.Command{dead, failed, queued, ok}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := b.get("/ui/commands" + tc.query)
			require.Equal(t, http.StatusOK, code)
			for _, c := range tc.want {
				require.Contains(t, body, rowOf("data-command-id", c.ID))
			}
			for _, c := range tc.not {
				require.NotContains(t, body, rowOf("data-command-id", c.ID))
			}
		})
	}
	_, body := b.get("/ui/commands")
	require.Contains(t, body, fmt.Sprintf(`href="/ui/orders/%d"`, dead.SubjectID), "the subject links to its order")
	require.Contains(t, body, "provider said &lt;no&gt;")

	code, loc, _ := b.post(fmt.Sprintf("/ui/commands/%d/retry", dead.ID), url.Values{"back": {"/ui/commands?status=all"}}, false)
	require.Equal(t, http.StatusSeeOther, code)
	require.Equal(t, model.CommandQueued, h.commandStatus("acme", dead.ID))
	require.True(t, strings.HasPrefix(loc, "/ui/commands?"), loc)
	require.Contains(t, loc, "status=all")
	_, body = b.get(loc)
	require.Contains(t, body, "queued again")

	code, loc, _ = b.post(fmt.Sprintf("/ui/commands/%d/retry", ok.ID), url.Values{"back": {"https://evil.example/"}}, false)
	require.Equal(t, http.StatusSeeOther, code)
	require.True(t, strings.HasPrefix(loc, "/ui/commands?"), "back never leaves the page: %s", loc)
	_, body = b.get(loc)
	require.Contains(t, body, "not retryable")
	require.Equal(t, model.CommandSucceeded, h.commandStatus("acme", ok.ID))

	code, body = b.get("/ui/commands/rows?status=all")
	require.Equal(t, http.StatusOK, code)
	require.True(t, strings.HasPrefix(strings.TrimSpace(body), `<tbody id="command-rows"`), "the live fragment is the table body")
}

func TestOpsCommandsWithoutAQueueHaveNoRetry(t *testing.T) {
	t.Parallel()
	h := newOpsHub(t, false)
	dead := h.command("acme", "A-20", model.CommandDead)
	b := h.signIn("acme-key")
	_, body := b.get("/ui/commands")
	require.Contains(t, body, rowOf("data-command-id", dead.ID))
	require.NotContains(t, body, "retry-command")
	code, _, _ := b.post(fmt.Sprintf("/ui/commands/%d/retry", dead.ID), nil, false)
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, model.CommandDead, h.commandStatus("acme", dead.ID))
}

func TestOpsListsArePaged(t *testing.T) {
	t.Parallel()
	h := newOpsHub(t, false)
	ep := h.endpoint("acme")
	ids := h.deliveries("acme", opsPageLimit+5)
	h.attempt(500, model.DeliveryFailed)
	h.deliveries("acme", 3) // pending, newer than the dead letters
	b := h.signIn("acme-key")
	next := regexp.MustCompile(`href="(/ui/deliveries\?[^"]+)" rel="next"`)
	for _, tc := range []struct {
		name, path string
		// rest is how many rows the second page has.
		rest int
	}{
		{"TheWorkspacesDeadLetters", "/ui/deliveries", 5},
		{"OneEndpointsDeadLetters", fmt.Sprintf("/ui/deliveries?endpoint=%d", ep.ID), 5},
		{"EveryStatusOfOneEndpoint", fmt.Sprintf("/ui/deliveries?status=all&endpoint=%d", ep.ID), 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, body := b.get(tc.path)
			require.Equal(t, opsPageLimit, strings.Count(body, "<tr data-delivery-id="))
			require.NotContains(t, body, rowOf("data-delivery-id", ids[0]), "the oldest is on the next page")
			m := next.FindStringSubmatch(body)
			require.NotNil(t, m)
			_, body = b.get(strings.ReplaceAll(m[1], "&amp;", "&"))
			require.Equal(t, tc.rest, strings.Count(body, "<tr data-delivery-id="))
			require.Contains(t, body, rowOf("data-delivery-id", ids[0]))
			require.Nil(t, next.FindStringSubmatch(body), "the last page has no next")
		})
	}
}

func TestOpsAnEndpointsAttemptLogIsNotHiddenByNewDeliveries(t *testing.T) {
	t.Parallel()
	h := newOpsHub(t, false)
	ep := h.endpoint("acme")
	h.deliveries("acme", 3)
	h.attempt(500, model.DeliveryFailed)
	h.deliveries("acme", 2)
	h.attempt(200, model.DeliverySucceeded)
	h.deliveries("acme", deliveriesSampled+2) // queued, not attempted yet
	b := h.signIn("acme-key")
	_, body := b.get(fmt.Sprintf("/ui/deliveries?endpoint=%d", ep.ID))
	require.Equal(t, 5, strings.Count(body, "<tr data-attempt-id="))
	require.Contains(t, body, "200 <span class=\"badge status-delivered\">✓ ok</span>")
	require.Contains(t, body, "12.5 ms")
}

func TestOpsBadFiltersAreRefused(t *testing.T) {
	t.Parallel()
	h := newOpsHub(t, true)
	b := h.signIn("acme-key")
	for _, path := range []string{
		"/ui/deliveries?status=bogus",
		"/ui/deliveries?endpoint=x",
		"/ui/deliveries?before=-3",
		"/ui/deliveries?endpoint=1&before=5",
		"/ui/deliveries?endpoint=1&before=5&at=soon",
		"/ui/commands?status=bogus",
		"/ui/commands?before=x",
		"/ui/connections?before=0",
	} {
		code, body := b.get(path)
		require.Equal(t, http.StatusBadRequest, code, path)
		require.Contains(t, body, `class="error-message"`, path)
	}
	for _, path := range []string{"/ui/deliveries/x/row", "/ui/deliveries/0/row", "/ui/deliveries/999/row"} {
		code, _ := b.get(path)
		require.Equal(t, http.StatusNotFound, code, path)
	}
}
