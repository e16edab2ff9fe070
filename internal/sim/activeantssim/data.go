package activeantssim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	// Europe/Amsterdam must resolve on hosts without a zoneinfo database.
	_ "time/tzdata"
)

// amsterdam is the warehouse's zone; the answers' times are its local time
// without a zone, as the document's are.
var amsterdam = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(fmt.Sprintf("activeantssim: loading Europe/Amsterdam: %v", err))
	}
	return loc
}()

// Setting is one entry of a settings list: {id, name, code}.
type Setting struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Code string `json:"code"`
}

// WarehouseMethod is a main shipping method's per-warehouse shipping method.
type WarehouseMethod struct {
	ID        int64  `json:"id"`
	Warehouse string `json:"warehouse"`
}

// MainShippingMethod is a shopapi/v3 shipping method with its v2 ones.
type MainShippingMethod struct {
	ID              int64             `json:"id"`
	Name            string            `json:"name"`
	Code            string            `json:"code"`
	ShippingMethods []WarehouseMethod `json:"shippingMethods"`
}

// Settings is the result of GET /settings/get, in the document's order of
// keys.
type Settings struct {
	MainShippingMethods   []MainShippingMethod `json:"mainShippingMethods"`
	ShippingMethods       []Setting            `json:"shippingMethods"`
	ReturnShippingMethods []Setting            `json:"returnShippingMethods"`
	OrderTypes            []Setting            `json:"orderTypes"`
	Countries             []Setting            `json:"countries"`
	Languages             []Setting            `json:"languages"`
	ReturnReasons         []Setting            `json:"returnReasons"`
	PaymentMethods        []Setting            `json:"paymentMethods"`
}

// DefaultSettings are the simulator's settings. The codes are the
// document's (plus a few), the ids deliberately are not: the document's
// example is production's, and "settings ids differ between acceptance and
// production" (activeants-public-clients.md), so a connector that hard-codes
// the document's ids fails against the simulator. Main and v2 shipping
// method ids do not overlap, so an order may name either.
func DefaultSettings() Settings {
	return Settings{
		MainShippingMethods: []MainShippingMethod{
			{ID: 71, Name: "--- DEFAULT SHIPPING METHOD ---", Code: "BUSEU1", ShippingMethods: []WarehouseMethod{{ID: 308001, Warehouse: "NR"}}},
			{ID: 72, Name: "AA - CS", Code: "AA_CS", ShippingMethods: []WarehouseMethod{{ID: 308002, Warehouse: "NR"}, {ID: 308003, Warehouse: "NN"}}},
			{ID: 73, Name: "AUSTRIA DPD DIRECT", Code: "MAXAT_BPSC", ShippingMethods: []WarehouseMethod{{ID: 308201, Warehouse: "NN"}}},
			{ID: 74, Name: "BELGIUM BPOST", Code: "BELBE_BP", ShippingMethods: []WarehouseMethod{{ID: 308301, Warehouse: "NN"}, {ID: 308302, Warehouse: "NR"}}},
			{ID: 75, Name: "NETHERLANDS POSTNL", Code: "POSTNL_NL", ShippingMethods: []WarehouseMethod{{ID: 308401, Warehouse: "NR"}}},
			{ID: 76, Name: "GERMANY DHL", Code: "DHL_DE", ShippingMethods: []WarehouseMethod{{ID: 308501, Warehouse: "NN"}}},
		},
		ShippingMethods: []Setting{
			{ID: 308001, Name: "--- DEFAULT SHIPPING METHOD ---", Code: "BUSEU1"},
			{ID: 308002, Name: "AA - CS", Code: "AA_CS"},
			{ID: 308201, Name: "AUSTRIA DPD DIRECT", Code: "MAXAT_BPSC"},
			{ID: 308301, Name: "BELGIUM BPOST", Code: "BELBE_BP"},
			{ID: 308401, Name: "NETHERLANDS POSTNL", Code: "POSTNL_NL"},
			{ID: 308501, Name: "GERMANY DHL", Code: "DHL_DE"},
		},
		ReturnShippingMethods: []Setting{
			{ID: 308210, Name: "AUSTRIA DPD RETURN", Code: "MAXAT_BPSC_RET"},
			{ID: 308310, Name: "BELGIUM BPOST RETURN", Code: "BELEUBE_BP_RET"},
			{ID: 308410, Name: "NETHERLANDS POSTNL RETURN", Code: "POSTNL_NL_RET"},
		},
		OrderTypes: []Setting{
			{ID: 1372, Name: "myshop_nl_orders", Code: "myshop_nl_orders"},
			{ID: 1373, Name: "myshop_be_orders", Code: "myshop_be_orders"},
			{ID: 1374, Name: "B2B_orders", Code: "B2B_orders"},
			{ID: 1375, Name: "adhoc", Code: "adhox"},
		},
		Countries: []Setting{
			{ID: 151, Name: "NEDERLAND", Code: "NL"},
			{ID: 152, Name: "BELGIUM", Code: "BE"},
			{ID: 153, Name: "GERMANY", Code: "DE"},
			{ID: 154, Name: "AUSTRIA", Code: "AT"},
			{ID: 155, Name: "FRANCE", Code: "FR"},
		},
		Languages: []Setting{
			{ID: 21, Name: "Nederlands", Code: "NL"},
			{ID: 22, Name: "Engels", Code: "EN"},
			{ID: 23, Name: "Duits", Code: "DE"},
			{ID: 24, Name: "Spaans", Code: "ES"},
			{ID: 25, Name: "Frans", Code: "FR"},
			{ID: 26, Name: "Portugees", Code: "PT"},
			{ID: 27, Name: "Italiaans", Code: "IT"},
		},
		ReturnReasons: []Setting{
			{ID: 41, Name: "Adres Onjuist / Wrong address / Mauvaise adresse", Code: "ADRES_OBOA"},
			{ID: 42, Name: "Beschadigd product ontvangen / Damaged Item Received", Code: "PRODT_BIONT"},
			{ID: 43, Name: "Reden onbekend / Reason Unknown / Raison inconnue", Code: "UNKNOWN"},
			{ID: 44, Name: "Past niet / Does not fit / Ne convient pas", Code: "SIZE"},
		},
		PaymentMethods: []Setting{
			{ID: 1, Name: "--- DEFAULT PAYMENT (NO PROCESSING) ---", Code: "GI"},
		},
	}
}

