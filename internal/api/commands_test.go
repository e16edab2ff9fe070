package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

type productCommand struct {
	Product model.Product `json:"product"`
	Command model.Command `json:"command"`
}

type inboundCommand struct {
	Inbound model.Inbound `json:"inbound"`
	Command model.Command `json:"command"`
}

type commandPage struct {
	Data       []model.Command `json:"data"`
	NextCursor string          `json:"next_cursor"`
}

func TestCreateProductIsAnUpsert(t *testing.T) {
	t.Parallel()
	e := newCommandEnv(t)

	r := e.post(t, "/api/v1/products", acmeKey, "", fixtureBody(t, "product_request.json", nil))
	require.Equal(t, http.StatusAccepted, r.code, "body: %s", r.body)
	first := decode[productCommand](t, r)
	require.Equal(t, "TSHIRT-RED-M", first.Product.SKU)
	require.Equal(t, "T-shirt red, M", first.Product.Name)
	require.Equal(t, []string{"8712345678906", "8712345678913"}, first.Product.Barcodes)
	require.Equal(t, "wics", first.Product.Connection)
	require.Equal(t, model.CommandProductUpsert, first.Command.Kind)
	require.Equal(t, first.Product.ID, first.Command.SubjectID)

	// The same SKU again is an update of the same product, not a conflict.
	r = e.post(t, "/api/v1/products", acmeKey, "", fixtureBody(t, "product_request.json", func(m map[string]any) {
		m["name"] = "T-shirt red, size M"
	}))
	require.Equal(t, http.StatusAccepted, r.code, "body: %s", r.body)
	second := decode[productCommand](t, r)
	require.Equal(t, first.Product.ID, second.Product.ID)
	require.NotEqual(t, first.Command.ID, second.Command.ID)
	require.Equal(t, first.Product.ID, second.Command.SubjectID)
	var payload model.ProductRequest
	require.NoError(t, json.Unmarshal(second.Command.Payload, &payload))
	require.Equal(t, "T-shirt red, size M", payload.Name, "the update carries the new name to the provider")
	require.Len(t, e.st.products, 1)

	for _, tc := range []struct {
		name   string
		edit   func(m map[string]any)
		fields []string
	}{
		{"NoSKU", func(m map[string]any) { delete(m, "sku") }, []string{"body.sku"}},
		{"NoName", func(m map[string]any) { m["name"] = "" }, []string{"body.name"}},
		{"ABlankBarcode", func(m map[string]any) { m["barcodes"] = []any{"8712345678906", " "} }, []string{"body.barcodes[1]"}},
		{"AConnectionWithoutProducts", func(m map[string]any) { m["connection"] = "aa" }, []string{"body.connection"}},
	} {
		before := len(e.queue.submissions)
		p := requireProblem(t, e.post(t, "/api/v1/products", acmeKey, "", fixtureBody(t, "product_request.json", tc.edit)), http.StatusUnprocessableEntity)
		require.Equal(t, tc.fields, locations(p), tc.name)
		require.Len(t, e.queue.submissions, before, "%s: nothing is queued", tc.name)
	}
}

func TestCreateAndCancelInbound(t *testing.T) {
	t.Parallel()
	e := newCommandEnv(t)

	r := e.post(t, "/api/v1/inbound", acmeKey, "po-1", fixtureBody(t, "inbound_request.json", nil))
	require.Equal(t, http.StatusAccepted, r.code, "body: %s", r.body)
	got := decode[inboundCommand](t, r)
	i := got.Inbound
	require.Equal(t, "PO-2026-0117", i.Reference)
	require.Equal(t, model.InboundAnnounced, i.Status)
	require.Equal(t, []model.InboundLine{{LineNumber: 1, SKU: "TSHIRT-RED-M", Expected: 120}, {LineNumber: 2, SKU: "MUG-BLUE", Expected: 48}}, i.Lines)
	require.Equal(t, time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC), *i.ExpectedAt)
	require.Equal(t, model.CommandInboundCreate, got.Command.Kind)
	require.Equal(t, i.ID, got.Command.SubjectID)

	requireProblem(t, e.post(t, "/api/v1/inbound", acmeKey, "", fixtureBody(t, "inbound_request.json", nil)), http.StatusConflict)
	p := requireProblem(t, e.post(t, "/api/v1/inbound", acmeKey, "", fixtureBody(t, "inbound_request.json", func(m map[string]any) {
		m["lines"].([]any)[1].(map[string]any)["quantity"] = 0
		m["expected_at"] = "soon"
	})), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"body.lines[1].quantity", "body.expected_at"}, locations(p))

	path := fmt.Sprintf("/api/v1/inbound/%d/cancel", i.ID)
	requireProblem(t, e.post(t, path, globexKey, "", ""), http.StatusNotFound)
	r = e.post(t, path, acmeKey, "", "")
	require.Equal(t, http.StatusAccepted, r.code, "body: %s", r.body)
	cancel := decode[inboundCommand](t, r)
	require.Equal(t, model.CommandInboundCancel, cancel.Command.Kind)
	require.Equal(t, i.ID, cancel.Command.SubjectID)

	e.st.mu.Lock()
	e.st.inbound[0].Status = model.InboundReceived
	e.st.mu.Unlock()
	requireProblem(t, e.post(t, path, acmeKey, "", ""), http.StatusConflict)
	_, enqueued := e.queue.counts()
	require.Equal(t, 2, enqueued, "the announcement and its cancel")
}

