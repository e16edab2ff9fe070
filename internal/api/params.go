package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"
)

// Paging limits. Listings fetch one row more than asked for, to know whether
// another page follows without a second query.
const (
	defaultShipmentLimit = 50
	maxShipmentLimit     = 200
	defaultFeedLimit     = 100
	maxFeedLimit         = 500
	// maxTracked caps how many shipments one tracking reference returns.
	maxTracked = 50
)

// paramError is one invalid request parameter. It carries status 400, so
// that huma answers a request with bad parameters 400 rather than its
// default 422: operations skip huma's own parameter validation (the schema's
// enums and bounds only document), and their resolvers check the parameters
// instead and return paramErrors.
type paramError struct {
	detail huma.ErrorDetail
}

func badParam(location string, value any, format string, args ...any) *paramError {
	return &paramError{detail: huma.ErrorDetail{Location: location, Value: value, Message: fmt.Sprintf(format, args...)}}
}

func (e *paramError) Error() string                  { return e.detail.Location + ": " + e.detail.Message }
func (e *paramError) GetStatus() int                 { return http.StatusBadRequest }
func (e *paramError) ErrorDetail() *huma.ErrorDetail { return &e.detail }

var (
	_ huma.StatusError   = (*paramError)(nil)
	_ huma.ErrorDetailer = (*paramError)(nil)
)

// intParam parses an integer parameter from its raw text, which huma has
// parsed already but without the bounds check: def when absent, else a
// value in [lo, hi].
func intParam(location, raw string, def, lo, hi int64) (int64, error) {
	if raw == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || v < lo || v > hi {
		if hi == maxInt64 {
			return 0, badParam(location, raw, "must be an integer of at least %d", lo)
		}
		return 0, badParam(location, raw, "must be an integer from %d to %d", lo, hi)
	}
	return v, nil
}

const maxInt64 = 1<<63 - 1

// encodeCursor makes the opaque continuation of a shipment listing that
// ended at shipment id. Clients must not build cursors; the encoding may
// change.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

// decodeCursor reverses encodeCursor. It accepts only what encodeCursor
// produces, so a mangled cursor is an error rather than a silent restart.
func decodeCursor(c string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	id, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || id <= 0 || encodeCursor(id) != c {
		return 0, false
	}
	return id, true
}

// pathID reads the {id} path parameter into id: huma parsed it but did not
// bound it.
func pathID(ctx huma.Context, id *int64) []error {
	v, err := intParam("path.id", ctx.Param("id"), 0, 1, maxInt64)
	if err != nil {
		return []error{err}
	}
	*id = v
	return nil
}

// pageParams reads the cursor and limit of a listing: the id to continue
// before (0 from the start) and the page size, def when absent, at most hi.
func pageParams(ctx huma.Context, cursor string, def, hi int64) (beforeID int64, limit int, errs []error) {
	if cursor != "" {
		id, ok := decodeCursor(cursor)
		if !ok {
			errs = append(errs, badParam("query.cursor", cursor, "is not a cursor this API returned"))
		}
		beforeID = id
	}
	l, err := intParam("query.limit", ctx.Query("limit"), def, 1, hi)
	if err != nil {
		errs = append(errs, err)
	}
	return beforeID, int(l), errs
}

// trimPage cuts a listing fetched with one row more than limit down to
// limit, and returns the cursor of the next page, empty on the last one.
func trimPage[T any](list []T, limit int, id func(T) int64) ([]T, string) {
	if len(list) <= limit {
		return list, ""
	}
	list = list[:limit]
	return list, encodeCursor(id(list[limit-1]))
}