func findSetting(list []Setting, id int64) (Setting, bool) {
	for _, s := range list {
		if s.ID == id {
			return s, true
		}
	}
	return Setting{}, false
}

// carrier makes package numbers and track-trace URLs in a carrier's style.
type carrier struct {
	name     string
	number   func(r *rand.Rand) string
	url      func(number, postcode, country string) string
	canTrack bool
}

func digits(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	return b.String()
}

var (
	postNL = carrier{name: "PostNL", canTrack: true,
		number: func(r *rand.Rand) string { return "3SAAKE" + digits(r, 9) },
		url: func(n, pc, c string) string {
			return "https://jouw.postnl.nl/track-and-trace/" + n + "-" + c + "-" + strings.ReplaceAll(pc, " ", "")
		}}
	bpost = carrier{name: "bpost", canTrack: true,
		number: func(r *rand.Rand) string { return "3232009359599" + digits(r, 8) + "030" },
		url: func(n, pc, _ string) string {
			return "https://track.bpost.cloud/btr/web/#/search?itemCode=" + n + "&postalCode=" + pc + "&lang=nl"
		}}
	dpd = carrier{name: "DPD", canTrack: true,
		number: func(r *rand.Rand) string { return "0" + digits(r, 13) },
		url:    func(n, _, _ string) string { return "https://tracking.dpd.de/status/nl_NL/parcel/" + n }}
	dhl = carrier{name: "DHL", canTrack: true,
		number: func(r *rand.Rand) string { return "JVGL" + digits(r, 16) },
		url: func(n, pc, _ string) string {
			return "https://www.dhl.com/nl-nl/home/tracking.html?tracking-id=" + n + "&postcode=" + pc
		}}
	courier = carrier{name: "AA courier", canTrack: false,
		number: func(r *rand.Rand) string { return "AACS" + digits(r, 10) },
		url:    func(n, _, _ string) string { return "https://maya.activeants.nl/track/" + n }}
)

// carrierFor picks the carrier of a shipping method by its code; the
// default method ships with PostNL.
func carrierFor(code string) carrier {
	switch code {
	case "BELBE_BP":
		return bpost
	case "MAXAT_BPSC":
		return dpd
	case "DHL_DE":
		return dhl
	case "AA_CS":
		return courier
	default:
		return postNL
	}
}

