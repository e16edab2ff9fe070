package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// CommandQueue is the durable command queue as the API uses it (package
// commands implements it on River). The API validates a request completely
// before it submits it: the queue commits the subject, the command and its
// job in one transaction and validates nothing itself.
type CommandQueue interface {
	// Submit commits a submission (store.Commands.SubmitCommand with the
	// job that carries the command out). Its errors wrap
	// store.ErrDuplicateReference and store.ErrIdempotencyKeyReused.
	Submit(ctx context.Context, s *store.Submission) (*store.SubmitResult, error)
	// Retry queues a failed or dead command of the workspace again;
	// store.ErrNotFound, or store.ErrConflict in another status.
	Retry(ctx context.Context, workspace string, id int64) (*model.Command, error)
}

// CommandReader reads commands (the read half of store.Commands).
type CommandReader interface {
	GetCommand(ctx context.Context, workspace string, id int64) (*model.Command, error)
	ListCommands(ctx context.Context, f store.CommandFilter) ([]*model.Command, error)
}

// ConnectionLookup finds a configured connection (*connections.Set).
type ConnectionLookup interface {
	Lookup(workspace, connection string) (*connections.Conn, bool)
}

// ConnectionStatuses answers GET /connections (package connstatus).
type ConnectionStatuses interface {
	// Connections lists every configured connection of the workspace, in
	// configuration order, with its health, last message, last error and
	// budget.
	Connections(ctx context.Context, workspace string) ([]*model.ConnectionStatus, error)
}

var _ ConnectionLookup = (*connections.Set)(nil)

// commandParts are what the command routes use beyond the store.
type commandParts struct {
	queue    CommandQueue
	commands CommandReader
	conns    ConnectionLookup
	statuses ConnectionStatuses
	now      func() time.Time
}

func newCommandParts(cfg Config) commandParts {
	p := commandParts{queue: cfg.Commands, commands: cfg.CommandStore, conns: cfg.Connections, statuses: cfg.Statuses, now: cfg.Now}
	if p.commands == nil {
		if r, ok := cfg.Store.(CommandReader); ok {
			p.commands = r
		}
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p
}

// Page sizes of the command listing.
const (
	defaultCommandPage = 50
	maxCommandPage     = 200
)

// CommandPage is one page of a command listing.
type CommandPage struct {
	Data       []*model.Command `json:"data" doc:"Commands, newest first."`
	NextCursor string           `json:"next_cursor" doc:"Pass as cursor to get the next page; empty on the last page."`
}

type listCommandsInput struct {
	Status     string `query:"status" enum:"queued,running,succeeded,failed,dead" doc:"Only commands in this status: failed lists those waiting for another attempt, dead those given up."`
	Connection string `query:"connection" doc:"Only commands of this connection (its id in the configuration)."`
	Kind       string `query:"kind" doc:"Only commands of this kind, such as order.create."`
	Cursor     string `query:"cursor" doc:"The next_cursor of the previous page; opaque."`
	Limit      int64  `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"The page size."`

	filter store.CommandFilter
}

// Resolve checks the parameters and builds the store filter.
func (in *listCommandsInput) Resolve(ctx huma.Context) []error {
	var errs []error
	in.filter = store.CommandFilter{Connection: in.Connection, Kind: model.CommandKind(in.Kind)}
	if in.Status != "" {
		st := model.CommandStatus(in.Status)
		if !slices.Contains(model.CommandStatuses, st) {
			errs = append(errs, badParam("query.status", in.Status, "must be one of %s", commandStatusList()))
		}
		in.filter.Status = st
	}
	if len(in.Kind) > 100 {
		errs = append(errs, badParam("query.kind", in.Kind, "is longer than any command kind"))
	}
	var pageErrs []error
	in.filter.BeforeID, in.filter.Limit, pageErrs = pageParams(ctx, in.Cursor, defaultCommandPage, maxCommandPage)
	return append(errs, pageErrs...)
}

type commandIDInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The command's id."`
}

// Resolve checks the id, which huma parsed but did not bound.
func (in *commandIDInput) Resolve(ctx huma.Context) []error { return pathID(ctx, &in.ID) }

