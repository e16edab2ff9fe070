package winkelstraatsim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
	// Europe/Amsterdam must resolve on hosts without a zoneinfo database.
	_ "time/tzdata"
)

// amsterdam is the zone of Winkelstraat's date-times.
var amsterdam = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(fmt.Sprintf("winkelstraatsim: loading Europe/Amsterdam: %v", err))
	}
	return loc
}()

// origin is Winkelstraat's stock hub, as in the document.
var origin = OriginAddress{
	City:        "Vianen",
	Email:       "info@winkelstraat.nl",
	Street:      "De Limiet",
	Postcode:    "4131NR",
	Telephone:   "+55512345679",
	CountryID:   "NL",
	CompanyName: "Winkelstraat.nl",
	HouseNumber: "19",
}

type product struct {
	manufacturer string
	mpn          string
	parentSKU    string
	sizes        []string
	price        float64
}

var catalogue = []product{
	{"Emporio Armani", "3G1MXE1MXVZF982", "381189", []string{"S", "M", "L", "XL"}, 270},
	{"Emporio Armani", "8N1T991JHLZ0999", "402217", []string{"S", "M", "L", "XL", "XXL"}, 129.95},
	{"Emporio Armani", "X4X316XM026N641", "398702", []string{"40", "41", "42", "43", "44"}, 219},
	{"EA7 Emporio Armani", "3RPM29PJ05Z1200", "410355", []string{"XS", "S", "M", "L"}, 89.95},
	{"Armani Exchange", "8NZM75ZJ7VZ1510", "377851", []string{"28", "30", "32", "34", "36"}, 99.95},
	{"Hugo Boss", "50468361-001", "366042", []string{"48", "50", "52", "54"}, 399},
	{"Calvin Klein", "K10K110402BEH", "389910", []string{"OS"}, 149.95},
	{"Tommy Hilfiger", "MW0MW17771DW5", "412003", []string{"S", "M", "L", "XL"}, 119.95},
	{"Michael Kors", "30S2GTVT2L", "395567", []string{"OS"}, 329},
	{"Woolrich", "CFWOOU0578MRUT1974", "401148", []string{"S", "M", "L", "XL"}, 599},
}

var (
	firstNames = []string{"Jan", "Sanne", "Daan", "Emma", "Lotte", "Bram", "Fleur", "Thijs", "Noor", "Ruben", "Anouk", "Sem"}
	lastNames  = []string{"Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos"}
	places     = []struct {
		city     string
		postcode int // the four digits; letters are added
		streets  []string
	}{
		{"Amsterdam", 1017, []string{"Herengracht", "Lijnbaansgracht", "Utrechtsestraat"}},
		{"Rotterdam", 3012, []string{"Coolsingel", "Witte de Withstraat"}},
		{"Utrecht", 3511, []string{"Oudegracht", "Lange Nieuwstraat"}},
		{"Den Haag", 2514, []string{"Lange Voorhout", "Denneweg"}},
		{"Eindhoven", 5611, []string{"Stratumseind", "Kruisstraat"}},
		{"Groningen", 9711, []string{"Vismarkt", "Folkingestraat"}},
		{"Haarlem", 2011, []string{"Grote Houtstraat", "Kleine Houtstraat"}},
		{"Arnhem", 6811, []string{"Rijnstraat", "Jansbinnensingel"}},
		{"Maastricht", 6211, []string{"Vrijthof", "Boschstraat"}},
		{"Zwolle", 8011, []string{"Diezerstraat", "Thorbeckegracht"}},
	}
	carriers = []string{"ups", "dhl", "postnl"}
)

// Journey returns every push of shipment n (0-based) in the order
// Winkelstraat sends them: UNKNOWN, READY_FOR_PICKUP, IN_TRANSIT (sometimes
// twice), then DELIVERED, or for about one shipment in eight an EXCEPTION
// that is either resolved (IN_TRANSIT, DELIVERED) or left standing. Each push
// carries the whole shipment with a newer updated_at. A journey depends only
// on the seed, n and the simulator's start time, and it lies wholly in the
// past of that start time.
func (s *Sim) Journey(n int) []Shipment {
	rng := rand.New(rand.NewPCG(uint64(s.cfg.Seed), uint64(n)))
	sh := Shipment{
		Currency:         "EUR",
		IncrementID:      fmt.Sprintf("%09d", s.firstID+uint64(n)),
		OrderIncrementID: fmt.Sprintf("%09d", s.firstID+uint64(n)+261),
		OriginAddress:    origin,
		ShippingAddress:  randomAddress(rng),
		Items:            randomItems(rng),
	}
	if rng.IntN(10) < 7 {
		sh.PONumber = ptr(fmt.Sprintf("PO-%d-%05d", s.start.Year(), rng.IntN(100000)))
	}

	// Simulated time runs from three to four days ago, so that even the
	// slowest journey ends before now.
	clock := s.start.Add(-72*time.Hour - time.Duration(rng.Int64N(int64(24*time.Hour)))).Truncate(time.Second)
	sh.CreatedAt = format(clock)
	advance := func(min, max time.Duration) {
		clock = clock.Add(min + time.Duration(rng.Int64N(int64(max-min)))).Truncate(time.Second)
	}

	var pushes []Shipment
	push := func(status string) {
		// Local time repeats an hour when summer time ends; step over it
		// so that updated_at, as written, still increases.
		for len(pushes) > 0 && format(clock) <= pushes[len(pushes)-1].UpdatedAt {
			clock = clock.Add(time.Hour)
		}
		sh.Status = ptr(status)
		sh.UpdatedAt = format(clock)
		pushes = append(pushes, clone(sh))
	}
	advance(time.Minute, 5*time.Minute)
	push(StatusUnknown)

	advance(time.Hour, 6*time.Hour)
	sh.Track = randomTrack(rng, sh.ShippingAddress.Postcode)
	push(StatusReadyForPickup)

	advance(2*time.Hour, 10*time.Hour)
	sh.CollectedAt = ptr(format(clock))
	advance(time.Minute, 20*time.Minute)
	push(StatusInTransit)
	if rng.IntN(3) == 0 {
		advance(time.Hour, 8*time.Hour)
		push(StatusInTransit)
	}

	if rng.IntN(8) == 0 {
		advance(4*time.Hour, 12*time.Hour)
		push(StatusException)
		if rng.IntN(2) == 0 {
			return pushes
		}
		advance(4*time.Hour, 12*time.Hour)
		push(StatusInTransit)
	}

	advance(8*time.Hour, 14*time.Hour)
	sh.DeliveredAt = ptr(format(clock))
	advance(time.Minute, 30*time.Minute)
	push(StatusDelivered)
	return pushes
}

