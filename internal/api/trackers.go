package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// TrackerControl is what the API needs from the hub's pollers to manage
// trackers.
type TrackerControl interface {
	// CanTrack reports whether the workspace's connection tracks parcels
	// (a gcl connection).
	CanTrack(workspace, connection string) bool
	// Wake makes the connection's poller look at new trackers now.
	Wake(workspace, connection string)
}

// trackingNumberPattern is what a carrier tracking number looks like: it
// becomes a URL path segment at the provider, so nothing else is accepted.
var trackingNumberPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Limits of a tracker request.
const (
	maxReferenceLen    = 200
	defaultTrackerPage = 50
	maxTrackerPage     = 200
)

// NewTracker asks a connection to track a parcel.
type NewTracker struct {
	Connection     string `json:"connection" doc:"The id of a gcl connection of the workspace."`
	TrackingNumber string `json:"tracking_number" doc:"The carrier's tracking number: letters, digits, '.', '_' or '-', at most 64."`
	Reference      string `json:"reference,omitempty" required:"false" doc:"The merchant's own reference for the parcel; it becomes a reference of the tracked shipment."`
}

type createTrackerInput struct {
	Body NewTracker
}

// Resolve checks the body; bad input is a 400 that names the field.
func (in *createTrackerInput) Resolve(huma.Context) []error {
	var errs []error
	b := &in.Body
	b.Connection = strings.TrimSpace(b.Connection)
	b.TrackingNumber = strings.TrimSpace(b.TrackingNumber)
	if b.Connection == "" {
		errs = append(errs, badParam("body.connection", b.Connection, "is required"))
	}
	if !trackingNumberPattern.MatchString(b.TrackingNumber) {
		errs = append(errs, badParam("body.tracking_number", b.TrackingNumber, "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"))
	}
	if len(b.Reference) > maxReferenceLen {
		errs = append(errs, badParam("body.reference", len(b.Reference), "must be at most %d bytes", maxReferenceLen))
	}
	return errs
}

type trackerOutput struct {
	Status int
	Body   *model.Tracker
}

// TrackerPage is one page of a tracker listing.
type TrackerPage struct {
	Data       []*model.Tracker `json:"data" doc:"Trackers, newest first."`
	NextCursor string           `json:"next_cursor" doc:"Pass as cursor to get the next page; empty on the last page."`
}

type listTrackersInput struct {
	Connection     string `query:"connection" doc:"Only trackers of this connection."`
	TrackingNumber string `query:"tracking_number" doc:"Only the tracker of this tracking number."`
	State          string `query:"state" doc:"Only trackers in this state: active, not_found, done or expired."`
	Cursor         string `query:"cursor" doc:"The next_cursor of the previous page; opaque."`
	Limit          int64  `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"The page size."`

	filter store.TrackerFilter
}

// Resolve checks the parameters and builds the store filter.
func (in *listTrackersInput) Resolve(ctx huma.Context) []error {
	var errs []error
	in.filter = store.TrackerFilter{Connection: in.Connection, TrackingNumber: in.TrackingNumber}
	switch st := model.TrackerState(in.State); st {
	case "", model.TrackerActive, model.TrackerNotFound, model.TrackerDone, model.TrackerExpired:
		in.filter.State = st
	default:
		errs = append(errs, badParam("query.state", in.State, "must be one of active, not_found, done, expired"))
	}
	var pageErrs []error
	in.filter.BeforeID, in.filter.Limit, pageErrs = pageParams(ctx, in.Cursor, defaultTrackerPage, maxTrackerPage)
	return append(errs, pageErrs...)
}

type trackerIDInput struct {
	ID int64 `path:"id" minimum:"1" doc:"The tracker's id."`
}

// Resolve checks the id, which huma parsed but did not bound.
func (in *trackerIDInput) Resolve(ctx huma.Context) []error { return pathID(ctx, &in.ID) }

