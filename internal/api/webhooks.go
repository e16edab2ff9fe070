package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/deliver"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// WebhookOptions is what the webhook routes need beyond the store.
type WebhookOptions struct {
	// AllowPrivateNetworks accepts endpoint URLs on loopback and private
	// addresses (outbound.allow_private_networks).
	AllowPrivateNetworks bool
	// SecretGrace is how long a rotated-out secret keeps signing; default 24h.
	SecretGrace time.Duration
	// Notify, when set, wakes the delivery worker after a retry or recovery.
	Notify func()
}

const (
	defaultSecretGrace   = 24 * time.Hour
	defaultDeliveryLimit = 50
	maxDeliveryLimit     = 200
)

// EndpointInput is what a merchant sends to create an endpoint.
type EndpointInput struct {
	URL         string            `json:"url" doc:"Where to POST events: an absolute http or https URL." example:"https://shop.example/hooks/shiphub"`
	Events      []string          `json:"events" doc:"Event type filters: an exact type such as shipment.status_changed, a resource such as shipment.*, or * for everything. Only the types of the webhooks section can be subscribed to; others are refused."`
	Description string            `json:"description,omitempty" required:"false" doc:"A note for the merchant's own use."`
	Headers     map[string]string `json:"headers,omitempty" required:"false" doc:"Extra headers sent with every delivery, such as a token of the receiver's; webhook-*, Content-Type and User-Agent are the hub's."`
}

// EndpointWithSecret is an endpoint together with its signing secret, as
// returned once on creation.
type EndpointWithSecret struct {
	model.Endpoint
	Secret string `json:"secret" doc:"The whsec_ signing secret: verify webhook-signature with it (Standard Webhooks)."`
}

// EndpointList is the workspace's endpoints.
type EndpointList struct {
	Data []*model.Endpoint `json:"data" doc:"The endpoints, oldest first."`
}

// EndpointSecret is an endpoint's current signing secret.
type EndpointSecret struct {
	Secret string `json:"secret" doc:"The current whsec_ secret."`
	// PreviousValidUntil is set after a rotation.
	PreviousValidUntil *time.Time `json:"previous_valid_until,omitempty" doc:"Until when the previous secret still signs too (both signatures are sent)."`
}

// Recovery says how many dead letters a recovery put back in the queue.
type Recovery struct {
	Requeued int64 `json:"requeued" doc:"How many dead letters were put back in the queue."`
}

// DeliveryDetail is one delivery with its attempt log and the body it
// sends, so that a dead letter can be inspected without the receiver.
type DeliveryDetail struct {
	model.Delivery
	// Payload is the webhook body, re-encoded from the feed event exactly as
	// the deliver package sends it; absent once the feed entry is pruned.
	Payload json.RawMessage `json:"payload,omitempty"`
}

// DeliveryPage is one page of deliveries.
type DeliveryPage struct {
	Data       []*model.Delivery `json:"data" doc:"Deliveries, newest first, without their attempt log."`
	NextCursor string            `json:"next_cursor" doc:"Pass as cursor to get the next page; empty on the last page."`
}

type createEndpointInput struct {
	Body EndpointInput
}

type endpointIDInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The endpoint's id."`
}

// Resolve checks the id, which huma parsed but did not bound.
func (in *endpointIDInput) Resolve(ctx huma.Context) []error { return pathID(ctx, &in.ID) }

// recoverInput names its id field instead of embedding endpointIDInput:
// huma skips embedded unexported types, so an embedded id would be parsed
// by hand but missing from the document, and generated clients would have
// no way to send it.
type recoverInput struct {
	ID    int64  `path:"id" minimum:"1" doc:"The endpoint's id."`
	Since string `query:"since" doc:"Re-send dead letters created at or after this time (RFC 3339); default: the last 7 days."`

	since time.Time
}