func randomItems(rng *rand.Rand) []Item {
	items := make([]Item, 1+rng.IntN(3))
	for i := range items {
		p := catalogue[rng.IntN(len(catalogue))]
		qty := 1
		if rng.IntN(5) == 0 {
			qty = 2
		}
		items[i] = Item{
			MPN:             p.mpn,
			Qty:             qty,
			SKU:             "wsnl199-" + randomHex(rng, 24),
			Size:            p.sizes[rng.IntN(len(p.sizes))],
			ParentSKU:       p.parentSKU,
			Manufacturer:    p.manufacturer,
			RowTotalIncTax:  math.Round(p.price*float64(qty)*100) / 100,
			ItemPriceIncTax: p.price,
		}
	}
	return items
}

func randomAddress(rng *rand.Rand) ShippingAddress {
	first := firstNames[rng.IntN(len(firstNames))]
	last := lastNames[rng.IntN(len(lastNames))]
	place := places[rng.IntN(len(places))]
	house := fmt.Sprint(1 + rng.IntN(250))
	switch rng.IntN(6) {
	case 0:
		house += string(rune('A' + rng.IntN(4)))
	case 1:
		house += fmt.Sprintf("-%d", 1+rng.IntN(3))
	}
	a := ShippingAddress{
		City:        place.city,
		Email:       strings.ToLower(first+"."+strings.ReplaceAll(last, " ", "")) + "@example.nl",
		Street:      place.streets[rng.IntN(len(place.streets))],
		Postcode:    fmt.Sprintf("%04d%c%c", place.postcode+rng.IntN(8), 'A'+rng.IntN(26), 'A'+rng.IntN(26)),
		LastName:    last,
		Telephone:   fmt.Sprintf("+316%08d", rng.IntN(100_000_000)),
		CountryID:   "NL",
		FirstName:   first,
		HouseNumber: house,
	}
	if rng.IntN(7) == 0 {
		a.CompanyName = ptr(strings.ToUpper(last[:1]) + last[1:] + " Mode B.V.")
	}
	return a
}

func randomTrack(rng *rand.Rand, postcode string) Track {
	carrier := carriers[rng.IntN(len(carriers))]
	var number, url string
	switch carrier {
	case "ups":
		number = "1Z" + randomAlnum(rng, 6) + "68" + fmt.Sprintf("%08d", rng.IntN(100_000_000))
		url = "https://wwwapps.ups.com/WebTracking/processInputRequest?loc=nl_NL&tracknum=" + number
	case "dhl":
		number = "JVGL" + fmt.Sprintf("%010d%010d", rng.IntN(10_000_000_000), rng.IntN(10_000_000_000))
		url = "https://www.dhl.com/nl-nl/home/tracking/tracking-parcel.html?submit=1&tracking-id=" + number
	default:
		number = "3SWKST" + fmt.Sprintf("%07d", rng.IntN(10_000_000))
		url = "https://jouw.postnl.nl/track-and-trace/" + number + "-NL-" + postcode
	}
	t := Track{Carrier: ptr(carrier), TrackingURL: ptr(url), TrackingNumber: ptr(number)}
	if rng.IntN(5) == 0 {
		t.Method = ptr("express")
	}
	return t
}

func format(t time.Time) string { return t.In(amsterdam).Format(DateTimeLayout) }

func ptr[T any](v T) *T { return &v }

// clone copies a shipment deeply enough that later pushes do not change it.
func clone(sh Shipment) Shipment {
	sh.Items = append([]Item(nil), sh.Items...)
	return sh
}

func randomHex(rng *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[rng.IntN(len(digits))]
	}
	return string(b)
}

func randomAlnum(rng *rand.Rand, n int) string {
	const chars = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[rng.IntN(len(chars))]
	}
	return string(b)
}
