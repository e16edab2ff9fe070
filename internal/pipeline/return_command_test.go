package pipeline_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// TestAReturnAMerchantSubmittedGetsItsRMANumber submits a return (keyed by
// its order's reference, as no RMA number exists yet), then applies the
// provider's answer, which names both: it lands on the submitted return,
// on both stores. A second RMA of the same order is a return of its own.
func TestAReturnAMerchantSubmittedGetsItsRMANumber(t *testing.T) {
	t.Parallel()
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			ctx := context.Background()
			res, err := st.SubmitCommand(ctx, &store.Submission{Workspace: "acme", Connection: "p000", Provider: "testchanges",
				Kind: model.CommandReturnCreate, Payload: json.RawMessage(`{}`), Now: hour(0),
				Return: &model.Return{Reference: "WEB-7", Lines: []model.ReturnLine{{LineNumber: 1, SKU: "A", Quantity: 1}}}}, nil)
			require.NoError(t, err)
			life := []model.Changes{
				{Returns: []model.ReturnUpdate{{AsOf: hour(1), Reference: "WEB-7", ProviderRef: "133", Status: model.ReturnAnnounced, Label: "data:application/pdf;base64,JVBERg=="}}},
				{Returns: []model.ReturnUpdate{{AsOf: hour(2), Reference: "WEB-7", ProviderRef: "133", Status: model.ReturnReceived}}},
				{Returns: []model.ReturnUpdate{{AsOf: hour(3), Reference: "WEB-7", ProviderRef: "134", Status: model.ReturnAnnounced}}},
			}
			h := newOrderHarness(t, st, life, [][]int{{0, 1, 2}}, 1)
			got, err := h.st.GetReturn(ctx, "acme", res.SubjectID)
			require.NoError(t, err)
			require.Equal(t, "133", got.ProviderRef, "the answer found the submitted return")
			require.Equal(t, model.ReturnReceived, got.Status)
			require.Equal(t, "data:application/pdf;base64,JVBERg==", got.Label)
			all, err := h.st.ListReturns(ctx, store.ReturnFilter{Workspace: "acme"})
			require.NoError(t, err)
			require.Len(t, all, 2, "the second RMA is a return of its own")
			require.Equal(t, "134", all[0].ProviderRef)
			feed, err := h.st.ListFeed(ctx, "acme", 0, 100)
			require.NoError(t, err)
			for _, e := range feed {
				if e.Type == model.EventReturnStatusChanged && e.SubjectID == got.ID {
					var shown model.Return
					require.NoError(t, json.Unmarshal(e.Data, &shown))
					require.Equal(t, model.ReturnLabelPath(got.ID), shown.Label, "the feed shows where the label is, not its bytes")
				}
			}
		})
	}
}
