package web

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

// updateMap rewrites the map goldens (a flag of its own: other files of the
// package may define -update).
var updateGolden = flag.Bool("update-shipmap", false, "rewrite the shipment map golden files in testdata")

func gpsEvent(at time.Time, lat, lon float64, text string) model.Event {
	return model.Event{OccurredAt: at, Location: &model.Location{Text: text, Lat: &lat, Lon: &lon}}
}

func TestShipmentMapProjection(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2023, 7, 17, 9, 47, 43, 0, time.UTC)
	cases := []struct {
		name   string
		golden string
		events []model.Event
	}{
		{"a route from Antwerp through Brussels to Liège, with an event without GPS", "map_route.svg", []model.Event{
			gpsEvent(t0, 51.2194, 4.4025, "Antwerpen depot"),
			{OccurredAt: t0.Add(time.Hour), Location: &model.Location{Text: "sorted"}},
			gpsEvent(t0.Add(2*time.Hour), 50.8503, 4.3517, "Brussel <hub> & co"),
			gpsEvent(t0.Add(5*time.Hour), 50.6326, 5.5797, ""),
		}},
		{"a single point is centred", "map_single.svg", []model.Event{gpsEvent(t0, 50.846557, 4.351697, "")}},
		{"points at one place are centred", "map_same_place.svg", []model.Event{gpsEvent(t0, 50.8, 4.3, "a"), gpsEvent(t0.Add(time.Minute), 50.8, 4.3, "b")}},
		{"points along one meridian fill the height", "map_meridian.svg", []model.Event{gpsEvent(t0, 50, 4, ""), gpsEvent(t0.Add(time.Minute), 52, 4, "")}},
	}
	for _, c := range cases {
		got := string(mapSVG(projectEvents(c.events)))
		path := filepath.Join("testdata", c.golden)
		if *updateGolden {
			require.NoError(t, os.WriteFile(path, []byte(got+"\n"), 0o644))
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, c.name)
		require.Equal(t, strings.TrimSuffix(string(want), "\n"), got, c.name)
	}

	// Every point lies in the box, inside the padding.
	pts := projectEvents(cases[0].events)
	require.Len(t, pts, 3, "events without coordinates are left out")
	for i, p := range pts {
		require.Equal(t, i+1, p.N)
		require.GreaterOrEqual(t, p.X, mapPadding-0.1)
		require.LessOrEqual(t, p.X, mapWidth-mapPadding+0.1)
		require.GreaterOrEqual(t, p.Y, mapPadding-0.1)
		require.LessOrEqual(t, p.Y, mapHeight-mapPadding+0.1)
	}
	require.Less(t, pts[1].Y, pts[2].Y, "north is up: Brussels above Liège")
	require.Less(t, pts[1].X, pts[2].X, "east is right: Liège right of Brussels")
	single := projectEvents(cases[1].events)
	require.Equal(t, []float64{mapWidth / 2, mapHeight / 2}, []float64{single[0].X, single[0].Y})
	require.Nil(t, projectEvents([]model.Event{{Location: &model.Location{Text: "no gps"}}, {}}), "no coordinates, no map")
}
