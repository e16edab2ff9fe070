package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

type orderCommand struct {
	Order   model.Order   `json:"order"`
	Command model.Command `json:"command"`
}

func TestCreateOrderCommitsAPendingOrderAndItsCommand(t *testing.T) {
	t.Parallel()
	e := newCommandEnv(t)

	r := e.post(t, "/api/v1/orders", acmeKey, "", fixtureBody(t, "order_request.json", nil))
	require.Equal(t, http.StatusAccepted, r.code, "body: %s", r.body)
	got := decode[orderCommand](t, r)

	o := got.Order
	require.NotZero(t, o.ID)
	require.Equal(t, "acme", o.Workspace)
	require.Equal(t, "wics", o.Connection)
	require.Equal(t, "wics", o.Provider)
	require.Equal(t, "ACME-10042", o.Reference)
	require.Equal(t, model.OrderPending, o.Status)
	require.Equal(t, []model.OrderLine{
		{LineNumber: 1, SKU: "TSHIRT-RED-M", Description: "T-shirt red, M", Quantity: 2},
		{LineNumber: 2, SKU: "MUG-BLUE", Quantity: 1},
	}, o.Lines, "lines are numbered from 1")
	require.Equal(t, "Keizersgracht", o.DeliveryAddress.Street)
	require.Equal(t, "A", o.DeliveryAddress.HouseNumberAddition)
	require.Equal(t, *o.DeliveryAddress, *o.InvoiceAddress, "the invoice address defaults to the delivery address")
	require.Equal(t, "POSTNL", o.ShippingMethod)
	require.Equal(t, "Leave with the neighbours", o.Note)
	require.Equal(t, &model.CommandRef{ID: got.Command.ID, Status: "queued"}, o.LastCommand)

	c := got.Command
	require.Equal(t, model.CommandOrderCreate, c.Kind)
	require.Equal(t, model.CommandQueued, c.Status)
	require.Equal(t, o.ID, c.SubjectID)
	require.Equal(t, "acme", c.Workspace)
	require.Equal(t, "wics", c.Connection)

	// The payload is the canonical request, without the connection: the
	// connector builds the provider's request from it on every attempt.
	var payload model.OrderRequest
	require.NoError(t, json.Unmarshal(c.Payload, &payload))
	require.Equal(t, "2026-12-03", payload.DeliveryDate)
	require.Len(t, payload.Lines, 2)
	require.NotContains(t, string(c.Payload), `"connection"`)

	submits, enqueued := e.queue.counts()
	require.Equal(t, 1, submits)
	require.Equal(t, 1, enqueued)
	sub := e.queue.submissions[0]
	require.Len(t, sub.RequestHash, 64, "a SHA-256, in hex")
	require.Empty(t, sub.IdempotencyKey)

	// The order is readable like any other, and only in its workspace.
	require.Equal(t, http.StatusOK, get(t, e.h, fmt.Sprintf("/api/v1/orders/%d", o.ID), acmeKey).code)
	requireProblem(t, get(t, e.h, fmt.Sprintf("/api/v1/orders/%d", o.ID), globexKey), http.StatusNotFound)
	requireProblem(t, get(t, e.h, fmt.Sprintf("/api/v1/commands/%d", c.ID), globexKey), http.StatusNotFound)
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()

	t.Run("TheSameKeyAndRequestGiveTheSameAnswerAndQueueNothingAgain", func(t *testing.T) {
		t.Parallel()
		e := newCommandEnv(t)
		body := fixtureBody(t, "order_request.json", nil)
		first := e.post(t, "/api/v1/orders", acmeKey, "9f1c2b8e-order-1", body)
		require.Equal(t, http.StatusAccepted, first.code, "body: %s", first.body)
		again := e.post(t, "/api/v1/orders", acmeKey, "9f1c2b8e-order-1", body)
		require.Equal(t, http.StatusAccepted, again.code, "body: %s", again.body)

		a, b := decode[orderCommand](t, first), decode[orderCommand](t, again)
		require.Equal(t, a.Order.ID, b.Order.ID)
		require.Equal(t, a.Command.ID, b.Command.ID)
		_, enqueued := e.queue.counts()
		require.Equal(t, 1, enqueued, "one job: the replay committed nothing")
		require.Len(t, e.st.commands, 1)
		require.Len(t, e.st.orders, 1)
	})

	t.Run("TheSameKeyWithAnotherRequestIsRefused", func(t *testing.T) {
		t.Parallel()
		e := newCommandEnv(t)
		require.Equal(t, http.StatusAccepted, e.post(t, "/api/v1/orders", acmeKey, "k-1", fixtureBody(t, "order_request.json", nil)).code)
		other := fixtureBody(t, "order_request.json", func(m map[string]any) { m["note"] = "another note" })
		p := requireProblem(t, e.post(t, "/api/v1/orders", acmeKey, "k-1", other), http.StatusUnprocessableEntity)
		require.Equal(t, []string{"header.Idempotency-Key"}, locations(p))
		_, enqueued := e.queue.counts()
		require.Equal(t, 1, enqueued)
	})

	t.Run("TheSameReferenceWithoutTheKeyIsAConflict", func(t *testing.T) {
		t.Parallel()
		e := newCommandEnv(t)
		body := fixtureBody(t, "order_request.json", nil)
		require.Equal(t, http.StatusAccepted, e.post(t, "/api/v1/orders", acmeKey, "k-1", body).code)
		requireProblem(t, e.post(t, "/api/v1/orders", acmeKey, "", body), http.StatusConflict)
		requireProblem(t, e.post(t, "/api/v1/orders", acmeKey, "k-2", body), http.StatusConflict)
		_, enqueued := e.queue.counts()
		require.Equal(t, 1, enqueued)
	})

	t.Run("AKeyBelongsToItsWorkspace", func(t *testing.T) {
		t.Parallel()
		e := newCommandEnv(t)
		body := fixtureBody(t, "order_request.json", nil)
		a := decode[orderCommand](t, e.post(t, "/api/v1/orders", acmeKey, "shared-key", body))
		g := e.post(t, "/api/v1/orders", globexKey, "shared-key", body)
		require.Equal(t, http.StatusAccepted, g.code, "body: %s", g.body)
		b := decode[orderCommand](t, g)
		require.NotEqual(t, a.Order.ID, b.Order.ID)
		require.Equal(t, "globex", b.Order.Workspace)
	})

	t.Run("AnUnusableKeyIsABadRequest", func(t *testing.T) {
		t.Parallel()
		e := newCommandEnv(t)
		body := fixtureBody(t, "order_request.json", nil)
		for _, key := range []string{strings.Repeat("k", 256), "with space", "tab\there"} {
			p := requireProblem(t, e.post(t, "/api/v1/orders", acmeKey, key, body), http.StatusBadRequest)
			require.Equal(t, []string{"header.Idempotency-Key"}, locations(p))
		}
		e.nothingQueued(t)
	})
}