// Resolve checks since.
func (in *recoverInput) Resolve(ctx huma.Context) []error {
	errs := pathID(ctx, &in.ID)
	in.since = time.Now().Add(-7 * 24 * time.Hour)
	if in.Since != "" {
		t, err := time.Parse(time.RFC3339, in.Since)
		if err != nil {
			errs = append(errs, badParam("query.since", in.Since, "must be an RFC 3339 time such as 2026-03-14T09:00:00Z"))
		}
		in.since = t
	}
	return errs
}

type listDeliveriesInput struct {
	Status   string `query:"status" enum:"pending,succeeded,failed" doc:"Only deliveries in this state; failed lists the dead letters."`
	Endpoint int64  `query:"endpoint" minimum:"1" doc:"Only deliveries to this endpoint."`
	Cursor   string `query:"cursor" doc:"The next_cursor of the previous page; opaque."`
	Limit    int64  `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"The page size."`

	filter store.DeliveryFilter
}

// Resolve checks the parameters and builds the store filter.
func (in *listDeliveriesInput) Resolve(ctx huma.Context) []error {
	var errs []error
	switch in.Status {
	case "", model.DeliveryPending, model.DeliverySucceeded, model.DeliveryFailed:
		in.filter.Status = in.Status
	default:
		errs = append(errs, badParam("query.status", in.Status, "must be one of pending, succeeded, failed"))
	}
	ep, err := intParam("query.endpoint", ctx.Query("endpoint"), 0, 1, maxInt64)
	if err != nil {
		errs = append(errs, err)
	}
	in.filter.EndpointID = ep
	var pageErrs []error
	in.filter.BeforeID, in.filter.Limit, pageErrs = pageParams(ctx, in.Cursor, defaultDeliveryLimit, maxDeliveryLimit)
	return append(errs, pageErrs...)
}

type deliveryIDInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The delivery's id."`
}

// Resolve checks the id.
func (in *deliveryIDInput) Resolve(ctx huma.Context) []error { return pathID(ctx, &in.ID) }

func (a *API) registerWebhooks() {
	errs := []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusServiceUnavailable}
	op := func(id, method, path, summary, desc, tag string, status int, errors []int) huma.Operation {
		return huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Description: desc, Tags: []string{tag},
			Security: secured, SkipValidateParams: true, SkipValidateBody: true, DefaultStatus: status, Errors: errors}
	}
	huma.Register(a.humaAP, op("create-endpoint", http.MethodPost, "/endpoints", "Create a webhook endpoint",
		"Subscribes a URL to the workspace's events. The answer carries the endpoint's whsec_ signing secret; "+
			"deliveries follow Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).",
		"Webhooks", http.StatusCreated, []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable}), a.createEndpoint)
	huma.Register(a.humaAP, op("list-endpoints", http.MethodGet, "/endpoints", "List webhook endpoints",
		"Lists the workspace's endpoints, from the API and from the configuration, with their health.",
		"Webhooks", 0, []int{http.StatusUnauthorized, http.StatusServiceUnavailable}), a.listEndpoints)
	huma.Register(a.humaAP, op("get-endpoint", http.MethodGet, "/endpoints/{id}", "Get a webhook endpoint",
		"Returns one endpoint with its health: failing_since while deliveries fail, disabled_at once the hub stopped.",
		"Webhooks", 0, errs), a.getEndpoint)
	huma.Register(a.humaAP, op("delete-endpoint", http.MethodDelete, "/endpoints/{id}", "Delete a webhook endpoint",
		"Deletes an endpoint with its pending deliveries and their log. Endpoints from the configuration are changed there.",
		"Webhooks", http.StatusNoContent, append(errs, http.StatusConflict)), a.deleteEndpoint)
	huma.Register(a.humaAP, op("get-endpoint-secret", http.MethodGet, "/endpoints/{id}/secret", "Get an endpoint's secret",
		"Returns the endpoint's current signing secret (and until when the previous one still signs).",
		"Webhooks", 0, errs), a.getEndpointSecret)
	huma.Register(a.humaAP, op("rotate-endpoint-secret", http.MethodPost, "/endpoints/{id}/rotate-secret", "Rotate an endpoint's secret",
		"Replaces the signing secret. The old one keeps signing for a grace period (both signatures are sent), "+
			"so the receiver can switch without rejecting anything.",
		"Webhooks", 0, errs), a.rotateEndpointSecret)
	huma.Register(a.humaAP, op("recover-endpoint", http.MethodPost, "/endpoints/{id}/recover", "Recover an endpoint",
		"Enables a disabled or failing endpoint again and re-sends its dead letters created since the given time, in order.",
		"Webhooks", 0, errs), a.recoverEndpoint)
	huma.Register(a.humaAP, op("list-deliveries", http.MethodGet, "/deliveries", "List deliveries",
		"Lists webhook deliveries, newest first. status=failed lists the dead letters: deliveries whose every attempt failed.",
		"Webhooks", 0, []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable}), a.listDeliveries)
	huma.Register(a.humaAP, op("get-delivery", http.MethodGet, "/deliveries/{id}", "Get a delivery with its log",
		"Returns one delivery with every attempt (time, duration, status code and the start of the answer) and the body it sends.",
		"Webhooks", 0, errs), a.getDelivery)
	huma.Register(a.humaAP, op("retry-delivery", http.MethodPost, "/deliveries/{id}/retry", "Retry a dead letter",
		"Puts a dead letter back in the queue for a new round of attempts.",
		"Webhooks", http.StatusAccepted, append(errs, http.StatusConflict)), a.retryDelivery)
}

