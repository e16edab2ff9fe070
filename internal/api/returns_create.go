package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// ReturnInput is a return for POST /returns: the canonical return request
// and the connection whose warehouse receives the goods.
type ReturnInput struct {
	Connection string `json:"connection" minLength:"1" doc:"The id of the connection (in the configuration) whose warehouse receives the goods."`
	model.ReturnRequest
}

// ReturnCommand is the answer of POST /returns.
type ReturnCommand struct {
	Return  *model.Return  `json:"return" doc:"The return as the hub holds it; the provider's RMA number and label follow from its answer."`
	Command *model.Command `json:"command" doc:"The command that announces the return at the provider."`
}

type createReturnInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"A key of the client's choosing that makes the request safe to repeat."`
	RawBody        []byte
}

// Resolve checks the Idempotency-Key.
func (in *createReturnInput) Resolve(huma.Context) []error {
	return checkIdempotencyKey(in.IdempotencyKey)
}

func (a *API) registerReturnCommands() {
	registerCreate(a, huma.Operation{
		OperationID: "create-return",
		Method:      http.MethodPost,
		Path:        "/returns",
		Summary:     "Announce a return",
		Description: "Commits the return (announced) and the command that announces it (an RMA) at the connection's " +
			"warehouse, in one transaction, and answers 202 with both. The provider's RMA number and, where it makes " +
			"one, the return label (GET /returns/{id}/label) follow from its answer. Invalid content is refused (422) " +
			"with every invalid field named, and nothing is queued. A second return of the same order while the hub " +
			"holds one made through the API is 409. " + idempotencyDoc,
		Tags: []string{"Returns"},
		Errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity,
			http.StatusServiceUnavailable},
	}, reflect.TypeFor[ReturnInput](), a.createReturn)
}

// validateReturnRequest checks a return request: the order's reference,
// at least one line with a SKU and a quantity above 0.
func validateReturnRequest(r *model.ReturnRequest) provider.FieldErrors {
	var c fieldCheck
	c.reference("reference", r.Reference)
	if r.ShipmentRef != "" {
		c.reference("shipment_ref", r.ShipmentRef)
	}
	c.text("note", r.Note)
	if len(r.Lines) == 0 {
		c.add("lines", nil, "must have at least one line")
	} else if len(r.Lines) > maxRequestLines {
		c.add("lines", len(r.Lines), "must have at most %d lines", maxRequestLines)
	}
	for i, l := range r.Lines {
		if i >= maxRequestLines {
			break
		}
		c.reference(fmt.Sprintf("lines[%d].sku", i), l.SKU)
		c.quantity(fmt.Sprintf("lines[%d].quantity", i), l.Quantity)
		c.text(fmt.Sprintf("lines[%d].reason", i), l.Reason)
	}
	return c.errs
}

func (a *API) createReturn(ctx context.Context, in *createReturnInput) (*body[ReturnCommand], error) {
	ws := workspaceFrom(ctx)
	if a.queue == nil {
		return nil, errNoCommands
	}
	var req ReturnInput
	if err := decodeBody(in.RawBody, &req); err != nil {
		return nil, err
	}
	fe := validateReturnRequest(&req.ReturnRequest)
	prep, err := a.prepare(ws, req.Connection, model.CommandReturnCreate, req.ReturnRequest, fe)
	if err != nil {
		return nil, err
	}
	conn, cmd, now := prep.conn, prep.cmd, prep.now
	sub := submission(cmd, in.IdempotencyKey, requestHash(cmd.Kind, conn.ID, 0, req.ReturnRequest), now)
	sub.Return = newReturn(cmd, &req.ReturnRequest, now)
	res, err := a.queue.Submit(ctx, sub)
	if errors.Is(err, store.ErrDuplicateReference) {
		return nil, huma.Error409Conflict("the hub already holds a return of this order made through the API")
	}
	if err != nil {
		return nil, a.submitError(ctx, ws, "submitting a return", err)
	}
	r, err := a.store.GetReturn(ctx, ws, res.SubjectID)
	if errors.Is(err, store.ErrNotFound) {
		c := *sub.Return
		c.ID = res.SubjectID
		r = &c
	} else if err != nil {
		return nil, a.storeError(ctx, ws, "reading a submitted return back", err)
	}
	return &body[ReturnCommand]{Body: ReturnCommand{Return: returnBody(r), Command: res.Command}}, nil
}

// newReturn is the return a return.create creates: announced, its lines
// numbered from 1.
func newReturn(cmd *model.Command, r *model.ReturnRequest, now time.Time) *model.Return {
	ret := &model.Return{
		Resource: model.Resource{Workspace: cmd.Workspace, Connection: cmd.Connection, Provider: cmd.Provider,
			CreatedAt: now, UpdatedAt: now},
		Reference: r.Reference, Status: model.ReturnAnnounced, Lines: make([]model.ReturnLine, len(r.Lines)),
	}
	for i, l := range r.Lines {
		ret.Lines[i] = model.ReturnLine{LineNumber: i + 1, SKU: l.SKU, Quantity: l.Quantity, Reason: l.Reason}
	}
	return ret
}

// labelDataPrefix starts a return label the hub keeps itself (a data: URL
// of the PDF the provider sent, such as Active Ants's base64 label).
const labelDataPrefix = "data:"

// storedLabel decodes a label the hub keeps: its media type and bytes;
// ok false when the label is an address (or not a base64 data: URL).
func storedLabel(label string) (mime string, data []byte, ok bool) {
	rest, found := strings.CutPrefix(label, labelDataPrefix)
	if !found {
		return "", nil, false
	}
	meta, b64, found := strings.Cut(rest, ",")
	if !found || !strings.HasSuffix(meta, ";base64") {
		return "", nil, false
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", nil, false
	}
	mime = strings.TrimSuffix(meta, ";base64")
	if mime == "" {
		mime = "application/pdf"
	}
	return mime, data, true
}

// returnBody is a return as the API shows it (model.Return.Shown).
func returnBody(r *model.Return) *model.Return {
	if r == nil {
		return nil
	}
	return r.Shown()
}