// TestCommandsAreListedPagedAndRetried checks the command routes: filters,
// cursor paging, workspace isolation, and retry of failed and dead
// commands only.
func TestCommandsAreListedPagedAndRetried(t *testing.T) {
	t.Parallel()
	e := newCommandEnv(t)
	var ids []int64
	for n := range 5 {
		body := fixtureBody(t, "order_request.json", func(m map[string]any) { m["reference"] = fmt.Sprintf("ACME-%d", n) })
		ids = append(ids, decode[orderCommand](t, e.post(t, "/api/v1/orders", acmeKey, "", body)).Command.ID)
	}
	decode[productCommand](t, e.post(t, "/api/v1/products", acmeKey, "", fixtureBody(t, "product_request.json", nil)))
	decode[orderCommand](t, e.post(t, "/api/v1/orders", globexKey, "", fixtureBody(t, "order_request.json", nil)))
	e.st.mu.Lock()
	e.st.commands[1].Status, e.st.commands[1].LastError = model.CommandDead, "refused by the provider: unknown item MUG-BLUE"
	e.st.commands[2].Status = model.CommandFailed
	e.st.mu.Unlock()

	// Paging: newest first, continued by the cursor, to the end.
	var seen []int64
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5)
		r := get(t, e.h, "/api/v1/commands?kind=order.create&limit=2&cursor="+cursor, acmeKey)
		require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
		page := decode[commandPage](t, r)
		for _, c := range page.Data {
			require.Equal(t, "acme", c.Workspace)
			require.Equal(t, model.CommandOrderCreate, c.Kind)
			seen = append(seen, c.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	require.Equal(t, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}, seen)

	dead := decode[commandPage](t, get(t, e.h, "/api/v1/commands?status=dead", acmeKey))
	require.Len(t, dead.Data, 1)
	require.Equal(t, ids[1], dead.Data[0].ID)
	require.Equal(t, "refused by the provider: unknown item MUG-BLUE", dead.Data[0].LastError)
	require.Len(t, decode[commandPage](t, get(t, e.h, "/api/v1/commands?connection=wics", acmeKey)).Data, 6)
	require.Empty(t, decode[commandPage](t, get(t, e.h, "/api/v1/commands?connection=aa", acmeKey)).Data)
	require.Len(t, decode[commandPage](t, get(t, e.h, "/api/v1/commands", globexKey)).Data, 1, "globex sees only its own")

	for _, bad := range []string{"status=lost", "limit=0", "limit=201", "cursor=zzz"} {
		requireProblem(t, get(t, e.h, "/api/v1/commands?"+bad, acmeKey), http.StatusBadRequest)
	}

	got := decode[model.Command](t, get(t, e.h, fmt.Sprintf("/api/v1/commands/%d", ids[1]), acmeKey))
	require.Equal(t, model.CommandDead, got.Status)
	requireProblem(t, get(t, e.h, fmt.Sprintf("/api/v1/commands/%d", ids[1]), globexKey), http.StatusNotFound)
	requireProblem(t, get(t, e.h, "/api/v1/commands/999999", acmeKey), http.StatusNotFound)
	requireProblem(t, get(t, e.h, "/api/v1/commands/0", acmeKey), http.StatusBadRequest)

	retry := func(id int64, key string) response {
		return e.post(t, fmt.Sprintf("/api/v1/commands/%d/retry", id), key, "", "")
	}
	requireProblem(t, retry(ids[1], globexKey), http.StatusNotFound)
	for _, id := range []int64{ids[1], ids[2]} { // dead, failed
		r := retry(id, acmeKey)
		require.Equal(t, http.StatusAccepted, r.code, "body: %s", r.body)
		require.Equal(t, model.CommandQueued, decode[model.Command](t, r).Status)
	}
	requireProblem(t, retry(ids[0], acmeKey), http.StatusConflict)
	requireProblem(t, retry(ids[1], acmeKey), http.StatusConflict)
	require.Equal(t, []int64{ids[1], ids[2], ids[0], ids[1]}, e.queue.retries, "the other workspace's retry never reached the queue")
}