func (a *API) secretGrace() time.Duration {
	if a.webhooks.SecretGrace > 0 {
		return a.webhooks.SecretGrace
	}
	return defaultSecretGrace
}

func (a *API) notifyDeliveries() {
	if a.webhooks.Notify != nil {
		a.webhooks.Notify()
	}
}

func (a *API) createEndpoint(ctx context.Context, in *createEndpointInput) (*body[EndpointWithSecret], error) {
	ws := workspaceFrom(ctx)
	e := &model.Endpoint{Workspace: ws, URL: strings.TrimSpace(in.Body.URL), Events: in.Body.Events, Description: in.Body.Description,
		Headers: in.Body.Headers, Source: model.EndpointFromAPI, Secret: model.NewSecret()}
	err := model.ValidateEndpoint(e)
	if err == nil {
		err = deliver.CheckURL(e.URL, a.webhooks.AllowPrivateNetworks)
	}
	if err != nil {
		return nil, huma.Error400BadRequest("the endpoint is not valid: " + strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if err := a.store.CreateEndpoint(ctx, e); err != nil {
		return nil, a.storeError(ctx, ws, "creating an endpoint", err)
	}
	return &body[EndpointWithSecret]{Body: EndpointWithSecret{Endpoint: *e, Secret: e.Secret}}, nil
}

func (a *API) listEndpoints(ctx context.Context, _ *struct{}) (*body[EndpointList], error) {
	ws := workspaceFrom(ctx)
	list, err := a.store.ListEndpoints(ctx, ws)
	if err != nil {
		return nil, a.storeError(ctx, ws, "listing endpoints", err)
	}
	out := EndpointList{Data: make([]*model.Endpoint, 0, len(list))}
	for _, e := range list {
		if e.Workspace == ws {
			out.Data = append(out.Data, e)
		}
	}
	return &body[EndpointList]{Body: out}, nil
}

// endpoint loads one endpoint of the caller's workspace, or the error to answer.
func (a *API) endpoint(ctx context.Context, id int64) (*model.Endpoint, error) {
	ws := workspaceFrom(ctx)
	e, err := a.store.GetEndpoint(ctx, ws, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && e.Workspace != ws) {
		return nil, huma.Error404NotFound("no endpoint with this id in the workspace")
	}
	if err != nil {
		return nil, a.storeError(ctx, ws, "getting an endpoint", err)
	}
	return e, nil
}

func (a *API) getEndpoint(ctx context.Context, in *endpointIDInput) (*body[model.Endpoint], error) {
	e, err := a.endpoint(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &body[model.Endpoint]{Body: *e}, nil
}

func (a *API) deleteEndpoint(ctx context.Context, in *endpointIDInput) (*struct{}, error) {
	e, err := a.endpoint(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if e.Source == model.EndpointFromConfig {
		return nil, huma.Error409Conflict("this endpoint comes from the hub's configuration; remove it there")
	}
	ws := workspaceFrom(ctx)
	if err := a.store.DeleteEndpoint(ctx, ws, in.ID); errors.Is(err, store.ErrNotFound) {
		return nil, huma.Error404NotFound("no endpoint with this id in the workspace")
	} else if err != nil {
		return nil, a.storeError(ctx, ws, "deleting an endpoint", err)
	}
	return nil, nil
}

func secretOf(e *model.Endpoint) EndpointSecret {
	s := EndpointSecret{Secret: e.Secret}
	if e.PreviousSecret != "" && time.Now().Before(e.PreviousSecretUntil) {
		until := e.PreviousSecretUntil
		s.PreviousValidUntil = &until
	}
	return s
}

func (a *API) getEndpointSecret(ctx context.Context, in *endpointIDInput) (*body[EndpointSecret], error) {
	e, err := a.endpoint(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &body[EndpointSecret]{Body: secretOf(e)}, nil
}

func (a *API) rotateEndpointSecret(ctx context.Context, in *endpointIDInput) (*body[EndpointSecret], error) {
	ws := workspaceFrom(ctx)
	if err := a.store.RotateEndpointSecret(ctx, ws, in.ID, model.NewSecret(), time.Now().Add(a.secretGrace())); errors.Is(err, store.ErrNotFound) {
		return nil, huma.Error404NotFound("no endpoint with this id in the workspace")
	} else if err != nil {
		return nil, a.storeError(ctx, ws, "rotating an endpoint secret", err)
	}
	e, err := a.endpoint(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &body[EndpointSecret]{Body: secretOf(e)}, nil
}

func (a *API) recoverEndpoint(ctx context.Context, in *recoverInput) (*body[Recovery], error) {
	ws := workspaceFrom(ctx)
	n, err := a.store.RecoverEndpoint(ctx, ws, in.ID, in.since)
	if errors.Is(err, store.ErrNotFound) {
		return nil, huma.Error404NotFound("no endpoint with this id in the workspace")
	}
	if err != nil {
		return nil, a.storeError(ctx, ws, "recovering an endpoint", err)
	}
	a.notifyDeliveries()
	return &body[Recovery]{Body: Recovery{Requeued: n}}, nil
}

func (a *API) listDeliveries(ctx context.Context, in *listDeliveriesInput) (*body[DeliveryPage], error) {
	ws := workspaceFrom(ctx)
	f := in.filter
	f.Workspace = ws
	limit := f.Limit
	f.Limit = limit + 1
	list, err := a.store.ListDeliveries(ctx, f)
	if err != nil {
		return nil, a.storeError(ctx, ws, "listing deliveries", err)
	}
	list, next := trimPage(list, limit, func(d *model.Delivery) int64 { return d.ID })
	page := DeliveryPage{Data: make([]*model.Delivery, 0, len(list)), NextCursor: next}
	for _, d := range list {
		if d.Workspace == ws {
			page.Data = append(page.Data, d)
		}
	}
	return &body[DeliveryPage]{Body: page}, nil
}

func (a *API) getDelivery(ctx context.Context, in *deliveryIDInput) (*body[DeliveryDetail], error) {
	ws := workspaceFrom(ctx)
	d, err := a.store.GetDelivery(ctx, ws, in.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.Workspace != ws) {
		return nil, huma.Error404NotFound("no delivery with this id in the workspace")
	}
	if err != nil {
		return nil, a.storeError(ctx, ws, "getting a delivery", err)
	}
	out := DeliveryDetail{Delivery: *d}
	events, err := a.store.ListFeed(ctx, ws, d.EventID-1, 1)
	if err != nil {
		return nil, a.storeError(ctx, ws, "getting a delivery's event", err)
	}
	if len(events) == 1 && events[0].ID == d.EventID && events[0].Workspace == ws {
		if out.Payload, err = deliver.Body(events[0]); err != nil {
			return nil, a.storeError(ctx, ws, "encoding a delivery's body", err)
		}
	}
	return &body[DeliveryDetail]{Body: out}, nil
}

func (a *API) retryDelivery(ctx context.Context, in *deliveryIDInput) (*struct{}, error) {
	ws := workspaceFrom(ctx)
	err := a.store.RetryDelivery(ctx, ws, in.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, huma.Error404NotFound("no delivery with this id in the workspace")
	case errors.Is(err, store.ErrConflict):
		msg := err.Error()
		if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return nil, huma.Error409Conflict(strings.TrimSuffix(msg, ": "+store.ErrConflict.Error()))
	case err != nil:
		return nil, a.storeError(ctx, ws, "retrying a delivery", err)
	}
	a.notifyDeliveries()
	return nil, nil
}

// refineWebhookDocument describes the webhook schemas and sets the
// deliveries' status enum (refineDocument gives every query parameter named
// status the shipment statuses).
func refineWebhookDocument(doc *huma.OpenAPI) {
	if item, ok := doc.Paths["/deliveries"]; ok && item.Get != nil {
		for _, p := range item.Get.Parameters {
			if p.In == "query" && p.Name == "status" && p.Schema != nil {
				p.Schema.Enum = []any{model.DeliveryPending, model.DeliverySucceeded, model.DeliveryFailed}
			}
		}
	}
	schemas := doc.Components.Schemas.Map()
	describe := func(name, text string, fields map[string]string) { describeSchema(schemas, name, text, fields) }
	endpointFields := map[string]string{
		"id":              "The endpoint's id.",
		"url":             "Where events are POSTed.",
		"events":          "Event type filters: an exact type, a resource followed by .*, or *.",
		"headers":         "Extra headers sent with every delivery.",
		"source":          "api, or config for endpoints from the hub's configuration (changed there).",
		"disabled_at":     "When the hub stopped delivering: the endpoint answered 410 or failed for too long. Recover it to resume.",
		"disabled_reason": "Why the endpoint was disabled.",
		"failing_since":   "The first failed attempt since the last success; absent while healthy.",
	}
	describe("Endpoint", "A merchant webhook endpoint.", endpointFields)
	describe("EndpointWithSecret", "A new endpoint with its signing secret, shown once.", endpointFields)
	describe("Delivery", "One event on its way to one endpoint.", map[string]string{
		"event_id":         "The feed event's id; the webhook-id header is evt_<event_id>.",
		"subject":          "The resource the event is about; its events reach an endpoint in order.",
		"status":           "pending (queued or retrying), succeeded, or failed (a dead letter).",
		"attempts":         "Attempts in the current round; a retry or recovery starts a new one.",
		"next_attempt_at":  "When the next attempt is due, while pending.",
		"last_status_code": "The HTTP status of the last attempt; absent when there was no answer.",
		"last_error":       "Why the last attempt failed.",
		"log":              "Every attempt, oldest first (only on a single delivery).",
	})
	describe("DeliveryAttempt", "One HTTP attempt of a delivery.", map[string]string{
		"duration_ms": "How long the attempt took.",
		"status_code": "The HTTP status answered; 0 when there was none (refused, timed out).",
		"response":    "The start of the answer's body, bounded.",
	})
}