// Generated data. The product names of the document's examples come first.
var (
	firstNames = []string{"Sanne", "Daan", "Emma", "Lucas", "Julia", "Sem", "Lotte", "Finn", "Noor", "Milan", "Eva", "Jesse", "Lieke", "Thijs", "Fleur", "Bram", "Anouk", "Ruben", "Mila", "Lars", "Sophie", "Jonas", "Hannah", "Lena", "Wout"}
	insertions = []string{"", "", "", "", "van", "de", "van der", "van den", "ter", "den"}
	lastNames  = []string{"Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Vos", "Peters", "Hendriks", "Dekker", "Brouwer", "Dijkstra", "Willems", "Peeters", "Maes", "Claes", "Müller", "Schmidt", "Schneider", "Wouters", "Berg", "Vliet", "Heuvel", "Groot"}
	companies  = []string{"", "", "", "", "", "Bloemenhuis Noord", "Kapsalon Lotte", "De Fietsenmaker BV", "Bakkerij Smit", "Studio Vos"}
	places     = map[string][]struct{ street, city, postcode string }{
		"NL": {
			{"Kerkstraat", "Amsterdam", "1017 GC"}, {"Coolsingel", "Rotterdam", "3012 AN"}, {"Oudegracht", "Utrecht", "3511 AZ"},
			{"Lange Voorhout", "Den Haag", "2514 ED"}, {"Stratumseind", "Eindhoven", "5611 EN"}, {"Vismarkt", "Groningen", "9711 KT"},
			{"Steenstraat", "Arnhem", "6828 CA"}, {"Diezerstraat", "Zwolle", "8011 RH"}, {"Grote Markt", "Breda", "4811 XS"}, {"Molenstraat", "Nijmegen", "6511 HC"},
		},
		"BE": {
			{"Meir", "Antwerpen", "2000"}, {"Veldstraat", "Gent", "9000"}, {"Rue Neuve", "Bruxelles", "1000"}, {"Bondgenotenlaan", "Leuven", "3000"},
		},
		"DE": {
			{"Schildergasse", "Köln", "50667"}, {"Königsallee", "Düsseldorf", "40212"}, {"Zeil", "Frankfurt am Main", "60313"}, {"Kaufingerstraße", "München", "80331"},
		},
	}
	additions    = []string{"", "", "", "", "", "A", "B", "bis", "2", "-1"}
	productNames = []string{
		"Super Product Store – Hair Lotion (220ml)", "1% Treatment solution", "C15 Super Booster", "Anniversary Bag 2021", "Sparkling water",
		"Organic Face Cream (50ml)", "Bamboo Toothbrush 4-pack", "Merino Wool Socks (39-42)", "Cold Brew Coffee Beans 1kg", "Lavender Soap Bar",
		"Yoga Mat Pro 6mm", "Stainless Steel Bottle 750ml", "Vitamin D3 Drops", "Linen Tea Towel", "Ceramic Mug Speckled",
		"Running Cap Reflective", "Beeswax Wraps Set", "Shampoo Bar Citrus", "Cotton Tote Bag", "Protein Bar Hazelnut (12x)",
		"Scented Candle Fig", "Leather Card Holder", "Phone Case Clear", "Notebook A5 Dotted", "Hand Cream Travel Size",
	}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// address is a generated delivery address.
type address struct {
	first, insertion, last, company string
	street, city, postcode, country string
	number                          int
	addition                        string
	email, phone                    string
}

func genAddress(r *rand.Rand) address {
	country := "NL"
	switch n := r.IntN(10); {
	case n >= 9:
		country = "DE"
	case n >= 7:
		country = "BE"
	}
	p := pick(r, places[country])
	a := address{
		first: pick(r, firstNames), insertion: pick(r, insertions), last: pick(r, lastNames), company: pick(r, companies),
		street: p.street, city: p.city, postcode: p.postcode, country: country,
		number: 1 + r.IntN(180), addition: pick(r, additions),
	}
	a.email = strings.ToLower(a.first+"."+strings.ReplaceAll(a.last, "ü", "ue")) + fmt.Sprintf("%d@example.nl", r.IntN(100))
	a.phone = "+31 6 " + digits(r, 8)
	if country == "BE" {
		a.phone = "+32 4 " + digits(r, 8)
	}
	return a
}

// genSKU makes SKUs in the styles of the document's examples: "AA-RWHM-342",
// "51002325", "29-110-3", "T-002-M".
func genSKU(r *rand.Rand, i int) string {
	switch i % 4 {
	case 0:
		const letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
		var b strings.Builder
		for range 4 {
			b.WriteByte(letters[r.IntN(len(letters))])
		}
		return fmt.Sprintf("AA-%s-%03d", b.String(), r.IntN(1000))
	case 1:
		return "510" + digits(r, 5)
	case 2:
		return fmt.Sprintf("%d-%d-%d", 10+r.IntN(80), 10+r.IntN(300), 1+r.IntN(12))
	default:
		return fmt.Sprintf("T-%03d-%s", r.IntN(1000), pick(r, []string{"S", "M", "L", "XL"}))
	}
}

// genEAN makes a valid EAN-13 barcode.
func genEAN(r *rand.Rand) string {
	d := "87" + digits(r, 10)
	sum := 0
	for i, c := range d {
		n := int(c - '0')
		if i%2 == 1 {
			n *= 3
		}
		sum += n
	}
	return d + string(rune('0'+(10-sum%10)%10))
}
