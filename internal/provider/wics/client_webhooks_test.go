package wics

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// The document's "List Webhooks", "Create Webhook" and "Delete Webhook"
// examples (wics-service-layer.txt lines 89-100, 120-135, 154-159).
func TestWebhookCallsReadTheDocumentsExamples(t *testing.T) {
	t.Parallel()
	srv := newDocServer(t, map[string]http.HandlerFunc{
		"GET /api/webhook":       answer(http.StatusOK, docExample(t, "list_webhooks.json")),
		"POST /api/webhook":      answer(http.StatusCreated, docExample(t, "create_webhook.json")),
		"DELETE /api/webhook/15": answer(http.StatusOK, docExample(t, "delete_webhook.json")),
	})
	c := srv.client()
	ctx := context.Background()

	t.Run("ListIsDecoded", func(t *testing.T) {
		hooks, err := c.ListWebhooks(ctx)
		require.NoError(t, err)
		require.Equal(t, []Webhook{{ID: "15", Topic: "STOCK", URL: "http://mywebshop.shop.com/stock"}}, hooks)
	})
	t.Run("CreateSendsTheDocumentsBody", func(t *testing.T) {
		var want WebhookRequest
		require.NoError(t, json.Unmarshal(docExample(t, "create_webhook_request.json"), &want))
		id, err := c.CreateWebhook(ctx, want)
		require.NoError(t, err)
		require.Equal(t, "<identifier>", id)
		var sent map[string]any
		reqs := srv.seen()
		require.NoError(t, json.Unmarshal(reqs[len(reqs)-1].Body, &sent))
		require.Equal(t, map[string]any{"topic": "STOCK", "url": "http://mywebshop.shop.com/stock"}, sent)
	})
	t.Run("DeleteUsesTheIdentifier", func(t *testing.T) {
		require.NoError(t, c.DeleteWebhook(ctx, "15"))
	})
	t.Run("DeletingOneAlreadyGoneIsNoError", func(t *testing.T) {
		require.NoError(t, c.DeleteWebhook(ctx, "16"))
	})
	t.Run("EveryRequestCarriesTheLogin", func(t *testing.T) {
		for _, r := range srv.seen() {
			require.Equal(t, "key", r.User, r.Path)
			require.Equal(t, "secret", r.Pass, r.Path)
		}
	})
}

func TestCreateWebhookSendsTheWebshop(t *testing.T) {
	t.Parallel()
	srv := newDocServer(t, map[string]http.HandlerFunc{
		"POST /api/webhook": answer(http.StatusCreated, []byte(`{"code":200,"message":"Webhook registered","success":true,"data":[77]}`)),
	})
	id, err := srv.client().CreateWebhook(context.Background(), WebhookRequest{Topic: "STOCK", URL: "https://hub/x/stock", WebshopID: 2})
	require.NoError(t, err)
	require.Equal(t, "77", id)
	require.JSONEq(t, `{"topic":"STOCK","url":"https://hub/x/stock","webshopId":2}`, string(srv.seen()[0].Body))
}
