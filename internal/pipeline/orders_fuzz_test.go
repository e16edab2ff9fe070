package pipeline_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/pipeline"
)

// fuzzOrderUpdate builds an order update from fuzzed values: a time (one
// of 8 hours, so that ties are common), a status with a rank (none, or one
// of three, so that equal ranks are common too), a note and one line.
func fuzzOrderUpdate(at, status uint8, note string, line uint8, qty int16) model.OrderUpdate {
	u := model.OrderUpdate{AsOf: time.Date(2025, 8, 14, int(at%8)+1, 0, 0, 0, time.UTC), Reference: "R-1", Note: note}
	if status%3 != 0 {
		u.Status = model.OrderStatuses[int(status)%len(model.OrderStatuses)]
		u.ProviderStatus = &model.ProviderStatus{Code: string(rune('0' + status%10))}
		u.StatusRank = int(at/8) % 4
	}
	if line%4 != 0 {
		q := float64(qty) / 4
		u.Lines = []model.OrderLineUpdate{{LineNumber: int(line % 4), Quantity: &q, SKU: note, Status: u.Status, StatusRank: u.StatusRank}}
	}
	return u
}

func mergedState(t *testing.T, us ...model.OrderUpdate) string {
	o := &model.Order{Reference: "R-1", Status: model.OrderAccepted, Lines: []model.OrderLine{}}
	for i := range us {
		pipeline.MergeOrder(o, &us[i])
	}
	b, err := json.Marshal(struct {
		*model.Order
		Times map[string]time.Time
		Ranks map[string]int
	}{o, o.FactTimes, o.StatusRanks})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzMergeOrderDoesNotDependOnArrival merges two timed statements about
// one order in both orders and requires the same order, the fields' times
// included: the higher ranked status wins, and otherwise the newer
// statement of each field, and of two of the same time the greater,
// whichever arrived last.
func FuzzMergeOrderDoesNotDependOnArrival(f *testing.F) {
	f.Add(uint8(1), uint8(4), "a", uint8(1), int16(8), uint8(1), uint8(5), "b", uint8(1), int16(4))
	f.Add(uint8(2), uint8(1), "", uint8(2), int16(-3), uint8(5), uint8(2), "note", uint8(3), int16(0))
	// A ranked status that is older than an unranked one, and two ranked
	// ones whose ranks and times disagree.
	f.Add(uint8(9), uint8(4), "a", uint8(1), int16(8), uint8(2), uint8(5), "b", uint8(1), int16(4))
	f.Add(uint8(17), uint8(4), "a", uint8(1), int16(8), uint8(14), uint8(5), "b", uint8(1), int16(4))
	f.Fuzz(func(t *testing.T, at1, st1 uint8, note1 string, line1 uint8, q1 int16, at2, st2 uint8, note2 string, line2 uint8, q2 int16) {
		a := fuzzOrderUpdate(at1, st1, note1, line1, q1)
		b := fuzzOrderUpdate(at2, st2, note2, line2, q2)
		if ab, ba := mergedState(t, a, b), mergedState(t, b, a); ab != ba {
			t.Fatalf("arrival decides:\n a then b: %s\n b then a: %s", ab, ba)
		}
		if once, twice := mergedState(t, a), mergedState(t, a, a); once != twice {
			t.Fatalf("applying a statement twice changes the order:\n once:  %s\n twice: %s", once, twice)
		}
	})
}