// TestInvalidOrdersAreRefusedAndNothingIsQueued checks every refusal before
// the queue: 400 for a body that does not decode, 422 naming each invalid
// field, and never a submission.
func TestInvalidOrdersAreRefusedAndNothingIsQueued(t *testing.T) {
	t.Parallel()
	edit := func(f func(m map[string]any)) string { return fixtureBody(t, "order_request.json", f) }
	line := func(m map[string]any, i int) map[string]any { return m["lines"].([]any)[i].(map[string]any) }
	address := func(m map[string]any) map[string]any { return m["delivery_address"].(map[string]any) }
	for _, tc := range []struct {
		name   string
		body   string
		status int
		fields []string
	}{
		{"NotJSON", `reference=ACME-1`, http.StatusBadRequest, []string{"body"}},
		{"EmptyBody", ``, http.StatusBadRequest, nil},
		{"AnArray", `[{"reference":"ACME-1"}]`, http.StatusBadRequest, []string{"body"}},
		{"Null", `null`, http.StatusBadRequest, []string{"body"}},
		{"AWrongType", edit(func(m map[string]any) { m["reference"] = 10042 }), http.StatusBadRequest, []string{"body.reference"}},
		{"AWrongTypeInALine", edit(func(m map[string]any) { line(m, 1)["quantity"] = "one" }), http.StatusBadRequest, []string{"body.lines[1].quantity"}},
		{"AnUnknownField", edit(func(m map[string]any) { m["referense"] = "typo" }), http.StatusBadRequest, []string{"body"}},
		{"TrailingData", fixtureBody(t, "order_request.json", nil) + `{}`, http.StatusBadRequest, []string{"body"}},
		{"NoLines", edit(func(m map[string]any) { m["lines"] = []any{} }), http.StatusUnprocessableEntity, []string{"body.lines"}},
		{"ZeroQuantity", edit(func(m map[string]any) { line(m, 0)["quantity"] = 0 }), http.StatusUnprocessableEntity, []string{"body.lines[0].quantity"}},
		{"NegativeQuantity", edit(func(m map[string]any) { line(m, 1)["quantity"] = -1 }), http.StatusUnprocessableEntity, []string{"body.lines[1].quantity"}},
		{"NoSKU", edit(func(m map[string]any) { line(m, 1)["sku"] = "" }), http.StatusUnprocessableEntity, []string{"body.lines[1].sku"}},
		{"NoReference", edit(func(m map[string]any) { delete(m, "reference") }), http.StatusUnprocessableEntity, []string{"body.reference"}},
		{"NoCountry", edit(func(m map[string]any) { delete(address(m), "country") }), http.StatusUnprocessableEntity, []string{"body.delivery_address.country"}},
		{"NotACountry", edit(func(m map[string]any) { address(m)["country"] = "XX" }), http.StatusUnprocessableEntity, []string{"body.delivery_address.country"}},
		{"AThreeLetterCountry", edit(func(m map[string]any) { address(m)["country"] = "NLD" }), http.StatusUnprocessableEntity, []string{"body.delivery_address.country"}},
		{"AnInvoiceAddressWithoutCountry", edit(func(m map[string]any) { m["invoice_address"] = map[string]any{"city": "Gent"} }), http.StatusUnprocessableEntity, []string{"body.invoice_address.country"}},
		{"NotADate", edit(func(m map[string]any) { m["delivery_date"] = "03-12-2026" }), http.StatusUnprocessableEntity, []string{"body.delivery_date"}},
		{"NoConnection", edit(func(m map[string]any) { delete(m, "connection") }), http.StatusUnprocessableEntity, []string{"body.connection"}},
		{"AnUnknownConnection", edit(func(m map[string]any) { m["connection"] = "nope" }), http.StatusUnprocessableEntity, []string{"body.connection"}},
		{"AnotherWorkspacesConnectionIsUnknown", edit(func(m map[string]any) { m["connection"] = "globex-only" }), http.StatusUnprocessableEntity, []string{"body.connection"}},
		{"AConnectionWithoutCommands", edit(func(m map[string]any) { m["connection"] = "courier" }), http.StatusUnprocessableEntity, []string{"body.connection"}},
		{"TheConnectorRefusesAField", edit(func(m map[string]any) { m["shipping_method"] = "PIGEON" }), http.StatusUnprocessableEntity, []string{"body.shipping_method"}},
		{"EveryInvalidFieldIsNamed", edit(func(m map[string]any) {
			m["connection"] = "nope"
			line(m, 0)["quantity"] = 0
			address(m)["country"] = "Netherlands"
		}), http.StatusUnprocessableEntity, []string{"body.connection", "body.lines[0].quantity", "body.delivery_address.country"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newCommandEnv(t)
			p := requireProblem(t, e.post(t, "/api/v1/orders", acmeKey, "key-"+tc.name, tc.body), tc.status)
			if tc.fields != nil {
				require.Equal(t, tc.fields, locations(p), "detail: %s", p.Detail)
			}
			for _, d := range p.Errors {
				require.NotEmpty(t, d.Message)
			}
			e.nothingQueued(t)
			require.Empty(t, e.st.orders, "no order is committed")
		})
	}
}