func (a *API) registerCommands() {
	huma.Register(a.humaAP, huma.Operation{
		OperationID: "list-commands",
		Method:      http.MethodGet,
		Path:        "/commands",
		Summary:     "List commands",
		Description: "Lists the requests the hub makes of providers on the workspace's behalf (orders, products and " +
			"inbound goods created or cancelled), newest first. status=failed lists those waiting for another attempt, " +
			"status=dead those given up.",
		Tags:               []string{"Commands"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable},
	}, a.listCommands)

	huma.Register(a.humaAP, huma.Operation{
		OperationID:        "get-command",
		Method:             http.MethodGet,
		Path:               "/commands/{id}",
		Summary:            "Get a command",
		Description:        "Returns one command of the workspace: its status, attempts, last error and next attempt.",
		Tags:               []string{"Commands"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusServiceUnavailable},
	}, a.getCommand)

	huma.Register(a.humaAP, huma.Operation{
		OperationID: "retry-command",
		Method:      http.MethodPost,
		Path:        "/commands/{id}/retry",
		Summary:     "Retry a command",
		Description: "Queues a failed or dead command again (its attempts are kept); 409 in any other status. " +
			"The provider's idempotency (the hub looks the subject up before creating it again) makes a retry safe.",
		Tags:               []string{"Commands"},
		Security:           secured,
		SkipValidateParams: true,
		DefaultStatus:      http.StatusAccepted,
		Errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict,
			http.StatusServiceUnavailable},
	}, a.retryCommand)
}

func (a *API) listCommands(ctx context.Context, in *listCommandsInput) (*body[CommandPage], error) {
	ws := workspaceFrom(ctx)
	if a.commands == nil {
		return nil, errNoCommands
	}
	f := in.filter
	f.Workspace = ws
	limit := f.Limit
	f.Limit = limit + 1
	list, err := a.commands.ListCommands(ctx, f)
	if err != nil {
		return nil, a.storeError(ctx, ws, "listing commands", err)
	}
	list, next := trimPage(list, limit, func(c *model.Command) int64 { return c.ID })
	page := CommandPage{Data: make([]*model.Command, 0, len(list)), NextCursor: next}
	for _, c := range list {
		if c.Workspace == ws { // Defence in depth: never show another workspace's data.
			page.Data = append(page.Data, c)
		}
	}
	return &body[CommandPage]{Body: page}, nil
}

func (a *API) getCommand(ctx context.Context, in *commandIDInput) (*body[*model.Command], error) {
	ws := workspaceFrom(ctx)
	if a.commands == nil {
		return nil, errNoCommands
	}
	c, err := a.command(ctx, ws, in.ID)
	if err != nil {
		return nil, err
	}
	return &body[*model.Command]{Body: c}, nil
}

// command loads one command of the workspace, or the error to answer.
func (a *API) command(ctx context.Context, ws string, id int64) (*model.Command, error) {
	c, err := a.commands.GetCommand(ctx, ws, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.Workspace != ws) {
		return nil, huma.Error404NotFound("no command with this id in the workspace")
	}
	if err != nil {
		return nil, a.storeError(ctx, ws, "getting a command", err)
	}
	return c, nil
}

func (a *API) retryCommand(ctx context.Context, in *commandIDInput) (*body[*model.Command], error) {
	ws := workspaceFrom(ctx)
	if a.queue == nil || a.commands == nil {
		return nil, errNoCommands
	}
	// The command is read first so that another workspace's command is a
	// 404 whatever the queue does with the id.
	if _, err := a.command(ctx, ws, in.ID); err != nil {
		return nil, err
	}
	c, err := a.queue.Retry(ctx, ws, in.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, huma.Error404NotFound("no command with this id in the workspace")
	case errors.Is(err, store.ErrConflict):
		return nil, huma.Error409Conflict("only a failed or dead command can be retried")
	case err != nil:
		return nil, a.storeError(ctx, ws, "retrying a command", err)
	}
	return &body[*model.Command]{Body: c}, nil
}

// errNoCommands answers the command routes of a hub built without a queue.
var errNoCommands = huma.ErrorWithHeaders(
	huma.Error503ServiceUnavailable("this hub does not send commands to providers"),
	http.Header{"Retry-After": {"60"}},
)

