package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// seedFulfilment stores inbound goods and returns on a real SQLite store,
// through the pipeline's transaction, and returns the API over it.
func seedFulfilment(t *testing.T, inbound []*model.Inbound, returns []*model.Return) http.Handler {
	t.Helper()
	st := sqlite.OpenTest(t)
	ctx := context.Background()
	_, _, err := st.AppendInbox(ctx, &model.InboxMessage{Workspace: "acme", Connection: "wics", Provider: "wics", Source: model.SourceWebhook,
		DedupKey: "seed", ContentType: "application/json", Body: []byte(`{}`), ReceivedAt: time.Now()})
	require.NoError(t, err)
	n, err := st.ProcessInbox(ctx, 1, func(ctx context.Context, tx store.Tx, _ []*model.InboxMessage) error {
		for _, in := range inbound {
			if err := tx.InsertInbound(ctx, store.InboundKey(in.Reference, in.ProviderRef), in); err != nil {
				return err
			}
		}
		for _, r := range returns {
			if err := tx.InsertReturn(ctx, store.ReturnKey(r.ProviderRef, r.Reference), r); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	return newHandler(t, st, slog.New(slog.DiscardHandler))
}

func inboundOf(ws, conn, ref string, status model.InboundStatus) *model.Inbound {
	return &model.Inbound{
		Resource:  model.Resource{Workspace: ws, Connection: conn, Provider: "wics", ProviderRef: "P-" + ref},
		Reference: ref, Status: status,
		Lines: []model.InboundLine{{LineNumber: 1, SKU: "WTI-027", Expected: 10, Received: 4}},
		Receipts: []model.Receipt{{ProviderRef: "1175", ReceivedAt: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC),
			Lines: []model.ReceiptLine{{SKU: "WTI-027", Quantity: 4}}}},
	}
}

func TestInboundRoutes(t *testing.T) {
	t.Parallel()
	a1 := inboundOf("acme", "wics", "PO-1", model.InboundReceiving)
	a2 := inboundOf("acme", "wics", "PO-2", model.InboundAnnounced)
	a3 := inboundOf("acme", "aa", "PO-3", model.InboundReceived)
	g1 := inboundOf("globex", "wics", "PO-1", model.InboundReceiving)
	h := seedFulfilment(t, []*model.Inbound{a1, a2, a3, g1}, nil)

	ids := func(p api.InboundPage) []int64 {
		out := []int64{}
		for _, in := range p.Data {
			out = append(out, in.ID)
		}
		return out
	}
	cases := []struct {
		name  string
		query string
		want  []int64
	}{
		{"every inbound of the workspace, newest first", "", []int64{a3.ID, a2.ID, a1.ID}},
		{"by reference", "?reference=PO-2", []int64{a2.ID}},
		{"by the provider's number", "?reference=P-PO-1", []int64{a1.ID}},
		{"by status", "?status=received", []int64{a3.ID}},
		{"by connection", "?connection=wics", []int64{a2.ID, a1.ID}},
		{"another workspace's reference finds nothing", "?reference=nope", []int64{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := get(t, h, "/api/v1/inbound"+c.query, acmeKey)
			require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
			require.Equal(t, c.want, ids(decode[api.InboundPage](t, r)))
		})
	}

	page := decode[api.InboundPage](t, get(t, h, "/api/v1/inbound?limit=2", acmeKey))
	require.Equal(t, []int64{a3.ID, a2.ID}, ids(page))
	require.NotEmpty(t, page.NextCursor)
	rest := decode[api.InboundPage](t, get(t, h, "/api/v1/inbound?limit=2&cursor="+page.NextCursor, acmeKey))
	require.Equal(t, []int64{a1.ID}, ids(rest))
	require.Empty(t, rest.NextCursor)

	r := get(t, h, fmt.Sprintf("/api/v1/inbound/%d", a1.ID), acmeKey)
	require.Equal(t, http.StatusOK, r.code)
	got := decode[model.Inbound](t, r)
	require.Equal(t, "PO-1", got.Reference)
	require.Equal(t, []model.InboundLine{{LineNumber: 1, SKU: "WTI-027", Expected: 10, Received: 4}}, got.Lines)
	require.Equal(t, "1175", got.Receipts[0].ProviderRef)

	requireProblem(t, get(t, h, fmt.Sprintf("/api/v1/inbound/%d", g1.ID), acmeKey), http.StatusNotFound)
	requireProblem(t, get(t, h, "/api/v1/inbound/0", acmeKey), http.StatusBadRequest)
	p := requireProblem(t, get(t, h, "/api/v1/inbound?status=lost", acmeKey), http.StatusBadRequest)
	require.Equal(t, "query.status", p.Errors[0].Location)
	requireProblem(t, get(t, h, "/api/v1/inbound?cursor=zz", acmeKey), http.StatusBadRequest)
	requireProblem(t, get(t, h, "/api/v1/inbound", ""), http.StatusUnauthorized)
}

func returnOf(ws, conn, rma, label string, status model.ReturnStatus) *model.Return {
	return &model.Return{
		Resource:  model.Resource{Workspace: ws, Connection: conn, Provider: "wics", ProviderRef: rma},
		Reference: "200122", Status: status, Label: label,
		Lines: []model.ReturnLine{{LineNumber: 1, SKU: "WTI-027", Quantity: 1,
			Answers: []model.ReturnAnswer{{Question: "Waarom retour?", Answer: "Te klein"}}}},
	}
}

func TestReturnRoutes(t *testing.T) {
	t.Parallel()
	a1 := returnOf("acme", "wics", "RMA-1", "https://labels.example.com/RMA-1.pdf", model.ReturnAnnounced)
	a2 := returnOf("acme", "wics", "RMA-2", "", model.ReturnReceived)
	a3 := returnOf("acme", "wics", "RMA-3", "not a link", model.ReturnProcessed)
	g1 := returnOf("globex", "wics", "RMA-1", "https://labels.example.com/G.pdf", model.ReturnAnnounced)
	h := seedFulfilment(t, nil, []*model.Return{a1, a2, a3, g1})

	ids := func(p api.ReturnPage) []int64 {
		out := []int64{}
		for _, r := range p.Data {
			out = append(out, r.ID)
		}
		return out
	}
	cases := []struct {
		name  string
		query string
		want  []int64
	}{
		{"every return of the workspace, newest first", "", []int64{a3.ID, a2.ID, a1.ID}},
		{"by the order's reference", "?reference=200122", []int64{a3.ID, a2.ID, a1.ID}},
		{"by RMA number", "?reference=RMA-2", []int64{a2.ID}},
		{"by status", "?status=received", []int64{a2.ID}},
		{"by connection", "?connection=aa", []int64{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := get(t, h, "/api/v1/returns"+c.query, acmeKey)
			require.Equal(t, http.StatusOK, r.code, "body: %s", r.body)
			require.Equal(t, c.want, ids(decode[api.ReturnPage](t, r)))
		})
	}

	page := decode[api.ReturnPage](t, get(t, h, "/api/v1/returns?limit=2", acmeKey))
	require.Equal(t, []int64{a3.ID, a2.ID}, ids(page))
	rest := decode[api.ReturnPage](t, get(t, h, "/api/v1/returns?limit=2&cursor="+page.NextCursor, acmeKey))
	require.Equal(t, []int64{a1.ID}, ids(rest))

	r := get(t, h, fmt.Sprintf("/api/v1/returns/%d", a1.ID), acmeKey)
	require.Equal(t, http.StatusOK, r.code)
	got := decode[model.Return](t, r)
	require.Equal(t, "Te klein", got.Lines[0].Answers[0].Answer)
	requireProblem(t, get(t, h, fmt.Sprintf("/api/v1/returns/%d", g1.ID), acmeKey), http.StatusNotFound)

	r = get(t, h, fmt.Sprintf("/api/v1/returns/%d/label", a1.ID), acmeKey)
	require.Equal(t, http.StatusFound, r.code, "body: %s", r.body)
	require.Equal(t, "https://labels.example.com/RMA-1.pdf", r.header.Get("Location"))
	p := requireProblem(t, get(t, h, fmt.Sprintf("/api/v1/returns/%d/label", a2.ID), acmeKey), http.StatusNotFound)
	require.Equal(t, "this return has no label", p.Detail)
	requireProblem(t, get(t, h, fmt.Sprintf("/api/v1/returns/%d/label", a3.ID), acmeKey), http.StatusNotFound)
	requireProblem(t, get(t, h, fmt.Sprintf("/api/v1/returns/%d/label", g1.ID), acmeKey), http.StatusNotFound)
	requireProblem(t, get(t, h, "/api/v1/returns?status=lost", acmeKey), http.StatusBadRequest)
}

// TestTheDocumentListsTheModelsInboundAndReturnStatuses keeps the status
// enums of the inbound and return schemas, written as tags, equal to the
// model's lists.
func TestTheDocumentListsTheModelsInboundAndReturnStatuses(t *testing.T) {
	t.Parallel()
	h := newHandler(t, fixture(), nil)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	r := get(t, h, "/api/v1/openapi.json", "")
	require.Equal(t, http.StatusOK, r.code)
	require.NoError(t, json.Unmarshal(r.body, &doc))
	var inbound, returns []string
	for _, s := range model.InboundStatuses {
		inbound = append(inbound, string(s))
	}
	for _, s := range model.ReturnStatuses {
		returns = append(returns, string(s))
	}
	require.Equal(t, inbound, doc.Components.Schemas["Inbound"].Properties["status"].Enum)
	require.Equal(t, returns, doc.Components.Schemas["Return"].Properties["status"].Enum)
}
