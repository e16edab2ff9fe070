package intake_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/intake"
)

// derivingHandler counts the loggers made from it with attributes.
type derivingHandler struct {
	slog.Handler
	derived *atomic.Int64
}

func (h derivingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h.derived.Add(1)
	return derivingHandler{Handler: h.Handler.WithAttrs(attrs), derived: h.derived}
}

func (h derivingHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.Handler.Handle(ctx, r)
}

// TestAcceptedRequestsMakeNoLogger: a request that is accepted logs nothing,
// so it makes no logger with the request's attributes either (slog formats
// them when the logger is made); one that is refused logs its line with
// them.
func TestAcceptedRequestsMakeNoLogger(t *testing.T) {
	t.Parallel()
	conns := openCourier(t)
	var (
		sink    lockedLog
		derived atomic.Int64
	)
	h, err := intake.NewHTTP(intake.HTTPConfig{
		Inbox: &recordingInbox{}, Connections: conns,
		Logger: slog.New(derivingHandler{Handler: slog.NewJSONHandler(&sink, nil), derived: &derived}),
	})
	require.NoError(t, err)
	for i := range 20 {
		rec := serve(h, http.MethodGet, fmt.Sprintf("/hooks/acme/open?order=O%d&statuscode=take&statustime=20240301080000", i), "", nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	require.Zero(t, derived.Load(), "loggers made for 20 accepted requests")
	require.Empty(t, sink.records(t))

	rec := serve(h, http.MethodGet, "/hooks/acme/open?statuscode=take", "", nil)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	recs := sink.records(t)
	require.Len(t, recs, 1)
	require.Equal(t, "inbound request rejected", recs[0]["msg"])
	require.Equal(t, "acme", recs[0]["workspace"])
	require.Equal(t, "open", recs[0]["connection"])
	require.Equal(t, "courier", recs[0]["provider"])
}
