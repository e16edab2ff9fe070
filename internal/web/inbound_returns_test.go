package web_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

func TestInboundPages(t *testing.T) {
	t.Parallel()
	e := newFulEnv(t)
	expected := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	receiving := &model.Inbound{
		Resource: fulResource("acme", "wics"), Reference: "PO-1", Status: model.InboundReceiving,
		ProviderStatus: &model.ProviderStatus{Code: "2", Description: "Deels ontvangen"}, ExpectedAt: &expected,
		Lines: []model.InboundLine{{LineNumber: 1, SKU: "MUG-1", Expected: 10, Received: 4}, {LineNumber: 2, SKU: "TEA-1", Expected: 5}},
		Receipts: []model.Receipt{{ProviderRef: "RC-77", ReceivedAt: fulBase, Lines: []model.ReceiptLine{
			{SKU: "MUG-1", Quantity: 4, Lot: "LOT-9", BestBefore: fulPtr(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC))},
		}}},
	}
	receiving.ProviderRef = "WICS-PO-1"
	announced := &model.Inbound{Resource: fulResource("acme", "ants"), Reference: "PO-2", Status: model.InboundAnnounced,
		Lines: []model.InboundLine{{LineNumber: 1, SKU: "MUG-1", Expected: 3}}}
	foreign := &model.Inbound{Resource: fulResource("globex", "wics"), Reference: "PO-SECRET", Status: model.InboundAnnounced}
	e.inTx(func(ctx context.Context, tx store.Tx) error {
		for _, in := range []*model.Inbound{receiving, announced, foreign} {
			if err := tx.InsertInbound(ctx, store.InboundKey(in.Reference, in.ProviderRef), in); err != nil {
				return err
			}
		}
		return nil
	})
	id := func(in *model.Inbound) string { return strconv.FormatInt(in.ID, 10) }

	t.Run("TheListShowsReceivedOfExpected", func(t *testing.T) {
		t.Parallel()
		body := e.getOK("/ui/inbound")
		require.Equal(t, []string{id(announced), id(receiving)}, fulRowIDs(t, body, "inbound", "data-inbound-id"))
		fulHas(t, body, `<td class="num">4 of 15</td>`, `<a class="inbound-link" href="/ui/inbound/`+id(receiving)+`">PO-1</a>`,
			`hx-trigger="sse:inbound"`, "2026-12-03 08:00:00 UTC")
		fulHasNot(t, body, "PO-SECRET")
	})

	filters := []struct {
		name, query string
		want        []string
	}{
		{"ByStatus", "status=receiving", []string{id(receiving)}},
		{"ByConnection", "connection=ants", []string{id(announced)}},
		{"ByReference", "q=PO-2", []string{id(announced)}},
		{"ByProviderNumber", "q=WICS-PO-1", []string{id(receiving)}},
		{"ByCursor", "before=" + id(announced), []string{id(receiving)}},
	}
	for _, f := range filters {
		t.Run("FiltersNarrow"+f.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, f.want, fulRowIDs(t, e.getOK("/ui/inbound?"+f.query), "inbound", "data-inbound-id"))
		})
	}

	t.Run("TheInboundPageShowsLinesWithProgressAndReceipts", func(t *testing.T) {
		t.Parallel()
		body := e.getOK("/ui/inbound/" + id(receiving))
		fulHas(t, body,
			`<dd class="inbound-reference">PO-1</dd>`, "WICS-PO-1", `<span class="badge status-receiving">receiving</span>`,
			"<code>2</code> Deels ontvangen",
			`<progress max="10" value="4" aria-label="Line 1 received">40%</progress>`,
			`<span class="progress-text">4 of 10 (40%)</span>`,
			`<span class="progress-text">0 of 5 (0%)</span>`,
			`data-receipt="RC-77"`, "Receipt RC-77", `<td>MUG-1</td><td class="num">4</td><td>LOT-9</td><td>2027-06-01</td>`,
		)
		body = e.getOK("/ui/inbound/" + id(announced))
		fulHas(t, body, `<p id="no-receipts">Nothing received yet.</p>`)
	})

	t.Run("TheDetailPageRefreshesItsBodyAlone", func(t *testing.T) {
		t.Parallel()
		body := e.getOK("/ui/inbound/" + id(receiving) + "?partial=rows")
		fulHasNot(t, body, "<html", "<h1>")
		fulHas(t, body, `<div id="inbound-body" hx-get="/ui/inbound/`+id(receiving)+`?partial=rows" hx-trigger="sse:inbound"`, "RC-77")
	})

	t.Run("AnotherWorkspacesInboundIsNotFound", func(t *testing.T) {
		t.Parallel()
		for _, path := range []string{"/ui/inbound/" + id(foreign), "/ui/inbound/999999", "/ui/inbound/x"} {
			code, body := e.get(path)
			require.Equal(t, http.StatusNotFound, code, path)
			fulHasNot(t, body, "PO-SECRET")
		}
	})
}