func (a *API) registerTrackers() {
	huma.Register(a.humaAP, huma.Operation{
		OperationID: "create-tracker",
		Method:      http.MethodPost,
		Path:        "/trackers",
		Summary:     "Track a parcel",
		Description: "Starts polling a parcel's tracking through a gcl connection. Asking again for the same " +
			"tracking number returns the existing tracker (200) instead of a new one (201). The parcel's " +
			"tracking appears as a shipment of the connection, found by GET /tracking/{tracking_number}.",
		Tags:               []string{"Trackers"},
		Security:           secured,
		DefaultStatus:      http.StatusCreated,
		SkipValidateParams: true,
		SkipValidateBody:   true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable},
	}, a.createTracker)

	huma.Register(a.humaAP, huma.Operation{
		OperationID:        "list-trackers",
		Method:             http.MethodGet,
		Path:               "/trackers",
		Summary:            "List trackers",
		Description:        "Lists the workspace's trackers, newest first, with their polling state and schedule.",
		Tags:               []string{"Trackers"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable},
	}, a.listTrackers)

	huma.Register(a.humaAP, huma.Operation{
		OperationID:        "get-tracker",
		Method:             http.MethodGet,
		Path:               "/trackers/{id}",
		Summary:            "Get a tracker",
		Tags:               []string{"Trackers"},
		Security:           secured,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusServiceUnavailable},
	}, a.getTracker)

	huma.Register(a.humaAP, huma.Operation{
		OperationID:        "delete-tracker",
		Method:             http.MethodDelete,
		Path:               "/trackers/{id}",
		Summary:            "Stop tracking a parcel",
		Description:        "Deletes the tracker; the shipment its polls built stays.",
		Tags:               []string{"Trackers"},
		Security:           secured,
		DefaultStatus:      http.StatusNoContent,
		SkipValidateParams: true,
		Errors:             []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusServiceUnavailable},
	}, a.deleteTracker)
}

func (a *API) createTracker(ctx context.Context, in *createTrackerInput) (*trackerOutput, error) {
	ws := workspaceFrom(ctx)
	if a.trackers == nil || !a.trackers.CanTrack(ws, in.Body.Connection) {
		return nil, huma.Error400BadRequest("validation failed",
			badParam("body.connection", in.Body.Connection, "is not a parcel-tracking (gcl) connection of this workspace"))
	}
	t := &model.Tracker{
		Workspace: ws, Connection: in.Body.Connection, TrackingNumber: in.Body.TrackingNumber,
		Reference: in.Body.Reference, Origin: "api", NextPollAt: ptrTime(time.Now().UTC()),
	}
	created, err := a.store.CreateTracker(ctx, t)
	if err != nil {
		return nil, a.storeError(ctx, ws, "creating a tracker", err)
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		a.trackers.Wake(ws, t.Connection)
	}
	return &trackerOutput{Status: status, Body: t}, nil
}

func (a *API) listTrackers(ctx context.Context, in *listTrackersInput) (*body[TrackerPage], error) {
	ws := workspaceFrom(ctx)
	f := in.filter
	f.Workspace = ws
	limit := f.Limit
	f.Limit = limit + 1
	list, err := a.store.ListTrackers(ctx, f)
	if err != nil {
		return nil, a.storeError(ctx, ws, "listing trackers", err)
	}
	list, next := trimPage(list, limit, func(t *model.Tracker) int64 { return t.ID })
	page := TrackerPage{Data: make([]*model.Tracker, 0, len(list)), NextCursor: next}
	for _, t := range list {
		if t.Workspace == ws {
			page.Data = append(page.Data, t)
		}
	}
	return &body[TrackerPage]{Body: page}, nil
}

func (a *API) getTracker(ctx context.Context, in *trackerIDInput) (*body[*model.Tracker], error) {
	ws := workspaceFrom(ctx)
	t, err := a.store.GetTracker(ctx, ws, in.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Workspace != ws) {
		return nil, huma.Error404NotFound("no tracker with this id in the workspace")
	}
	if err != nil {
		return nil, a.storeError(ctx, ws, "getting a tracker", err)
	}
	return &body[*model.Tracker]{Body: t}, nil
}

func (a *API) deleteTracker(ctx context.Context, in *trackerIDInput) (*struct{}, error) {
	ws := workspaceFrom(ctx)
	err := a.store.DeleteTracker(ctx, ws, in.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, huma.Error404NotFound("no tracker with this id in the workspace")
	}
	if err != nil {
		return nil, a.storeError(ctx, ws, "deleting a tracker", err)
	}
	return nil, nil
}

func ptrTime(t time.Time) *time.Time { return &t }
