package wics

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMetaOrderIDIsShiphubsOrderIDHandedBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mf   string
		want int64
	}{
		{"ANumber", `{"shiphub_order_id": 42}`, 42},
		{"AStringOfDigits", `{"shiphub_order_id": " 42 "}`, 42},
		{"NoneSent", `{"Webshop_app": "x"}`, 0},
		{"NoMetaFields", `null`, 0},
		{"NotANumber", `{"shiphub_order_id": "abc"}`, 0},
		{"AFraction", `{"shiphub_order_id": 4.5}`, 0},
		{"NotPositive", `{"shiphub_order_id": -3}`, 0},
		{"AnObject", `{"shiphub_order_id": {"id": 1}}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mf MetaFields
			require.NoError(t, json.Unmarshal([]byte(tt.mf), &mf))
			require.Equal(t, tt.want, metaOrderID(mf))
		})
	}
}