func TestCommandsLeakNothingFromABuggyStore(t *testing.T) {
	t.Parallel()
	e := newCommandEnv(t)
	decode[orderCommand](t, e.post(t, "/api/v1/orders", globexKey, "", fixtureBody(t, "order_request.json", nil)))
	e.st.mu.Lock()
	e.st.leak = true
	id := e.st.commands[0].ID
	e.st.mu.Unlock()
	require.Empty(t, decode[commandPage](t, get(t, e.h, "/api/v1/commands", acmeKey)).Data)
	requireProblem(t, get(t, e.h, fmt.Sprintf("/api/v1/commands/%d", id), acmeKey), http.StatusNotFound)
	requireProblem(t, e.post(t, fmt.Sprintf("/api/v1/commands/%d/retry", id), acmeKey, "", ""), http.StatusNotFound)
}

func TestConnectionsShowHealthActivityAndBudget(t *testing.T) {
	t.Parallel()
	e := newCommandEnv(t)
	checked, last, blocked := t0.Add(-time.Minute), t0.Add(-10*time.Second), t0.Add(4*time.Minute)
	e.statuses.list = []*model.ConnectionStatus{
		{ID: "wics", Workspace: "acme", Provider: "wics",
			Health:        model.ConnectionHealth{Status: model.HealthUnhealthy, Reason: "login refused: 401", CheckedAt: &checked},
			LastMessageAt: &last,
			Budget:        &model.ConnectionBudget{PerMinute: 150, PerDay: 20000, MinuteLeft: 0, DayLeft: 19850, BlockedUntil: &blocked, Violations: 2}},
		{ID: "courier", Workspace: "acme", Provider: "courier", Health: model.ConnectionHealth{Status: model.HealthUnknown},
			LastError: &model.ConnectionError{Reason: "bad input: decoding courier JSON", At: t0}},
		{ID: "wics", Workspace: "globex", Provider: "wics", Health: model.ConnectionHealth{Status: model.HealthHealthy}},
	}
	e.statuses.leak = true // the API still shows only the key's workspace

	r := get(t, e.h, "/api/v1/connections", acmeKey)
	require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
	var got struct {
		Data []map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(r.body, &got))
	require.Len(t, got.Data, 2)
	require.Equal(t, map[string]any{
		"id": "wics", "workspace": "acme", "provider": "wics",
		"health":          map[string]any{"status": "unhealthy", "reason": "login refused: 401", "checked_at": "2025-03-01T08:59:00Z"},
		"last_message_at": "2025-03-01T08:59:50Z",
		"budget": map[string]any{"per_minute": 150.0, "per_day": 20000.0, "minute_left": 0.0, "day_left": 19850.0,
			"blocked_until": "2025-03-01T09:04:00Z", "violations": 2.0},
	}, got.Data[0])
	require.Equal(t, map[string]any{
		"id": "courier", "workspace": "acme", "provider": "courier",
		"health":     map[string]any{"status": "unknown"},
		"last_error": map[string]any{"reason": "bad input: decoding courier JSON", "at": "2025-03-01T09:00:00Z"},
	}, got.Data[1])

	requireProblem(t, get(t, newHandler(t, fixture(), nil), "/api/v1/connections", acmeKey), http.StatusServiceUnavailable)
	requireProblem(t, get(t, e.h, "/api/v1/connections", ""), http.StatusUnauthorized)
}
