package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/api"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

func TestProductRefreshQueuesAProductGet(t *testing.T) {
	t.Parallel()
	p := &model.Product{Resource: aaResource("1326169"), SKU: "AA-RWHM-342", Name: "Lotion", Barcodes: []string{"8712345678906"}}
	e := newAAEnv(t, func(ctx context.Context, tx store.Tx) error { return tx.InsertProduct(ctx, p) })

	r := e.send(t, http.MethodPost, "/api/v1/products/"+itoa(p.ID)+"/refresh", "")
	require.Equal(t, http.StatusAccepted, r.code, "body: %s", r.body)
	pc := decode[api.ProductCommand](t, r)
	require.Equal(t, model.CommandProductGet, pc.Command.Kind)
	require.Equal(t, p.ID, pc.Command.SubjectID)
	require.Equal(t, model.CommandQueued, pc.Command.Status)
	require.Equal(t, "ants", pc.Command.Connection)
	require.Equal(t, p.SKU, pc.Product.SKU)
	require.Equal(t, 1, e.queue.submits)

	for _, tc := range []struct {
		name, path string
		want       int
	}{
		{"AnUnknownProduct", "/api/v1/products/999/refresh", http.StatusNotFound},
		{"ABadID", "/api/v1/products/0/refresh", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireProblem(t, e.send(t, http.MethodPost, tc.path, ""), tc.want)
		})
	}
	require.Equal(t, 1, e.queue.submits, "nothing more is queued")
}