// sender finds the connection a command is for and checks that its
// connector carries out the kind. Its errors are field errors of field.
func (a *API) sender(ws, connection, field string, kind model.CommandKind) (*connections.Conn, provider.CommandSender, provider.FieldErrors) {
	if connection == "" {
		return nil, nil, provider.FieldErrors{{Field: field, Message: "is required"}}
	}
	var (
		c  *connections.Conn
		ok bool
	)
	if a.conns != nil {
		c, ok = a.conns.Lookup(ws, connection)
	}
	if !ok || c.Workspace != ws {
		return nil, nil, provider.FieldErrors{{Field: field, Message: "is not a connection of the workspace", Value: connection}}
	}
	s, ok := c.Connector.(provider.CommandSender)
	if !ok {
		return nil, nil, provider.FieldErrors{{Field: field, Value: connection,
			Message: fmt.Sprintf("is a %s connection, which takes no commands", c.Provider)}}
	}
	if !slices.Contains(s.CommandKinds(), kind) {
		return nil, nil, provider.FieldErrors{{Field: field, Value: connection,
			Message: fmt.Sprintf("is a %s connection, which does not carry out %s", c.Provider, kind)}}
	}
	return c, s, nil
}

// validateWith runs the connector's own validation of a command; its
// FieldErrors name fields of the request body.
// prepared is a creating call's command, checked and ready to submit.
type prepared struct {
	conn   *connections.Conn
	sender provider.CommandSender
	cmd    *model.Command
	now    time.Time
}

// prepare is what every creating call (POST /orders, /products, /inbound,
// /returns) does before it builds its subject: the connection must take
// the kind, the request's own field errors (fe) and the connector's
// ValidateCommand must pass (422 naming every field), and the request
// becomes the command's payload.
func (a *API) prepare(ws, connection string, kind model.CommandKind, req any, fe provider.FieldErrors) (*prepared, error) {
	conn, sender, cfe := a.sender(ws, connection, "connection", kind)
	if fe = append(cfe, fe...); len(fe) > 0 {
		return nil, invalid(fe)
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encoding the %s request: %w", kind, err)
	}
	now := a.now().UTC()
	cmd := newCommand(ws, conn, kind, payload, now)
	if err := validateWith(sender, cmd); err != nil {
		return nil, err
	}
	return &prepared{conn: conn, sender: sender, cmd: cmd, now: now}, nil
}

func validateWith(s provider.CommandSender, cmd *model.Command) error {
	err := s.ValidateCommand(cmd)
	if err == nil {
		return nil
	}
	var fe provider.FieldErrors
	if errors.As(err, &fe) {
		return invalid(fe)
	}
	return invalid(provider.FieldErrors{{Field: "", Message: err.Error()}})
}

// invalid is the 422 answer of a request with invalid fields: one error
// detail per field, located in the body ("body.lines[0].quantity").
func invalid(fe provider.FieldErrors) error {
	details := make([]error, 0, len(fe))
	names := make([]string, 0, len(fe))
	for _, e := range fe {
		loc := "body"
		if e.Field != "" {
			loc += "." + e.Field
		}
		details = append(details, &huma.ErrorDetail{Location: loc, Message: e.Message, Value: e.Value})
		names = append(names, loc)
	}
	return huma.Error422UnprocessableEntity("the request is not valid: "+strings.Join(names, ", "), details...)
}

// submitError maps the queue's refusals to their answers.
func (a *API) submitError(ctx context.Context, ws, doing string, err error) error {
	switch {
	case errors.Is(err, store.ErrIdempotencyKeyReused):
		return huma.Error422UnprocessableEntity("the Idempotency-Key was used before with a different request",
			&huma.ErrorDetail{Location: "header.Idempotency-Key", Message: "was used before with a different request"})
	case errors.Is(err, store.ErrDuplicateReference):
		return huma.Error409Conflict("the connection already has this reference; send the same Idempotency-Key to repeat a request safely")
	default:
		return a.storeError(ctx, ws, doing, err)
	}
}

func commandStatusList() string {
	names := make([]string, len(model.CommandStatuses))
	for i, s := range model.CommandStatuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
