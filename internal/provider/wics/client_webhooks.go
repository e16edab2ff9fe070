package wics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Webhook is one subscription of the login (GET /api/webhook): WICS calls
// URL with every event of Topic. Subscriptions are scoped to the login
// that registered them (the document's "Configure").
type Webhook struct {
	// ID is the subscription's identifier, for DELETE /api/webhook/{identifier};
	// the example sends it as a number (15).
	ID    string `json:"id" wics:"required"`
	Topic string `json:"topic"`
	URL   string `json:"url"`
	// WebshopID is the shop of a multi-shop login the subscription is for,
	// when WICS says; the document's list example does not (nil).
	WebshopID *int64 `json:"webshopId"`
}

// WebhookRequest is the body of POST /api/webhook.
type WebhookRequest struct {
	// Topic is WICS's topic string (WireTopic), such as "STOCK". Required.
	Topic string `json:"topic"`
	// URL is where WICS posts the events; subscriptions must differ in it.
	// Required.
	URL string `json:"url"`
	// WebshopID subscribes for one shop of a multi-shop login ("multiple
	// events can be registered per webshopID"); 0 leaves it out. The
	// document's field table does not name the key: webshopId is the name
	// its order fields and filters use.
	WebshopID int64 `json:"webshopId,omitempty"`
}

// ListWebhooks lists the login's subscriptions, every page.
func (c *Client) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	return walkAll[Webhook](ctx, c, "/webhook", Filter{})
}

// CreateWebhook subscribes and returns the new subscription's identifier
// (the answer's data[0]; empty if WICS gave none).
func (c *Client) CreateWebhook(ctx context.Context, r WebhookRequest) (string, error) {
	if r.Topic == "" || r.URL == "" {
		return "", fmt.Errorf("creating a wics webhook: topic and url are required")
	}
	ans, err := c.Do(ctx, http.MethodPost, "/webhook", nil, r, nil)
	if err != nil {
		return "", err
	}
	id, err := identifierOf(ans.Data)
	if err != nil {
		return "", fmt.Errorf("reading the identifier of the wics webhook for %s: %w", r.Topic, err)
	}
	return id, nil
}

// DeleteWebhook unsubscribes. A subscription that is already gone (404) is
// not an error: the caller wanted it gone.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("deleting a wics webhook: the identifier is required")
	}
	_, err := c.Do(ctx, http.MethodDelete, "/webhook/"+pathID(id), nil, nil, nil)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.NotFound() {
		return nil
	}
	return err
}
