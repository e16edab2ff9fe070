package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

const (
	defaultFailedInboxLimit = 50
	maxFailedInboxLimit     = 200
)

// FailedMessage is an inbound message the hub accepted but could not turn
// into shipment updates, as the API shows it. It is kept, and can be retried
// once the mapping or the normaliser is fixed.
type FailedMessage struct {
	ID          int64        `json:"id" doc:"The inbox message's id; retry it with POST /inbox/{id}/retry."`
	Workspace   string       `json:"workspace" doc:"The workspace the message belongs to."`
	Connection  string       `json:"connection" doc:"The connection it came through (its id in the configuration)."`
	Provider    string       `json:"provider" doc:"The provider of the connection."`
	Source      model.Source `json:"source" enum:"webhook,ftp,poll" doc:"The channel it arrived through."`
	Topic       string       `json:"topic,omitempty" doc:"The sub-channel of the connection (an FTP file name, a webhook topic), if any."`
	DedupKey    string       `json:"dedup_key" doc:"The key that makes a provider's retry of the message a duplicate."`
	ContentType string       `json:"content_type" doc:"The content type it was received with."`
	ReceivedAt  time.Time    `json:"received_at" doc:"When the hub received (and acknowledged) it."`
	FailedAt    time.Time    `json:"failed_at" doc:"When the pipeline gave up on it."`
	Failure     string       `json:"failure" doc:"Why it could not be applied."`
	Excerpt     string       `json:"excerpt" doc:"The first bytes of the message as text (invalid UTF-8 replaced)."`
}

// FailedMessagePage is one page of the workspace's failed messages.
type FailedMessagePage struct {
	Data       []FailedMessage `json:"data" doc:"Failed messages, newest first."`
	NextCursor string          `json:"next_cursor" doc:"Pass as cursor to get the next page; empty on the last page."`
}

// InboxRetry says how many failed messages a bulk retry made pending again.
type InboxRetry struct {
	Retried int64 `json:"retried" doc:"How many failed messages were made pending again."`
}

type listFailedInboxInput struct {
	Connection string `query:"connection" doc:"Only messages of this connection (its id in the configuration)."`
	Cursor     string `query:"cursor" doc:"The next_cursor of the previous page; opaque."`
	Limit      int64  `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"The page size."`

	filter store.FailedInboxFilter
}

// Resolve checks the parameters and builds the store filter.
func (in *listFailedInboxInput) Resolve(ctx huma.Context) []error {
	in.filter = store.FailedInboxFilter{Connection: in.Connection}
	var errs []error
	in.filter.BeforeID, in.filter.Limit, errs = pageParams(ctx, in.Cursor, defaultFailedInboxLimit, maxFailedInboxLimit)
	return errs
}

type inboxIDInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The failed message's id."`
}

// Resolve checks the id, which huma parsed but did not bound.
func (in *inboxIDInput) Resolve(ctx huma.Context) []error { return pathID(ctx, &in.ID) }

type retryFailedInboxInput struct {
	Connection string `query:"connection" doc:"Retry only this connection's failed messages (its id in the configuration); default every connection's."`
}

// registerInbox adds the failed-message routes: the list, the retry of one
// and the retry of all (or of one connection's).
func (a *API) registerInbox() {
	op := func(id, method, path, summary, desc string, status int, errs []int) huma.Operation {
		return huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Description: desc,
			Tags: []string{"Inbox"}, Security: secured, SkipValidateParams: true, DefaultStatus: status, Errors: errs}
	}
	huma.Register(a.humaAP, op("list-failed-inbox", http.MethodGet, "/inbox/failed", "List failed messages",
		"Lists the inbound messages the hub accepted but could not turn into shipment updates (a status "+
			"the normaliser does not understand, a malformed body), newest first, with the reason. They are "+
			"kept: after a mapping fix, retry them one by one or all at once, without stopping the hub. "+
			"Follow next_cursor until it is empty to walk all of them.",
		0, []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable}), a.listFailedInbox)
	huma.Register(a.humaAP, op("retry-inbox-message", http.MethodPost, "/inbox/{id}/retry", "Retry a failed message",
		"Makes one failed message pending again: the pipeline applies it anew, with the hub's current "+
			"configuration, and it is listed again if it still fails.",
		http.StatusAccepted, []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusServiceUnavailable}), a.retryInboxMessage)
	huma.Register(a.humaAP, op("retry-failed-inbox", http.MethodPost, "/inbox/failed/retry", "Retry failed messages",
		"Makes every failed message of the workspace, or of one connection, pending again, and says how many.",
		0, []int{http.StatusUnauthorized, http.StatusServiceUnavailable}), a.retryFailedInbox)

	describeSchema(a.humaAP.OpenAPI().Components.Schemas.Map(), "FailedMessage",
		"An inbound message the hub accepted but could not apply. Nothing of it reached a shipment; it is kept for a retry.", nil)
}

func (a *API) listFailedInbox(ctx context.Context, in *listFailedInboxInput) (*body[FailedMessagePage], error) {
	ws := workspaceFrom(ctx)
	f := in.filter
	f.Workspace = ws
	limit := f.Limit
	f.Limit = limit + 1
	list, err := a.store.ListFailedInbox(ctx, f)
	if err != nil {
		return nil, a.storeError(ctx, ws, "listing failed inbox messages", err)
	}
	list, next := trimPage(list, limit, func(m *store.FailedMessage) int64 { return m.ID })
	page := FailedMessagePage{Data: make([]FailedMessage, 0, len(list)), NextCursor: next}
	for _, m := range list {
		if m.Workspace != ws {
			continue // Defence in depth: never show another workspace's data.
		}
		page.Data = append(page.Data, FailedMessage{
			ID: m.ID, Workspace: m.Workspace, Connection: m.Connection, Provider: m.Provider, Source: m.Source,
			Topic: m.Topic, DedupKey: m.DedupKey, ContentType: m.ContentType, ReceivedAt: m.ReceivedAt,
			FailedAt: m.FailedAt, Failure: m.Failure, Excerpt: excerpt(m.Body),
		})
	}
	return &body[FailedMessagePage]{Body: page}, nil
}

func (a *API) retryInboxMessage(ctx context.Context, in *inboxIDInput) (*struct{}, error) {
	ws := workspaceFrom(ctx)
	err := a.store.RetryInbox(ctx, ws, in.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, huma.Error404NotFound("no inbox message with this id in the workspace")
	case errors.Is(err, store.ErrConflict):
		return nil, huma.Error409Conflict("the message has not failed: it is pending or was applied")
	case err != nil:
		return nil, a.storeError(ctx, ws, "retrying an inbox message", err)
	}
	a.notifyInbox()
	return nil, nil
}

func (a *API) retryFailedInbox(ctx context.Context, in *retryFailedInboxInput) (*body[InboxRetry], error) {
	ws := workspaceFrom(ctx)
	n, err := a.store.RetryFailedInbox(ctx, ws, in.Connection)
	if err != nil {
		return nil, a.storeError(ctx, ws, "retrying failed inbox messages", err)
	}
	if n > 0 {
		a.notifyInbox()
	}
	return &body[InboxRetry]{Body: InboxRetry{Retried: n}}, nil
}

func (a *API) notifyInbox() {
	if a.inboxRetried != nil {
		a.inboxRetried()
	}
}
