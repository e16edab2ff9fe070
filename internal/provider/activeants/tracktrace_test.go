package activeants_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider/activeants"
)

func TestTrackTraceTable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		status, level activeants.Code
		want          activeants.TrackTraceStatus
	}{
		{"DocumentExampleInTransit", "3", "1", activeants.TrackTraceStatus{Status: model.StatusInTransit}},
		{"DocumentExampleOutForDelivery", "4", "1", activeants.TrackTraceStatus{Status: model.StatusOutForDelivery}},
		{"DocumentExampleFailedAttempt", "7", "1", activeants.TrackTraceStatus{Status: model.StatusFailedAttempt, ActionRequired: true}},
		{"DocumentExampleRaisedLevel", "19", "2", activeants.TrackTraceStatus{Status: model.StatusException, Substatus: "delayed", ActionRequired: true}},
		{"DeliveredNumber", "5", "1", activeants.TrackTraceStatus{Status: model.StatusDelivered}},
		{"PickUpPoint", "6", "1", activeants.TrackTraceStatus{Status: model.StatusAvailableForPickup}},
		{"ReturnedWithWarning", "8", "2", activeants.TrackTraceStatus{Status: model.StatusReturned, Substatus: "delayed"}},
		{"SimulatorWords", "delivery_failed", "warning", activeants.TrackTraceStatus{Status: model.StatusFailedAttempt, Substatus: "delayed", ActionRequired: true}},
		{"ShipmentAnswerDelivered", "delivered", "success", activeants.TrackTraceStatus{Status: model.StatusDelivered}},
		{"ShipmentAnswerWordsIgnoreCase", "LABELLED", "Success", activeants.TrackTraceStatus{Status: model.StatusInfoReceived}},
		{"ShipmentAnswerNewWithoutLevel", "New", "", activeants.TrackTraceStatus{Status: model.StatusInfoReceived}},
		{"LevelThreeIsAnException", "4", "3", activeants.TrackTraceStatus{Status: model.StatusException, ActionRequired: true}},
		{"UnknownNumberIsUnknown", "42", "1", activeants.TrackTraceStatus{Status: model.StatusUnknown, Unmapped: true}},
		{"UnknownLevelIsIgnoredButCounted", "3", "9", activeants.TrackTraceStatus{Status: model.StatusInTransit, Unmapped: true}},
		{"NoStatusIsPending", "", "", activeants.TrackTraceStatus{Status: model.StatusPending}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, activeants.MapTrackTrace(tc.status, tc.level))
		})
	}
}

func TestEveryTrackTraceRowSaysWhereItComesFrom(t *testing.T) {
	t.Parallel()
	rows := activeants.TrackTraceSources()
	require.NotEmpty(t, rows)
	for _, r := range rows {
		require.True(t, strings.HasPrefix(r[2], "doc: ") || strings.HasPrefix(r[2], "unknown: chosen as plausible; "),
			"%s %s: source %q", r[0], r[1], r[2])
	}
	// Every code of the document's track-trace example has a row.
	for _, raw := range docItems(t, "tracktrace.txt") {
		tt, err := activeants.DecodeTrackTrace(raw)
		require.NoError(t, err)
		require.False(t, activeants.MapTrackTrace(tt.CurrentTrackTraceStatus, tt.CurrentTrackTraceExceptionLevel).Unmapped, "%s", raw)
	}
}

func TestTrackTraceTableChecks(t *testing.T) {
	t.Parallel()
	head := "field\tcode\tstatus\tsubstatus\taction_required\tsource\n"
	for _, tc := range []struct{ name, row, want string }{
		{"NotCanonical", "status\t1\tshipped\t\tfalse\tdoc: x", "not a canonical status"},
		{"Twice", "status\t1\tin_transit\t\tfalse\tdoc: x\nstatus\t1\tin_transit\t\tfalse\tdoc: x", "listed twice"},
		{"NoSource", "status\t1\tin_transit\t\tfalse\t", "no source"},
		{"WrongField", "carrier\t1\tin_transit\t\tfalse\tdoc: x", "neither status nor level"},
		{"StatusRowKeepsNothing", "status\t1\t-\t\tfalse\tdoc: x", "needs a status"},
		{"FieldCount", "status\t1", "want 6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.ErrorContains(t, activeants.ParseTrackTrace(head+tc.row+"\n"), tc.want)
		})
	}
}
