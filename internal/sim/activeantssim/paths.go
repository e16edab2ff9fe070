package activeantssim

import (
	"net/http"
	"slices"
	"strings"
)

// Path is one operation the simulator serves: its method and path, where
// the path comes from, and whether it was chosen because no source shows it.
type Path struct {
	Method string
	// Pattern is the path; {name} is one path segment.
	Pattern string
	// Source is the document (activeants-shopapi.txt) or a public client
	// named in activeants-public-clients.md.
	Source string
	// Chosen marks a path no source shows: the simulator's plausible
	// choice, with the reason in Source.
	Chosen bool
	// Auth is false only for the token and status operations.
	Auth bool

	handle func(s *Sim, w http.ResponseWriter, r *http.Request, params []string)
}

// paths is every operation, in the document's order. The capture of the
// document lost most paths; activeants-public-clients.md fills them in.
var paths = []Path{
	{Method: "POST", Pattern: "/token", Source: "document (POST /token); NS, mvdnbrk, Maya-Tracking, hotglue, kemalatila, Caret", handle: (*Sim).token},
	{Method: "GET", Pattern: "/status/get", Source: "document (GET status/get); mvdnbrk src/Endpoints/Status.php, ND", handle: (*Sim).status},
	{Method: "GET", Pattern: "/settings/get", Auth: true, Source: "document (GET settings/get); mvdnbrk, afosto, NS, Caret, portal", handle: (*Sim).getSettings},
	{Method: "POST", Pattern: "/v2/order/release", Auth: true, Chosen: true, Source: "unknown: the document's release takes {externalOrderNumber}; v2 like order/search, and /order/release is served too", handle: (*Sim).releaseOrder},
	{Method: "POST", Pattern: "/order/release", Auth: true, Chosen: true, Source: "unknown: alias of /v2/order/release in v1 style like /order/add", handle: (*Sim).releaseOrder},
	{Method: "POST", Pattern: "/order/add", Auth: true, Source: "NS src/Api/Order.php, Caret, afosto src/app/Model.php", handle: (*Sim).addOrder},
	{Method: "GET", Pattern: "/v2/order/search", Auth: true, Source: "NS src/Api/Order.php (?externalOrderNumber=)", handle: (*Sim).searchOrderQuery},
	{Method: "POST", Pattern: "/order/search", Auth: true, Source: "afosto src/models/Order.php (body ExternalOrderNumber)", handle: (*Sim).searchOrderBody},
	{Method: "GET", Pattern: "/v2/tracktrace/get", Auth: true, Chosen: true, Source: "unknown: the document's track-trace status list; {resource}/get like v2/shipment/get and v2/returnlabel/get", handle: (*Sim).trackTrace},
	{Method: "GET", Pattern: "/v2/tracktracestatus/get", Auth: true, Chosen: true, Source: "unknown: alias of /v2/tracktrace/get", handle: (*Sim).trackTrace},
	{Method: "GET", Pattern: "/v2/shipment/tracktracestatus", Auth: true, Chosen: true, Source: "unknown: alias of /v2/tracktrace/get under shipment", handle: (*Sim).trackTrace},
	{Method: "GET", Pattern: "/v2/tracktrace/status", Auth: true, Chosen: true, Source: "unknown: alias of /v2/tracktrace/get", handle: (*Sim).trackTrace},
	{Method: "GET", Pattern: "/v2/shipment/tracktrace", Auth: true, Chosen: true, Source: "unknown: alias of /v2/tracktrace/get under shipment", handle: (*Sim).trackTrace},
	{Method: "GET", Pattern: "/v2/shipment/get", Auth: true, Source: "Caret getShipments", handle: (*Sim).getShipments},
	{Method: "POST", Pattern: "/v2/shipment/byordertype", Auth: true, Source: "Caret post_shipment_byordertype", handle: (*Sim).shipmentsByOrderType},
	{Method: "POST", Pattern: "/v2/shipment/sync", Auth: true, Source: "Caret ackShipmetsupdate", handle: (*Sim).syncShipments},
	{Method: "POST", Pattern: "/shipment/search", Auth: true, Source: "kemalatila src/Library/MayaService.php, afosto src/models/Shipment.php", handle: (*Sim).searchShipments},
	{Method: "POST", Pattern: "/v2/rma/add", Auth: true, Source: "ND src/models/Rma.php (document's v2 body)", handle: (*Sim).addRMA},
	{Method: "POST", Pattern: "/v2/returnitem/get", Auth: true, Chosen: true, Source: "unknown: the document's return items (ExternalOrderNumber, Starttime, Endtime in the body, so POST); {resource}/get like v2/shipment/get", handle: (*Sim).returnItems},
	{Method: "GET", Pattern: "/v2/returnlabel/get/{shipmentId}", Auth: true, Source: "document (See GET v2/returnlabel/get/:id); kemalatila, ND", handle: (*Sim).returnLabel},
	{Method: "GET", Pattern: "/v2/returnlabel/get/{shipmentId}/{shippingMethodId}", Auth: true, Chosen: true, Source: "unknown: the document's label with return shipping method sm, as a second segment (?sm= on the one-segment path works too)", handle: (*Sim).returnLabel},
	{Method: "POST", Pattern: "/product/add", Auth: true, Source: "portal, Caret, NS src/Api/Product.php", handle: (*Sim).addProduct},
	{Method: "POST", Pattern: "/product/edit", Auth: true, Source: "portal, Caret postProductEdit, NS later", handle: (*Sim).editProduct},
	{Method: "POST", Pattern: "/product/search", Auth: true, Source: "portal, afosto src/models/Product.php", handle: (*Sim).searchProductBody},
	{Method: "GET", Pattern: "/v2/product/search", Auth: true, Source: "NS later src/Api/Product.php, Caret getProducts (?sku=, ?barcode=)", handle: (*Sim).searchProductQuery},
	{Method: "GET", Pattern: "/stock/get/{sku}", Auth: true, Source: "portal (GET stock/get/testtest)", handle: (*Sim).stockOne},
	{Method: "GET", Pattern: "/v2/stock/get/{sku}", Auth: true, Chosen: true, Source: "unknown: the document's second per-SKU stock answer (an object); v2 of stock/get", handle: (*Sim).stockOneV2},
	{Method: "GET", Pattern: "/stock/bulk/{all}", Auth: true, Source: "afosto src/models/Stock.php, NS later, Caret, aa.stock", handle: (*Sim).stockBulk},
	{Method: "GET", Pattern: "/v2/stock/bulk", Auth: true, Chosen: true, Source: "unknown: the document's stock since a date (?all_products=&from=), answered with stockMutationPeriod", handle: (*Sim).stockSince},
	{Method: "GET", Pattern: "/v2/stockmutation/get", Auth: true, Source: "Caret get_stock_mutation", handle: (*Sim).getMutations},
	{Method: "POST", Pattern: "/v2/stockmutation/sync", Auth: true, Source: "Caret", handle: (*Sim).syncMutations},
	{Method: "POST", Pattern: "/purchaseorder/add", Auth: true, Source: "Caret post_purchase_orders, afosto src/models/PurchaseOrder.php", handle: (*Sim).addPurchaseOrder},
	{Method: "POST", Pattern: "/purchaseorder/edit", Auth: true, Chosen: true, Source: "unknown: POST like product/edit (no client uses PUT or DELETE on the legacy API)", handle: (*Sim).editPurchaseOrder},
	{Method: "POST", Pattern: "/purchaseorder/delete", Auth: true, Chosen: true, Source: "unknown: POST like product/edit (no client uses PUT or DELETE on the legacy API)", handle: (*Sim).deletePurchaseOrder},
	{Method: "POST", Pattern: "/v2/purchaseorder/edit", Auth: true, Chosen: true, Source: "unknown: alias of /purchaseorder/edit under v2", handle: (*Sim).editPurchaseOrder},
	{Method: "POST", Pattern: "/v2/purchaseorder/delete", Auth: true, Chosen: true, Source: "unknown: alias of /purchaseorder/delete under v2", handle: (*Sim).deletePurchaseOrder},
}

// Paths returns the table of every operation the simulator serves.
func Paths() []Path {
	out := slices.Clone(paths)
	for i := range out {
		out[i].handle = nil
	}
	return out
}

// match finds the operation of a path, ignoring case and a trailing slash
// (the portal writes settings/get/), as ASP.NET routes do. It returns the
// operations of the path whatever their method, and the path parameters.
func match(path string) (ops []*Path, params []string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := range paths {
		p := &paths[i]
		pat := strings.Split(strings.Trim(p.Pattern, "/"), "/")
		if len(pat) != len(segs) {
			continue
		}
		var got []string
		ok := true
		for j, ps := range pat {
			if strings.HasPrefix(ps, "{") {
				if segs[j] == "" {
					ok = false
					break
				}
				got = append(got, segs[j])
				continue
			}
			if !strings.EqualFold(ps, segs[j]) {
				ok = false
				break
			}
		}
		if ok {
			ops = append(ops, p)
			params = got
		}
	}
	return ops, params
}