func TestReturnsPages(t *testing.T) {
	t.Parallel()
	e := newFulEnv(t)
	pdf := []byte("%PDF-1.4 a label")
	order := fulOrder("acme", "ants", "WT-1", model.OrderShipped)
	kept := &model.Return{Resource: fulResource("acme", "ants"), Reference: "WT-1", Status: model.ReturnAnnounced,
		Lines: []model.ReturnLine{{LineNumber: 1, SKU: "MUG-1", Quantity: 1, Reason: "Damaged",
			Answers: []model.ReturnAnswer{{Question: "What is wrong?", Answer: "The handle broke"}}}},
		Label: "data:application/pdf;base64," + base64.StdEncoding.EncodeToString(pdf)}
	kept.ProviderRef = "RMA-1"
	linked := &model.Return{Resource: fulResource("acme", "wics"), Reference: "WT-404", Status: model.ReturnReceived,
		Label: "https://labels.example/rma-2.pdf"}
	linked.ProviderRef = "RMA-2"
	bare := &model.Return{Resource: fulResource("acme", "wics"), Reference: "WT-405", Status: model.ReturnProcessed}
	bare.ProviderRef = "RMA-3"
	odd := &model.Return{Resource: fulResource("acme", "wics"), Reference: "WT-406", Status: model.ReturnUnknown, Label: "ftp://labels.example/x"}
	odd.ProviderRef = "RMA-4"
	foreign := &model.Return{Resource: fulResource("globex", "ants"), Reference: "WT-1", Status: model.ReturnAnnounced, Label: kept.Label}
	foreign.ProviderRef = "RMA-SECRET"
	e.inTx(func(ctx context.Context, tx store.Tx) error {
		if err := tx.InsertOrder(ctx, order); err != nil {
			return err
		}
		for _, r := range []*model.Return{kept, linked, bare, odd, foreign} {
			if err := tx.InsertReturn(ctx, store.ReturnKey(r.ProviderRef, r.Reference), r); err != nil {
				return err
			}
		}
		return nil
	})
	id := func(r *model.Return) string { return strconv.FormatInt(r.ID, 10) }

	t.Run("TheListShowsTheWorkspacesReturns", func(t *testing.T) {
		t.Parallel()
		body := e.getOK("/ui/returns")
		require.Equal(t, []string{id(odd), id(bare), id(linked), id(kept)}, fulRowIDs(t, body, "returns", "data-return-id"))
		fulHas(t, body, `<a class="return-link" href="/ui/returns/`+id(kept)+`">RMA-1</a>`, `hx-trigger="sse:return"`)
		fulHasNot(t, body, "RMA-SECRET")
	})

	filters := []struct {
		name, query string
		want        []string
	}{
		{"ByStatus", "status=received", []string{id(linked)}},
		{"ByConnection", "connection=ants", []string{id(kept)}},
		{"ByOrderReference", "q=WT-405", []string{id(bare)}},
		{"ByRMANumber", "q=RMA-1", []string{id(kept)}},
		{"ByCursor", "before=" + id(linked), []string{id(kept)}},
	}
	for _, f := range filters {
		t.Run("FiltersNarrow"+f.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, f.want, fulRowIDs(t, e.getOK("/ui/returns?"+f.query), "returns", "data-return-id"))
		})
	}

	t.Run("TheReturnPageShowsItsOrderLinesAnswersAndLabel", func(t *testing.T) {
		t.Parallel()
		body := e.getOK("/ui/returns/" + id(kept))
		fulHas(t, body,
			fmt.Sprintf(`<a class="order-link" href="/ui/orders/%d">WT-1</a>`, order.ID),
			`<span class="badge status-announced">announced</span>`,
			`<td class="return-reason">Damaged</td>`, "<dt>What is wrong?</dt><dd>The handle broke</dd>",
			`<a class="return-label" href="/ui/returns/`+id(kept)+`/label">`,
		)
		body = e.getOK("/ui/returns/" + id(bare))
		fulHas(t, body, "WT-405 <span class=\"hint\">(no such order known)</span>", `<span id="no-label">None</span>`)
		fulHasNot(t, body, "a.return-label", `class="return-label"`)
	})

	t.Run("TheLabelRouteServesWhatTheAPIServes", func(t *testing.T) {
		t.Parallel()
		res, err := e.client.Get(e.server.URL + "/ui/returns/" + id(kept) + "/label")
		require.NoError(t, err)
		b, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, "application/pdf", res.Header.Get("Content-Type"))
		require.Equal(t, pdf, b)

		res, err = e.client.Get(e.server.URL + "/ui/returns/" + id(linked) + "/label")
		require.NoError(t, err)
		_ = res.Body.Close()
		require.Equal(t, http.StatusFound, res.StatusCode)
		require.Equal(t, "https://labels.example/rma-2.pdf", res.Header.Get("Location"))

		for _, r := range []*model.Return{bare, odd, foreign} {
			code, body := e.get("/ui/returns/" + id(r) + "/label")
			require.Equal(t, http.StatusNotFound, code, r.ProviderRef)
			fulHasNot(t, body, "%PDF")
		}
	})

	t.Run("TheDetailPagesRefreshTheirBodyAlone", func(t *testing.T) {
		t.Parallel()
		body := e.getOK("/ui/returns/" + id(kept) + "?partial=rows")
		fulHasNot(t, body, "<html", "<h1>")
		fulHas(t, body, `<div id="return-body" hx-get="/ui/returns/`+id(kept)+`?partial=rows" hx-trigger="sse:return"`, "RMA-1")
		code, _ := e.get("/ui/returns/" + id(foreign) + "?partial=rows")
		require.Equal(t, http.StatusNotFound, code)
	})

	t.Run("AnotherWorkspacesReturnIsNotFound", func(t *testing.T) {
		t.Parallel()
		for _, path := range []string{"/ui/returns/" + id(foreign), "/ui/returns/999999", "/ui/returns/0"} {
			code, body := e.get(path)
			require.Equal(t, http.StatusNotFound, code, path)
			fulHas(t, body, `class="error-message"`)
			fulHasNot(t, body, "RMA-SECRET")
		}
	})
}

func TestFulfilPagesNeedASession(t *testing.T) {
	t.Parallel()
	e := newFulEnv(t)
	anonymous := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/ui/orders", "/ui/orders/1", "/ui/stock", "/ui/stock/X", "/ui/inbound", "/ui/inbound/1",
		"/ui/returns", "/ui/returns/1", "/ui/returns/1/label", "/ui/products"} {
		res, err := anonymous.Get(e.server.URL + path)
		require.NoError(t, err)
		_ = res.Body.Close()
		require.Equal(t, http.StatusSeeOther, res.StatusCode, path)
		require.Equal(t, "/ui/signin", res.Header.Get("Location"), path)
	}
}
