package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// ReturnPage is one page of a return listing.
type ReturnPage struct {
	Data       []*model.Return `json:"data" doc:"Returns, newest first, with their lines and answers."`
	NextCursor string          `json:"next_cursor" doc:"Pass as cursor to get the next page; empty on the last page."`
}

type listReturnsInput struct {
	Reference  string `query:"reference" doc:"Only returns of this order reference, or with this RMA number, exactly."`
	Status     string `query:"status" enum:"announced,received,processed,unknown" doc:"Only returns in this status."`
	Connection string `query:"connection" doc:"Only returns of this connection (its id in the configuration)."`
	Cursor     string `query:"cursor" doc:"The next_cursor of the previous page; opaque."`
	Limit      int64  `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"The page size."`

	filter store.ReturnFilter
}

// Resolve checks the parameters and builds the store filter.
func (in *listReturnsInput) Resolve(ctx huma.Context) []error {
	var errs []error
	in.filter = store.ReturnFilter{Reference: in.Reference, Connection: in.Connection}
	if st := model.ReturnStatus(in.Status); in.Status != "" {
		if !slices.Contains(model.ReturnStatuses, st) {
			names := make([]string, len(model.ReturnStatuses))
			for i, s := range model.ReturnStatuses {
				names[i] = string(s)
			}
			errs = append(errs, badParam("query.status", in.Status, "must be one of %s", strings.Join(names, ", ")))
		}
		in.filter.Status = st
	}
	var pageErrs []error
	in.filter.BeforeID, in.filter.Limit, pageErrs = pageParams(ctx, in.Cursor, defaultShipmentLimit, maxShipmentLimit)
	return append(errs, pageErrs...)
}

type returnIDInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The return's id."`
}

// Resolve checks the id, which huma parsed but did not bound.
func (in *returnIDInput) Resolve(ctx huma.Context) []error { return pathID(ctx, &in.ID) }

// labelOutput is the label the hub keeps (200, its PDF), or sends the
// client on to where the provider makes it (302).
type labelOutput struct {
	Status      int
	Location    string `header:"Location" doc:"Where the provider makes the return label (302)."`
	ContentType string `header:"Content-Type" doc:"application/pdf for a label the hub keeps (200)."`
	Body        []byte `contentType:"application/pdf"`
}

func (a *API) registerReturns() {
	huma.Register(a.humaAP, huma.Operation{
		OperationID: "list-returns",
		Method:      http.MethodGet,
		Path:        "/returns",
		Summary:     "List returns",
		Description: "Lists the workspace's returns (RMAs), newest first, with their lines and the customer's " +
			"answers. Follow next_cursor until it is empty to walk all of them.",
		Tags:               []string{"Returns"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable},
	}, a.listReturns)

	huma.Register(a.humaAP, huma.Operation{
		OperationID:        "get-return",
		Method:             http.MethodGet,
		Path:               "/returns/{id}",
		Summary:            "Get a return",
		Description:        "Returns one return of the workspace with its lines and the customer's answers.",
		Tags:               []string{"Returns"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusServiceUnavailable},
	}, a.getReturn)

	huma.Register(a.humaAP, huma.Operation{
		OperationID: "get-return-label",
		Method:      http.MethodGet,
		Path:        "/returns/{id}/label",
		Summary:     "Get a return's label",
		Description: "Serves the return's label as application/pdf (200) when the hub keeps it (Active Ants sends its " +
			"labels as PDF), or redirects (302) to where the provider makes it. A return without a label is 404.",
		Tags:               []string{"Returns"},
		Security:           secured,
		DefaultStatus:      http.StatusFound,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusServiceUnavailable},
	}, a.getReturnLabel)
	a.documentLabel()
}

// documentLabel describes the label's two answers, which one output type
// serves: 200 with the PDF the hub keeps, 302 to the provider's address.
func (a *API) documentLabel() {
	item := a.humaAP.OpenAPI().Paths["/returns/{id}/label"]
	if item == nil || item.Get == nil {
		return
	}
	resp := item.Get.Responses
	found := resp[strconv.Itoa(http.StatusFound)]
	if found == nil {
		return
	}
	resp[strconv.Itoa(http.StatusOK)] = &huma.Response{
		Description: "The return label the hub keeps (the PDF the provider sent).",
		Content:     map[string]*huma.MediaType{"application/pdf": {Schema: &huma.Schema{Type: huma.TypeString, Format: "binary"}}},
	}
	found.Description = "Found: the label is at the provider's address in Location."
	found.Content = nil
	delete(found.Headers, "Content-Type")
}

func (a *API) listReturns(ctx context.Context, in *listReturnsInput) (*body[ReturnPage], error) {
	ws := workspaceFrom(ctx)
	f := in.filter
	f.Workspace = ws
	limit := f.Limit
	f.Limit = limit + 1
	list, err := a.store.ListReturns(ctx, f)
	if err != nil {
		return nil, a.storeError(ctx, ws, "listing returns", err)
	}
	list, next := trimPage(list, limit, func(r *model.Return) int64 { return r.ID })
	page := ReturnPage{Data: make([]*model.Return, 0, len(list)), NextCursor: next}
	for _, r := range list {
		if r.Workspace == ws {
			page.Data = append(page.Data, returnBody(r))
		}
	}
	return &body[ReturnPage]{Body: page}, nil
}

func (a *API) loadReturn(ctx context.Context, id int64) (*model.Return, error) {
	ws := workspaceFrom(ctx)
	r, err := a.store.GetReturn(ctx, ws, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && r.Workspace != ws) {
		return nil, huma.Error404NotFound("no return with this id in the workspace")
	}
	if err != nil {
		return nil, a.storeError(ctx, ws, "getting a return", err)
	}
	return r, nil
}

func (a *API) getReturn(ctx context.Context, in *returnIDInput) (*body[*model.Return], error) {
	r, err := a.loadReturn(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &body[*model.Return]{Body: returnBody(r)}, nil
}

// getReturnLabel redirects to the label's address: the provider makes the
// label, and the hub keeps only where.
func (a *API) getReturnLabel(ctx context.Context, in *returnIDInput) (*labelOutput, error) {
	r, err := a.loadReturn(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if r.Label == "" {
		return nil, huma.Error404NotFound("this return has no label")
	}
	l, ok := ResolveReturnLabel(r.Label)
	if !ok {
		return nil, huma.Error404NotFound("this return's label is not an address the hub can send you to")
	}
	if l.Location != "" {
		return &labelOutput{Status: http.StatusFound, Location: l.Location}, nil
	}
	return &labelOutput{Status: http.StatusOK, ContentType: l.ContentType, Body: l.Data}, nil
}

// ReturnLabel is how a return's label is served: the bytes the hub keeps
// (Data, of ContentType), or the provider's address to redirect to
// (Location). The API's GET /returns/{id}/label and the dashboard serve it
// alike.
type ReturnLabel struct {
	ContentType string
	Data        []byte
	Location    string
}

// ResolveReturnLabel reads a return's Label field: ok is false when there
// is no label, or it is neither a label the hub keeps nor an http(s)
// address the hub can send a client to.
func ResolveReturnLabel(label string) (ReturnLabel, bool) {
	if label == "" {
		return ReturnLabel{}, false
	}
	if mime, data, ok := storedLabel(label); ok {
		return ReturnLabel{ContentType: mime, Data: data}, true
	}
	u, err := url.Parse(label)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ReturnLabel{}, false
	}
	return ReturnLabel{Location: u.String()}, true
}
