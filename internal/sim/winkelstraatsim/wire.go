package winkelstraatsim

// The wire format of Winkelstraat's stock hub shipment webhook, as in
// /work/shared/providers/winkelstraat-shipment-webhook.txt. It is written out
// here independently of the connector (internal/provider/winkelstraat), so
// that the simulator tests the connector instead of agreeing with it by
// construction. Fields are in the order of the document's request example;
// nullable fields are pointers and are sent as null, never left out.

// Winkelstraat's shipment statuses.
const (
	StatusUnknown        = "UNKNOWN"
	StatusReadyForPickup = "READY_FOR_PICKUP"
	StatusInTransit      = "IN_TRANSIT"
	StatusDelivered      = "DELIVERED"
	StatusException      = "EXCEPTION"
)

// DateTimeLayout is how Winkelstraat writes date-times: local time in
// Europe/Amsterdam, without an offset.
const DateTimeLayout = "2006-01-02 15:04:05"

// Shipment is the body of one webhook: the whole shipment as it stands.
type Shipment struct {
	Items            []Item          `json:"items"`
	Track            Track           `json:"track"`
	Status           *string         `json:"status"`
	Currency         string          `json:"currency"`
	PONumber         *string         `json:"po_number"`
	CreatedAt        string          `json:"created_at"`
	UpdatedAt        string          `json:"updated_at"`
	CollectedAt      *string         `json:"collected_at"`
	DeliveredAt      *string         `json:"delivered_at"`
	IncrementID      string          `json:"increment_id"`
	OriginAddress    OriginAddress   `json:"origin_address"`
	ShippingAddress  ShippingAddress `json:"shipping_address"`
	OrderIncrementID string          `json:"order_increment_id"`
}

// Item is one line of a shipment. Prices include VAT.
type Item struct {
	MPN             string  `json:"mpn"`
	Qty             int     `json:"qty"`
	SKU             string  `json:"sku"`
	Size            string  `json:"size"`
	ParentSKU       string  `json:"parent_sku"`
	Manufacturer    string  `json:"manufacturer"`
	RowTotalIncTax  float64 `json:"row_total_inc_tax"`
	ItemPriceIncTax float64 `json:"item_price_inc_tax"`
}

// Track is the carrier's tracking information; all null until a label exists.
type Track struct {
	Method         *string `json:"method"`
	Carrier        *string `json:"carrier"`
	TrackingURL    *string `json:"tracking_url"`
	TrackingNumber *string `json:"tracking_number"`
}

// OriginAddress is where the shipment leaves from: Winkelstraat's stock hub.
// It has no person's name, as in the document.
type OriginAddress struct {
	City        string  `json:"city"`
	Email       string  `json:"email"`
	Street      string  `json:"street"`
	Postcode    string  `json:"postcode"`
	Telephone   string  `json:"telephone"`
	CountryID   string  `json:"country_id"`
	RegionCode  *string `json:"region_code"`
	CompanyName string  `json:"company_name"`
	HouseNumber string  `json:"house_number"`
}

// ShippingAddress is the recipient.
type ShippingAddress struct {
	City        string  `json:"city"`
	Email       string  `json:"email"`
	Street      string  `json:"street"`
	Postcode    string  `json:"postcode"`
	LastName    string  `json:"last_name"`
	Telephone   string  `json:"telephone"`
	CountryID   string  `json:"country_id"`
	FirstName   string  `json:"first_name"`
	RegionCode  *string `json:"region_code"`
	CompanyName *string `json:"company_name"`
	HouseNumber string  `json:"house_number"`
}
