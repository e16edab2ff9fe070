package activeants

// Path is one ShopApi operation the connector knows: its method, its path
// below the host (with {name} for a path parameter), and where the path
// comes from. The captured document (activeants-shopapi.txt) lost most of
// its paths; activeants-public-clients.md fills them in from public client
// code. Every path the connector sends is in Paths, and nowhere else.
type Path struct {
	// Op names the operation.
	Op string
	// Method is the HTTP method.
	Method string
	// Path is below the host, with a leading slash.
	Path string
	// Source says where the method and path come from: "doc" (the
	// document names it), a public client named in
	// activeants-public-clients.md, or "unknown: chosen as plausible"
	// with the reason.
	Source string
	// Used says which round uses it: "pull" (built now) or "command"
	// (the next round).
	Used string
}

// The operations, by name.
const (
	OpToken             = "token"
	OpStatus            = "status"
	OpSettings          = "settings"
	OpOrderAdd          = "order.add"
	OpOrderSearch       = "order.search"
	OpOrderRelease      = "order.release"
	OpShipmentGet       = "shipment.get"
	OpShipmentSync      = "shipment.sync"
	OpShipmentByType    = "shipment.byordertype"
	OpShipmentSearch    = "shipment.search"
	OpTrackTrace        = "tracktrace.get"
	OpStockBulk         = "stock.bulk"
	OpStockGet          = "stock.get"
	OpStockMutationGet  = "stockmutation.get"
	OpStockMutationSync = "stockmutation.sync"
	OpProductAdd        = "product.add"
	OpProductEdit       = "product.edit"
	OpProductSearch     = "product.search"
	OpPurchaseOrderAdd  = "purchaseorder.add"
	OpPurchaseOrderEdit = "purchaseorder.edit"
	OpPurchaseOrderDel  = "purchaseorder.delete"
	OpRMAAdd            = "rma.add"
	OpReturnLabel       = "returnlabel.get"
	OpReturnLabelWithSM = "returnlabel.getwithsm"
)

// Paths is every path of the connector, in one table.
var Paths = []Path{
	{OpToken, "POST", "/token", "doc (POST /token); NS src/Http/Authenticator.php, mvdnbrk, Maya-Tracking, hotglue, kemalatila, Caret", "pull"},
	{OpStatus, "GET", "/status/get", "doc (GET status/get); mvdnbrk src/Endpoints/Status.php, ND src/app/Status.php", "pull"},
	{OpSettings, "GET", "/settings/get", "doc (shopapi/v2 GET settings/get); mvdnbrk src/Endpoints/Settings.php, afosto src/app/Settings.php, portal", "pull"},
	{OpOrderAdd, "POST", "/order/add", "NS src/Api/Order.php (JSON), Caret, afosto src/app/Model.php", "command"},
	{OpOrderSearch, "GET", "/v2/order/search", "NS src/Api/Order.php (?externalOrderNumber=)", "command"},
	{OpOrderRelease, "POST", "/v2/order/release", "unknown: chosen as plausible; the document has the operation (body externalOrderNumber) but no path, no client uses it, and /v2/<entity>/<verb> is the v2 pattern; the simulator serves it (and /order/release as an alias)", "command"},
	{OpShipmentGet, "GET", "/v2/shipment/get", "Caret getShipments", "pull"},
	{OpShipmentSync, "POST", "/v2/shipment/sync", "Caret ackShipmetsupdate ({\"Ids\":[…]}); doc body {\"ids\":[…]}", "pull"},
	{OpShipmentByType, "POST", "/v2/shipment/byordertype", "Caret post_shipment_byordertype", "unused"},
	{OpShipmentSearch, "POST", "/shipment/search", "kemalatila src/Library/MayaService.php, afosto src/models/Shipment.php", "command"},
	{OpTrackTrace, "GET", "/v2/tracktrace/get", "unknown: chosen as plausible; the document has the operation (at most hourly) but no path and no client uses it; /v2/<entity>/get is how the v2 pulls are named; the simulator serves it (and four aliases: /v2/tracktracestatus/get, /v2/tracktrace/status, /v2/shipment/tracktrace, /v2/shipment/tracktracestatus)", "pull"},
	{OpStockBulk, "GET", "/stock/bulk/{all}", "afosto src/models/Stock.php, NS later src/Api/Stock.php, Caret, aa.stock ({all} is true or false)", "pull"},
	{OpStockGet, "GET", "/stock/get/{sku}", "portal (GET stock/get/testtest)", "command"},
	{OpStockMutationGet, "GET", "/v2/stockmutation/get", "Caret get_stock_mutation", "pull"},
	{OpStockMutationSync, "POST", "/v2/stockmutation/sync", "Caret ({\"Ids\":[…]}); doc body {\"ids\":[…]}", "pull"},
	{OpProductAdd, "POST", "/product/add", "portal, Caret, NS src/Api/Product.php", "command"},
	{OpProductEdit, "POST", "/product/edit", "portal, Caret postProductEdit, NS later (POST, not PUT)", "command"},
	{OpProductSearch, "POST", "/product/search", "portal, afosto src/models/Product.php", "command"},
	{OpPurchaseOrderAdd, "POST", "/purchaseorder/add", "Caret post_purchase_orders, afosto src/models/PurchaseOrder.php", "command"},
	{OpPurchaseOrderEdit, "POST", "/purchaseorder/edit", "unknown: chosen as plausible; the document has the operation (purchaseOrderId, purchaseOrderItems) but no path, and no client edits; <entity>/edit mirrors /product/edit, v1 like /purchaseorder/add; the simulator serves it (and /v2/purchaseorder/edit as an alias)", "command"},
	{OpPurchaseOrderDel, "POST", "/purchaseorder/delete", "unknown: chosen as plausible; the document has the operation but no path, and no client on the legacy API uses DELETE; POST <entity>/<verb> as everywhere else, v1 like /purchaseorder/add; the simulator serves it (and /v2/purchaseorder/delete as an alias)", "command"},
	{OpRMAAdd, "POST", "/v2/rma/add", "ND src/models/Rma.php (older /rma/add: afosto)", "command"},
	{OpReturnLabel, "GET", "/v2/returnlabel/get/{shipmentId}", "doc (\"See GET v2/returnlabel/get/:id\"); kemalatila getReturnLabelPDF, ND src/models/ReturnLabel.php", "command"},
	{OpReturnLabelWithSM, "GET", "/v2/returnlabel/get/{shipmentId}/{shippingMethodId}", "unknown: chosen as plausible; the document names a path parameter sm but no path, and no client uses it", "unused"},
}

// pathOf returns the table's row of an operation. It panics on an unknown
// operation, which is a programming error caught by the tests.
func pathOf(op string) Path {
	for _, p := range Paths {
		if p.Op == op {
			return p
		}
	}
	panic("activeants: no path for operation " + op)
}
