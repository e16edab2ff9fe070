package couriersim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// StatusTimeLayout is how the courier writes statustime: local time,
// YYYYMMDDhhmmss, without an offset.
const StatusTimeLayout = "20060102150405"

// label is the courier's group and labels of one code the simulator uses,
// copied from the document's table.
type label struct{ group, nl, fr, en string }

var labels = map[string]label{
	"PICKUP_PLANNED":       {"PROCESSING", "Ophaling gepland", "Collecte planifiée", "Pickup planned"},
	"take":                 {"PROCESSING", "Mee met koerier", "En route avec courier", "Taken by courier"},
	"AT_CUSTOMS":           {"PROCESSING", "Bij Douane", "A la douane", "At Customs"},
	"AT_SORTING_CENTRE":    {"PROCESSING", "Aangekomen in sorteercentrum", "Arrivé dans centre de triage", "Arrived in sorting centre"},
	"DEPOT_OUT":            {"PROCESSING", "Uit voor levering", "En route pour livraison", "Out for delivery"},
	"DELIVERED":            {"DELIVERED", "Geleverd", "Livré", "Delivered"},
	"notOk_10":             {"NOTOK", "NIET THUIS", "Pas present", "Not home"},
	"AN":                   {"CANCELLED", "Geannuleerd", "Annulé", "Canceled"},
	"REFUSED_BY_RECIPIENT": {"NOTOK", "Geweigerd door bestemmeling", "Refusé par le destinataire", "Refused by recipient"},
	"notOk_560":            {"NOTOK", "OPDRACHT RETOUR", "RETOUR D'ORDRE", "ORDER RETURN"},
	// A distributor's code: the document lists it as [distristatuscode]_205,
	// with a Dutch label only.
	"BPOST_205": {"DELIVERED", "AFGEZET BIJ DE BUREN", "", ""},
}

// scanned are the codes a driver's scan produces; they carry a comment with
// the scan, the driver's GSM and the GPS position.
var scanned = map[string]bool{
	"take": true, "AT_SORTING_CENTRE": true, "DEPOT_OUT": true, "DELIVERED": true,
	"notOk_10": true, "BPOST_205": true, "REFUSED_BY_RECIPIENT": true, "AT_CUSTOMS": true,
}

// journeys are the courier's usual stories, with how often each is told.
var journeys = []struct {
	weight int
	codes  []string
}{
	{50, []string{"PICKUP_PLANNED", "take", "AT_SORTING_CENTRE", "DEPOT_OUT", "DELIVERED"}},
	{15, []string{"PICKUP_PLANNED", "take", "AT_SORTING_CENTRE", "DEPOT_OUT", "notOk_10", "DEPOT_OUT", "DELIVERED"}},
	{12, []string{"PICKUP_PLANNED", "take", "AT_SORTING_CENTRE", "DEPOT_OUT", "BPOST_205"}},
	{8, []string{"PICKUP_PLANNED", "AN"}},
	{8, []string{"PICKUP_PLANNED", "take", "AT_CUSTOMS", "AT_SORTING_CENTRE", "DEPOT_OUT", "DELIVERED"}},
	{7, []string{"PICKUP_PLANNED", "take", "AT_SORTING_CENTRE", "DEPOT_OUT", "REFUSED_BY_RECIPIENT", "notOk_560"}},
}

var (
	drivers = []string{"PRISCILLA RAES", "JAN JANSSENS", "SOFIE PEETERS", "KOEN MAES", "LEEN WOUTERS", "AHMED EL AMRANI", "MARIE DUBOIS"}
	places  = []string{"MK Mee Kaai", "HUB Antwerpen", "DEPOT Gent", "HUB Brussel", "DEPOT Luik"}
)

// Journey returns the updates of journey n of a simulator seeded with seed,
// starting at start (whose location is the courier's time zone). The same
// seed, n and start give the same journey. Order numbers are ASK and nine
// digits; statustimes strictly increase.
func Journey(seed, n int64, start time.Time) []Update {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(n)))
	total := 0
	for _, j := range journeys {
		total += j.weight
	}
	pick := rng.IntN(total)
	var codes []string
	for _, j := range journeys {
		if pick < j.weight {
			codes = j.codes
			break
		}
		pick -= j.weight
	}

	order := fmt.Sprintf("ASK%09d", (uint64(seed)*7919+uint64(n))%1_000_000_000)
	var barcode, container, ref string
	if rng.IntN(3) > 0 {
		barcode = fmt.Sprintf("3232%014d", rng.Int64N(1e14))
	}
	if rng.IntN(6) == 0 {
		container = fmt.Sprintf("MSKU%07d", rng.IntN(1e7))
	}
	if rng.IntN(2) == 0 {
		ref = fmt.Sprintf("anc/%d", 20220000+rng.IntN(10000))
	}
	driver := drivers[rng.IntN(len(drivers))]
	gsm := fmt.Sprintf("+32 4%d%07d", 7+rng.IntN(3), rng.IntN(1e7))

	at := start.Truncate(time.Second)
	out := make([]Update, 0, len(codes))
	for i, code := range codes {
		if i > 0 {
			prev := out[i-1].StatusTime
			at = at.Add(time.Duration(5+rng.IntN(120))*time.Minute + time.Duration(rng.IntN(60))*time.Second)
			// Local time repeats an hour in autumn; the courier's clock
			// still moves forward.
			for at.Format(StatusTimeLayout) <= prev {
				at = at.Add(time.Hour)
			}
		}
		l := labels[code]
		u := Update{
			Order: order, Barcode: barcode, Container: container, Status: l.group,
			StatusTime: at.Format(StatusTimeLayout), StatusCode: code,
			StatusNL: l.nl, StatusEN: l.en, StatusFR: l.fr, Referentie: ref,
		}
		if scanned[code] {
			u.Comment = scanComment(rng, code, at, driver, gsm)
		}
		out = append(out, u)
	}
	return out
}

// scanComment writes the comment the courier's scanning app adds, like the
// document's "TAKE on: 2023-07-19 Time: 10:33:04 Scan by PRISCILLA RAES GSM:
// +32 494508051 Status: MK Mee Kaai GPS: lat 51.234535 - lon 4.410024". The
// scan happened a little before the status was registered.
func scanComment(rng *rand.Rand, code string, at time.Time, driver, gsm string) string {
	scan := at.Add(-time.Duration(rng.IntN(30*60)) * time.Second)
	lat := 50.70 + rng.Float64()*0.65 // Belgium, roughly
	lon := 3.20 + rng.Float64()*2.60
	action := strings.ToUpper(code)
	return fmt.Sprintf("%s on: %s Time: %s Scan by %s GSM: %s Status: %s GPS: lat %.6f - lon %.6f",
		action, scan.Format("2006-01-02"), scan.Format("15:04:05"), driver, gsm,
		places[rng.IntN(len(places))], lat, lon)
}
