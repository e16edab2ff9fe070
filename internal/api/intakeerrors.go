package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

const (
	defaultIntakeErrorLimit = 50
	maxIntakeErrorLimit     = 200
	// intakeErrorExcerpt is how much of a refused file the API shows.
	intakeErrorExcerpt = 512
)

// IntakeError is one inbound file the hub refused, as the API shows it.
type IntakeError struct {
	model.IntakeError
	// Excerpt is the start of the refused bytes as text, so a merchant can
	// see what the provider sent without access to the hub's disk.
	Excerpt string `json:"excerpt" doc:"The first bytes of what was received, as text (invalid UTF-8 replaced)."`
}

// IntakeErrorPage is one page of the workspace's intake errors.
type IntakeErrorPage struct {
	Data       []IntakeError `json:"data" doc:"Refused inbound files, newest first."`
	NextCursor string        `json:"next_cursor" doc:"Pass as cursor to get the next page; empty on the last page."`
}

type listIntakeErrorsInput struct {
	Connection string `query:"connection" doc:"Only errors of this connection (its id in the configuration)."`
	Cursor     string `query:"cursor" doc:"The next_cursor of the previous page; opaque."`
	Limit      int64  `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"The page size."`

	filter store.IntakeErrorFilter
}

// Resolve checks the parameters and builds the store filter.
func (in *listIntakeErrorsInput) Resolve(ctx huma.Context) []error {
	in.filter = store.IntakeErrorFilter{Connection: in.Connection}
	var errs []error
	in.filter.BeforeID, in.filter.Limit, errs = pageParams(ctx, in.Cursor, defaultIntakeErrorLimit, maxIntakeErrorLimit)
	return errs
}

// registerIntakeErrors adds GET /intake/errors.
func (a *API) registerIntakeErrors() {
	huma.Register(a.humaAP, huma.Operation{
		OperationID: "list-intake-errors",
		Method:      http.MethodGet,
		Path:        "/intake/errors",
		Summary:     "List refused inbound files",
		Description: "Lists inbound files the hub received but refused (an FTP file that does not parse, or one " +
			"over the size cap), newest first, with the reason. Nothing of them reached a shipment; their bytes " +
			"are kept in the hub's quarantine. Follow next_cursor until it is empty to walk all of them.",
		Tags:               []string{"Intake"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable},
	}, a.listIntakeErrors)
}

func (a *API) listIntakeErrors(ctx context.Context, in *listIntakeErrorsInput) (*body[IntakeErrorPage], error) {
	ws := workspaceFrom(ctx)
	f := in.filter
	f.Workspace = ws
	limit := f.Limit
	f.Limit = limit + 1
	list, err := a.store.ListIntakeErrors(ctx, f)
	if err != nil {
		return nil, a.storeError(ctx, ws, "listing intake errors", err)
	}
	list, next := trimPage(list, limit, func(e *model.IntakeError) int64 { return e.ID })
	page := IntakeErrorPage{Data: make([]IntakeError, 0, len(list)), NextCursor: next}
	for _, e := range list {
		if e.Workspace != ws {
			continue // Defence in depth: never show another workspace's data.
		}
		page.Data = append(page.Data, IntakeError{IntakeError: *e, Excerpt: excerpt(e.Body)})
	}
	return &body[IntakeErrorPage]{Body: page}, nil
}

// excerpt renders the start of raw bytes as valid UTF-8 text.
func excerpt(b []byte) string {
	if len(b) > intakeErrorExcerpt {
		b = b[:intakeErrorExcerpt]
	}
	return string([]rune(string(b))) // invalid bytes become U+FFFD
}
