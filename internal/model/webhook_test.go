package model_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

func TestValidateEventFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		filter string
		err    string // empty: valid
	}{
		{filter: "*"},
		{filter: "shipment.*"},
		{filter: "shipment.created"},
		{filter: "shipment.status_changed"},
		{filter: "shipment.event_added"},
		{filter: "shipment.edd_changed"},
		{filter: "stock.changed"},
		{filter: "stock.*"},
		{filter: "order.status_changed"},
		{filter: "inbound.received"},
		{filter: "return.created"},
		{filter: "return.status_changed"},
		{filter: "command.failed"},
		{filter: "command.*"},
		{filter: "shipment.teleported", err: `unknown event type "shipment.teleported"`},
		{filter: "shipment.", err: "unknown event type"},
		{filter: "", err: "unknown event type"},
		{filter: "shipment*", err: "unknown event type"},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			t.Parallel()
			err := model.ValidateEventFilter(tt.filter)
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.err)
			require.ErrorContains(t, err, "shipment.created", "the error lists what can be subscribed to")
		})
	}
}

// TestOnlyEmittedTypesAreOffered pins the subscribable list: a type joins it
// when something emits it (and the OpenAPI document describes its payload,
// which the api package's tests check), not before.
func TestOnlyEmittedTypesAreOffered(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{
		model.EventShipmentCreated, model.EventShipmentStatusChanged, model.EventShipmentEventAdded, model.EventShipmentEDDChanged,
		model.EventShipmentStuck, model.EventOrderCreated, model.EventOrderStatusChanged, model.EventStockChanged, model.EventStockMutationAdded,
		model.EventInboundStatusChanged, model.EventInboundReceived, model.EventReturnCreated, model.EventReturnStatusChanged,
		model.EventCommandFailed, model.EventCommandDead,
	}, model.EventTypes)
	require.Empty(t, model.PlannedEventTypes, "the command events came with the commands")
	require.True(t, model.MatchEventType([]string{"command.*"}, model.EventCommandDead))
	require.NoError(t, model.ValidateEventFilter("command.failed"))
	for _, planned := range model.PlannedEventTypes {
		require.NotContains(t, model.EventTypes, planned)
		require.Error(t, model.ValidateEventFilter(planned))
	}
	// Wildcards keep matching what is emitted.
	require.True(t, model.MatchEventType([]string{"shipment.*"}, model.EventShipmentEDDChanged))
	require.True(t, model.MatchEventType([]string{"shipment.*"}, model.EventShipmentStuck))
	require.True(t, model.MatchEventType([]string{"*"}, model.EventShipmentCreated))
	require.True(t, model.MatchEventType([]string{"*"}, model.EventReturnStatusChanged))
	require.True(t, model.MatchEventType([]string{"stock.*"}, model.EventStockMutationAdded))
	require.False(t, model.MatchEventType([]string{"stock.*"}, model.EventOrderCreated))
	require.False(t, model.MatchEventType([]string{"shipment.created"}, model.EventShipmentEventAdded))
	// A type that is not offered is delivered to nobody, not even to "*":
	// the feed records it, but its payload is not documented yet.
	for _, planned := range model.PlannedEventTypes {
		resource, _, _ := strings.Cut(planned, ".")
		require.False(t, model.MatchEventType([]string{"*", resource + ".*", planned}, planned), planned)
	}
}