func TestALowerCaseCountryIsNormalised(t *testing.T) {
	t.Parallel()
	e := newCommandEnv(t)
	body := fixtureBody(t, "order_request.json", func(m map[string]any) {
		m["delivery_address"].(map[string]any)["country"] = "be"
	})
	r := e.post(t, "/api/v1/orders", acmeKey, "", body)
	require.Equal(t, http.StatusAccepted, r.code, "body: %s", r.body)
	require.Equal(t, "BE", decode[orderCommand](t, r).Order.DeliveryAddress.Country)
}

func TestCancelOrder(t *testing.T) {
	t.Parallel()
	e := newCommandEnv(t)
	created := decode[orderCommand](t, e.post(t, "/api/v1/orders", acmeKey, "", fixtureBody(t, "order_request.json", nil)))
	path := fmt.Sprintf("/api/v1/orders/%d/cancel", created.Order.ID)

	requireProblem(t, e.post(t, path, globexKey, "", ""), http.StatusNotFound)

	r := e.post(t, path, acmeKey, "cancel-1", "")
	require.Equal(t, http.StatusAccepted, r.code, "body: %s", r.body)
	got := decode[orderCommand](t, r)
	require.Equal(t, created.Order.ID, got.Order.ID)
	require.Equal(t, model.CommandOrderCancel, got.Command.Kind)
	require.Equal(t, created.Order.ID, got.Command.SubjectID)
	require.Equal(t, got.Command.ID, got.Order.LastCommand.ID, "the order's last command is the cancel")
	again := decode[orderCommand](t, e.post(t, path, acmeKey, "cancel-1", ""))
	require.Equal(t, got.Command.ID, again.Command.ID, "a repeated cancel with its key is the same command")
	_, enqueued := e.queue.counts()
	require.Equal(t, 2, enqueued, "the create and one cancel")

	for _, st := range []model.OrderStatus{model.OrderCancelled, model.OrderShipped, model.OrderRejected} {
		e.st.mu.Lock()
		e.st.orders[0].Status = st
		e.st.mu.Unlock()
		requireProblem(t, e.post(t, path, acmeKey, "", ""), http.StatusConflict)
	}
	_, enqueued = e.queue.counts()
	require.Equal(t, 2, enqueued, "nothing more is queued")

	// A connection that creates orders but cannot cancel them.
	aa := decode[orderCommand](t, e.post(t, "/api/v1/orders", acmeKey, "", fixtureBody(t, "order_request.json", func(m map[string]any) {
		m["connection"] = "aa"
	})))
	p := requireProblem(t, e.post(t, fmt.Sprintf("/api/v1/orders/%d/cancel", aa.Order.ID), acmeKey, "", ""), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"body.connection"}, locations(p))
	require.Contains(t, p.Errors[0].Message, "does not carry out order.cancel")
}

func TestWithoutAQueueCommandsAreUnavailable(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)
	for _, path := range []string{"/api/v1/orders", "/api/v1/products", "/api/v1/inbound", "/api/v1/commands/1/retry"} {
		r := (&commandEnv{h: h}).post(t, path, acmeKey, "", fixtureBody(t, "order_request.json", nil))
		requireProblem(t, r, http.StatusServiceUnavailable)
	}
}
