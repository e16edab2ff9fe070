package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/postgres"
)

// TestClaimsAndRecordsRunOnTheRelaxedPool: the delivery claims and attempt
// records run on connections whose sessions do not wait for the commit's
// flush and plan generically, without a setup statement of their own.
func TestClaimsAndRecordsRunOnTheRelaxedPool(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	statements := postgres.NewStatementCounter()
	s := postgres.OpenTestTraced(t, statements)

	got, err := s.RelaxedSettingsForTests(ctx, "synchronous_commit", "plan_cache_mode", "jit")
	require.NoError(t, err)
	require.Equal(t, []string{"off", "force_generic_plan", "off"}, got)

	e := &model.Endpoint{Workspace: "acme", URL: "https://acme.example/hooks", Events: []string{"*"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	require.NoError(t, s.CreateEndpoint(ctx, e))
	require.NoError(t, s.AppendFeedEvents(ctx, []*model.FeedEvent{{Workspace: "acme", Type: model.EventShipmentCreated, SubjectID: 1, OccurredAt: time.Now(), Data: []byte(`{"shipment":{"id":1}}`)}}))
	jobs, err := s.ClaimDeliveries(ctx, 8, time.Minute)
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	_, err = s.RecordAttempts(ctx, []store.AttemptResult{{DeliveryID: jobs[0].Delivery.ID, EndpointID: e.ID, Status: model.DeliverySucceeded, Healthy: true,
		Attempt: model.DeliveryAttempt{AttemptedAt: time.Now(), DurationMS: 1, StatusCode: 200}}})
	require.NoError(t, err)
	for _, st := range statements.Times() {
		require.False(t, strings.Contains(st.SQL, "set_config"), "a setup statement was sent: %s", st.SQL)
	}
	d, err := s.GetDelivery(ctx, "acme", jobs[0].Delivery.ID)
	require.NoError(t, err)
	require.Equal(t, model.DeliverySucceeded, d.Status, "the record committed")

}
