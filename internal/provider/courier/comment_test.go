package courier

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

func TestParseComment(t *testing.T) {
	t.Parallel()
	brussels, err := time.LoadLocation("Europe/Brussels")
	require.NoError(t, err)
	at := func(y int, mo time.Month, d, h, mi, s int) *time.Time {
		v := time.Date(y, mo, d, h, mi, s, 0, time.UTC)
		return &v
	}
	loc := func(lat, lon float64) *model.Location { return &model.Location{Lat: &lat, Lon: &lon} }
	cases := []struct {
		name     string
		comment  string
		scan     *model.Scan
		location *model.Location
	}{
		{
			name:     "TheDocumentsExampleHasEveryPart",
			comment:  "TAKE on: 2023-07-19 Time: 10:33:04 Scan by PRISCILLA RAES GSM: +32 494508051 Status: MK Mee Kaai GPS: lat 51.234535 - lon 4.410024",
			scan:     &model.Scan{At: at(2023, 7, 19, 8, 33, 4), By: "PRISCILLA RAES", Phone: "+32 494508051", Status: "MK Mee Kaai"},
			location: loc(51.234535, 4.410024),
		},
		{
			name:     "WinterTimeIsUTCPlusOne",
			comment:  "on: 2024-01-15 Time: 10:33:04",
			scan:     &model.Scan{At: at(2024, 1, 15, 9, 33, 4)},
			location: nil,
		},
		{
			name:     "GPSAloneIsAPositionWithoutAScan",
			comment:  "GPS: lat -33.5 - lon 151.25",
			location: loc(-33.5, 151.25),
		},
		{
			name:     "PartsInAnotherOrderAndCase",
			comment:  "gps: lat 50.1 - lon 4.2 status: OK scan by Jan GSM : 0470 Time: 08:00 on: 2023-03-01",
			scan:     &model.Scan{At: at(2023, 3, 1, 7, 0, 0), By: "Jan", Phone: "0470", Status: "OK"},
			location: loc(50.1, 4.2),
		},
		{
			name:    "ADateWithoutATimeIsNoScanTime",
			comment: "on: 2023-07-19 Scan by PIET",
			scan:    &model.Scan{By: "PIET"},
		},
		{
			name:    "AnImpossibleDateIsDropped",
			comment: "on: 2023-02-31 Time: 10:00:00 GSM: 1",
			scan:    &model.Scan{Phone: "1"},
		},
		{
			name:    "AnImpossibleTimeIsDropped",
			comment: "on: 2023-02-01 Time: 24:00:00 GSM: 1",
			scan:    &model.Scan{Phone: "1"},
		},
		{
			name:    "ALatitudeOutOfRangeDropsThePosition",
			comment: "Scan by X GPS: lat 91 - lon 4.4",
			scan:    &model.Scan{By: "X"},
		},
		{
			name:    "ALongitudeOutOfRangeDropsThePosition",
			comment: "GPS: lat 51 - lon -180.5",
		},
		{
			name:    "HalfAPositionIsNoPosition",
			comment: "GPS: lat 51.2",
		},
		{
			name:    "MarkersInsideWordsAreNotMarkers",
			comment: "Position: left at the Station: door, Scanner bypass",
		},
		{
			name:    "ARepeatedMarkerKeepsItsFirstValue",
			comment: "Status: first Status: second",
			scan:    &model.Scan{Status: "first"},
		},
		{name: "AnEmptyCommentStatesNothing", comment: ""},
		{name: "FreeTextStatesNothing", comment: "Pakket afgegeven aan de receptie, dank u!"},
		{name: "EmptyPartsStateNothing", comment: "on: Time: Scan by GSM: Status: GPS:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			scan, location := ParseComment(tc.comment, brussels)
			require.Equal(t, tc.scan, scan)
			require.Equal(t, tc.location, location)
		})
	}
}
