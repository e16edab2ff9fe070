package activeants

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// The command sender: the merchant's orders, products, purchase orders and
// returns carried out at Active Ants. The worker may send a command again
// after a crash between Active Ants's answer and its recording, so each is
// idempotent towards Active Ants where the ShopApi allows:
//
//	order.create    GET /v2/order/search?externalOrderNumber= first (unless this is the
//	                command's first attempt), then POST /order/add; a found order, or the
//	                NOK "Order with external order number (…) already exists", is success.
//	order.release   POST /v2/order/release {externalOrderNumber}; "is not on hold" (an
//	                earlier attempt released it) is success.
//	product.upsert  POST /product/search {sku}; POST /product/edit when found, else POST
//	                /product/add (whose "already exists" is followed by the edit).
//	product.get     POST /product/search {sku} (productget.go); a read, so safe to repeat.
//	inbound.create  POST /purchaseorder/add; "already exists" is success. The ShopApi
//	                cannot look a purchase order up, so the id is then unknown.
//	inbound.update  POST /purchaseorder/edit with every line, then POST
//	                /purchaseorder/delete with the SKUs the request dropped.
//	inbound.cancel  POST /purchaseorder/delete {purchaseOrderId}.
//	return.create   see returns.go (not idempotent: the ShopApi cannot look an RMA up).
//
// Errors, as the worker reads them:
//
//   - A NOK answer (HTTP 2xx, messageCode NOK) is retried on the schedule,
//     with Active Ants's message as the command's last_error, and the
//     command is dead after the schedule: Active Ants refuses for reasons
//     that can pass (a SKU not yet created, stale settings ids).
//   - Final (provider.ErrRefused, dead at once) are only refusals certain
//     to repeat: HTTP 400 (the request's shape), a code the account's
//     settings do not know, a barcode change while the product is in stock,
//     a purchase-order change its colour forbids (colours only move on),
//     and a request that needs an id the hub does not have.
//   - Anything else (the network, 5xx, a refused login) is retried.

// commandKinds are the kinds the connector carries out.
var commandKinds = []model.CommandKind{
	model.CommandOrderCreate, model.CommandOrderRelease, model.CommandProductUpsert, model.CommandProductGet,
	model.CommandInboundCreate, model.CommandInboundUpdate, model.CommandInboundCancel,
	model.CommandReturnCreate,
}

var (
	_ provider.CommandSender   = (*Connector)(nil)
	_ provider.CommandPrecheck = (*Connector)(nil)
	_ provider.InboundGrader   = (*Connector)(nil)
)

// CommandKinds lists the kinds Active Ants carries out (provider.CommandSender).
func (c *Connector) CommandKinds() []model.CommandKind {
	return append([]model.CommandKind(nil), commandKinds...)
}

// cachedSettings returns the account's settings the cache holds in memory,
// without I/O; nil before the poll service (or a command) fetched them.
func (c *Connector) cachedSettings() *AccountSettings {
	_, cache := c.stateAndCache()
	cache.mu.Lock()
	defer cache.mu.Unlock()
	return cache.cur
}

// settingsForSend returns the account's settings for a command: cached, or
// fetched. Stale settings with a failed refresh are used: ids rarely change.
func (c *Connector) settingsForSend(ctx context.Context) (*AccountSettings, error) {
	a, err := c.AccountSettings(ctx)
	if a != nil {
		return a, nil
	}
	return nil, err
}

// ValidateCommand checks a command's payload without I/O
// (provider.CommandSender): the document's required fields and whole
// quantities, and the codes (shipping method, order type, language,
// countries, return reasons) against the account's settings when the
// connector holds them in memory (the poll service fetches them at its
// start and every settings_refresh). Before then, codes are not checked
// here: SendCommand resolves them and refuses an unknown one for good
// (provider.ErrRefused naming the code and the known ones).
func (c *Connector) ValidateCommand(cmd *model.Command) error {
	a := c.cachedSettings()
	switch cmd.Kind {
	case model.CommandOrderCreate:
		req, err := decodePayload[model.OrderRequest](cmd)
		if err != nil {
			return err
		}
		var fe provider.FieldErrors
		ids := OrderIDs{PaymentMethodID: 1, LanguageID: 1, OrderTypeID: 1}
		if a != nil {
			var rerr error
			if ids, rerr = ResolveOrder(a, req); rerr != nil {
				errors.As(rerr, &fe)
			}
		}
		if _, err := OrderBody(req, ids); err != nil {
			var bfe provider.FieldErrors
			if errors.As(err, &bfe) {
				fe = append(fe, bfe...)
			}
		}
		if len(fe) > 0 {
			return fe
		}
		return nil
	case model.CommandProductUpsert:
		req, err := decodePayload[model.ProductRequest](cmd)
		if err != nil {
			return err
		}
		_, err = ProductBody(req)
		return err
	case model.CommandInboundCreate, model.CommandInboundUpdate:
		req, err := decodePayload[model.InboundRequest](cmd)
		if err != nil {
			return err
		}
		_, err = PurchaseOrderBody(req)
		return err
	case model.CommandReturnCreate:
		req, err := decodePayload[model.ReturnRequest](cmd)
		if err != nil {
			return err
		}
		fe := checkReturnRequest(req)
		if a != nil {
			if _, err := returnReasonIDs(a, req); err != nil {
				var rfe provider.FieldErrors
				errors.As(err, &rfe)
				fe = append(fe, rfe...)
			}
		}
		if len(fe) > 0 {
			return fe
		}
		return nil
	case model.CommandOrderRelease, model.CommandInboundCancel, model.CommandProductGet:
		return nil
	}
	return provider.FieldErrors{{Field: "kind", Message: "active ants carries out " + kindList(), Value: string(cmd.Kind)}}
}

func kindList() string {
	names := make([]string, len(commandKinds))
	for i, k := range commandKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// PrecheckCommand refuses, before anything is queued, what the hub already
// knows Active Ants forbids (provider.CommandPrecheck); its errors wrap
// provider.ErrConflict (the API's 409):
//
//   - product.upsert that changes the barcode of a SKU whose stock, as the
//     hub holds it, is not zero ("The product barcode. Can only be changed
//     as long as the product is not in stock!"): the barcode the hub
//     holds for the product is compared with the request's first one.
//   - inbound.update and inbound.cancel the purchase order's colour
//     forbids (purchaseorders.go).
func (c *Connector) PrecheckCommand(ctx context.Context, cmd *model.Command, view provider.HubView) error {
	switch cmd.Kind {
	case model.CommandProductUpsert:
		req, err := decodePayload[model.ProductRequest](cmd)
		if err != nil {
			return err
		}
		if len(req.Barcodes) == 0 {
			return nil
		}
		p, err := view.Product(ctx, req.SKU)
		if err != nil {
			return fmt.Errorf("reading the hub's product %q: %w", req.SKU, err)
		}
		if p == nil || len(p.Barcodes) == 0 || containsFold(p.Barcodes, req.Barcodes[0]) {
			return nil
		}
		rows, err := view.Stock(ctx, req.SKU)
		if err != nil {
			return fmt.Errorf("reading the hub's stock of %q: %w", req.SKU, err)
		}
		for _, s := range rows {
			if s.Physical != 0 || s.Available != 0 {
				return fmt.Errorf("%w: the barcode of %s can only change while it is out of stock (Active Ants); the hub holds %g physical, %g available in warehouse %q",
					provider.ErrConflict, req.SKU, s.Physical, s.Available, s.Warehouse)
			}
		}
		return nil
	case model.CommandInboundUpdate, model.CommandInboundCancel:
		in, err := view.Inbound(ctx, cmd.SubjectID)
		if err != nil {
			return fmt.Errorf("reading the hub's inbound goods %d: %w", cmd.SubjectID, err)
		}
		if cmd.Kind == model.CommandInboundCancel {
			return CheckPurchaseOrderDelete(in)
		}
		req, err := decodePayload[model.InboundRequest](cmd)
		if err != nil {
			return err
		}
		return CheckPurchaseOrderEdit(in, req)
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(strings.TrimSpace(v), strings.TrimSpace(s)) {
			return true
		}
	}
	return false
}

// decodePayload reads a command's payload; a payload that is not the
// kind's request is a field error of "payload".
func decodePayload[T any](cmd *model.Command) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(cmd.Payload, v); err != nil {
		return nil, provider.FieldErrors{{Field: "payload", Message: fmt.Sprintf("is not a %s request: %v", cmd.Kind, err)}}
	}
	return v, nil
}

// SendCommand carries a command out at Active Ants (provider.CommandSender).
// The ShopApi states no rate limit; the command waits once on env.Limiter
// (when there is one), at urgent priority.
func (c *Connector) SendCommand(ctx context.Context, env provider.CommandEnv, cmd *model.Command) (*provider.CommandAnswer, error) {
	if env.Limiter != nil {
		if err := env.Limiter.Wait(ctx, provider.PriorityUrgent); err != nil {
			return nil, err
		}
	}
	var (
		res *CommandResult
		err error
	)
	switch cmd.Kind {
	case model.CommandOrderCreate:
		res, err = c.createOrder(ctx, cmd)
	case model.CommandOrderRelease:
		res, err = c.releaseOrder(ctx, env)
	case model.CommandProductUpsert:
		res, err = c.upsertProduct(ctx, cmd)
	case model.CommandProductGet:
		res, err = c.getProduct(ctx, env)
	case model.CommandInboundCreate:
		res, err = c.createPurchaseOrder(ctx, cmd)
	case model.CommandInboundUpdate:
		res, err = c.editPurchaseOrder(ctx, env, cmd)
	case model.CommandInboundCancel:
		res, err = c.deletePurchaseOrder(ctx, env)
	case model.CommandReturnCreate:
		res, err = c.createReturn(ctx, cmd)
	default:
		return nil, fmt.Errorf("%w: active ants does not carry out %s commands", provider.ErrRefused, cmd.Kind)
	}
	if err != nil {
		return nil, commandError(err)
	}
	res.Kind, res.CommandID, res.SubjectID = cmd.Kind, cmd.ID, cmd.SubjectID
	return res.answer()
}

// commandError gives an error the meaning the worker reads (see above).
func commandError(err error) error {
	if errors.Is(err, provider.ErrRefused) {
		return err
	}
	var fe provider.FieldErrors
	if errors.As(err, &fe) {
		return fmt.Errorf("%w: %s", provider.ErrRefused, fe.Error())
	}
	var uce *UnknownCodeError
	if errors.As(err, &uce) {
		return fmt.Errorf("%w: %s", provider.ErrRefused, uce.Error())
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch {
		case apiErr.Status == 400:
			return fmt.Errorf("%w: %s", provider.ErrRefused, apiErr.Message)
		case apiErr.NOK():
			return &nokError{api: apiErr}
		}
	}
	return err
}

// nokError is a NOK answer to a command, retried on the schedule. It reads
// as Active Ants worded it (the command's last_error, the order's
// last_command.error) and unwraps to the *APIError.
type nokError struct{ api *APIError }

func (e *nokError) Error() string {
	if strings.TrimSpace(e.api.Message) == "" {
		return "active ants answered " + e.api.MessageCode + " without a message"
	}
	return e.api.Message
}

func (e *nokError) Unwrap() error { return e.api }

// mayHaveSent reports whether an earlier attempt of cmd may have sent it:
// the worker counts an attempt before it sends, so a first attempt
// (Attempts 1) has sent nothing and saves the lookup.
func mayHaveSent(cmd *model.Command) bool { return cmd.Attempts != 1 }

// alreadyExists reports whether err is Active Ants's "already exists" NOK
// (Caret treats "(<ExternalOrderNumber>) already exists" as already sent).
func alreadyExists(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.NOK() && strings.Contains(strings.ToLower(apiErr.Message), "already exists")
}

// isNOK reports whether err is a NOK answer.
func isNOK(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.NOK()
}

// FoundOrder is the result of the order search.
type FoundOrder struct {
	OrderNumber         Int    `json:"orderNumber"`
	ExternalOrderNumber string `json:"externalOrderNumber"`
}

// DecodeFoundOrder reads the order search's result; a result without an
// orderNumber is no order.
func DecodeFoundOrder(result json.RawMessage) (*FoundOrder, error) {
	var f FoundOrder
	if err := strictObject(result, &f); err != nil {
		return nil, fmt.Errorf("%w: order search: %v", provider.ErrBadInput, err)
	}
	if !f.OrderNumber.Valid {
		return nil, nil
	}
	return &f, nil
}

// searchOrder looks an order up by its external number; nil when Active
// Ants has none (its NOK "not found").
func (c *Connector) searchOrder(ctx context.Context, ref string) (*FoundOrder, error) {
	ans, err := c.client.Do(ctx, OpOrderSearch, nil, url.Values{"externalOrderNumber": {ref}}, nil)
	if isNOK(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return DecodeFoundOrder(ans.Envelope.Result)
}

// createOrder is order.create.
func (c *Connector) createOrder(ctx context.Context, cmd *model.Command) (*CommandResult, error) {
	req, err := decodePayload[model.OrderRequest](cmd)
	if err != nil {
		return nil, err
	}
	a, err := c.settingsForSend(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := ResolveOrder(a, req)
	if err != nil {
		return nil, err
	}
	body, err := OrderBody(req, ids)
	if err != nil {
		return nil, err
	}
	res := &CommandResult{Reference: body.ExternalOrderNumber, Order: body}
	if mayHaveSent(cmd) {
		f, err := c.searchOrder(ctx, body.ExternalOrderNumber)
		if err != nil {
			return nil, err
		}
		if f != nil {
			res.Number, res.Existing = f.OrderNumber.String(), true
			return res, nil
		}
	}
	ans, err := c.client.Do(ctx, OpOrderAdd, nil, nil, body)
	if alreadyExists(err) {
		res.Existing = true
		if f, serr := c.searchOrder(ctx, body.ExternalOrderNumber); serr == nil && f != nil {
			res.Number = f.OrderNumber.String()
		}
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res.Number, res.Answer = scalarResult(ans.Envelope.Result), ans.Body
	return res, nil
}

// releaseOrder is order.release.
func (c *Connector) releaseOrder(ctx context.Context, env provider.CommandEnv) (*CommandResult, error) {
	o, err := provider.LoadSubject[*model.Order](ctx, env)
	if err != nil {
		return nil, err
	}
	res := &CommandResult{Reference: o.Reference, Number: o.ProviderRef}
	ans, err := c.client.Do(ctx, OpOrderRelease, nil, nil, map[string]string{"externalOrderNumber": o.Reference})
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.NOK() && strings.Contains(strings.ToLower(apiErr.Message), "not on hold") {
		// Released already (by an earlier attempt, or in Maya).
		res.Existing = true
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res.Answer = ans.Body
	return res, nil
}

// ProductAdd is the body of POST /product/add and /product/edit: the
// document's product fields (edit is keyed by sku).
type ProductAdd struct {
	SKU                    string   `json:"sku"`
	Name                   string   `json:"name,omitempty"`
	Barcode                *string  `json:"barcode,omitempty"`
	Description            string   `json:"description,omitempty"`
	HarmonisationCode      string   `json:"harmonisationCode,omitempty"`
	CountryOfOriginIso     string   `json:"countryOfOriginIso,omitempty"`
	CostPrice              *float64 `json:"costPrice,omitempty"`
	Weight                 *float64 `json:"weight,omitempty"`
	SupplierCode           string   `json:"supplierCode,omitempty"`
	SupplierProductCode    string   `json:"supplierProductCode,omitempty"`
	StockMinimum           *int64   `json:"stockMinimum,omitempty"`
	StockMaximum           *int64   `json:"stockMaximum,omitempty"`
	PriceA                 string   `json:"priceA,omitempty"`
	PriceB                 string   `json:"priceB,omitempty"`
	PriceC                 string   `json:"priceC,omitempty"`
	PriceD                 string   `json:"priceD,omitempty"`
	OrderQuantity          string   `json:"orderQuantity,omitempty"`
	Extra1                 string   `json:"extra1,omitempty"`
	Extra2                 string   `json:"extra2,omitempty"`
	Extra3                 string   `json:"extra3,omitempty"`
	Extra4                 string   `json:"extra4,omitempty"`
	Extra5                 string   `json:"extra5,omitempty"`
	HasThtDate             *bool    `json:"hasThtDate,omitempty"`
	WarningDaysTillThtDate *int64   `json:"warningDaysTillThtDate,omitempty"`
	MaxDaysTillThtDate     *int64   `json:"maxDaysTillThtDate,omitempty"`
	HasLotNumber           *bool    `json:"hasLotNumber,omitempty"`
	HasSerial              *bool    `json:"hasSerial,omitempty"`
	UseEconomicStock       *bool    `json:"useEconomicStock,omitempty"`
}

// productAttributes are the ProductRequest attributes the document's
// product takes, by its field names.
var productAttributes = []string{"costPrice", "countryOfOriginIso", "description", "extra1", "extra2", "extra3", "extra4", "extra5",
	"harmonisationCode", "hasLotNumber", "hasSerial", "hasThtDate", "maxDaysTillThtDate", "orderQuantity", "priceA", "priceB", "priceC",
	"priceD", "stockMaximum", "stockMinimum", "supplierCode", "supplierProductCode", "useEconomicStock", "warningDaysTillThtDate", "weight"}

// ProductBody maps a canonical product onto the document's product: sku,
// name, the first barcode barcode, and the attributes of productAttributes
// by name (numbers and booleans parsed). Other attributes are field
// errors: Active Ants would not keep them.
func ProductBody(req *model.ProductRequest) (*ProductAdd, error) {
	var fe provider.FieldErrors
	p := &ProductAdd{SKU: strings.TrimSpace(req.SKU), Name: strings.TrimSpace(req.Name)}
	if p.SKU == "" {
		fe = append(fe, provider.FieldError{Field: "sku", Message: "is required"})
	}
	if p.Name == "" {
		fe = append(fe, provider.FieldError{Field: "name", Message: "is required (Active Ants: \"Cannot be empty\")"})
	}
	if len(req.Barcodes) > 0 {
		b := strings.TrimSpace(req.Barcodes[0])
		p.Barcode = &b
	}
	for _, k := range sortedKeys(req.Attributes) {
		v := strings.TrimSpace(req.Attributes[k])
		field := "attributes." + k
		bad := func(msg string) { fe = append(fe, provider.FieldError{Field: field, Message: msg, Value: v}) }
		num := func() *float64 {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				bad("must be a number of 0 or more")
				return nil
			}
			return &f
		}
		whole := func() *int64 {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				bad("must be a whole number of 0 or more")
				return nil
			}
			return &n
		}
		flag := func() *bool {
			b, err := strconv.ParseBool(v)
			if err != nil {
				bad("must be true or false")
				return nil
			}
			return &b
		}
		switch k {
		case "costPrice":
			p.CostPrice = num()
		case "weight":
			p.Weight = num()
		case "stockMinimum":
			p.StockMinimum = whole()
		case "stockMaximum":
			p.StockMaximum = whole()
		case "warningDaysTillThtDate":
			p.WarningDaysTillThtDate = whole()
		case "maxDaysTillThtDate":
			p.MaxDaysTillThtDate = whole()
		case "hasThtDate":
			p.HasThtDate = flag()
		case "hasLotNumber":
			p.HasLotNumber = flag()
		case "hasSerial":
			p.HasSerial = flag()
		case "useEconomicStock":
			p.UseEconomicStock = flag()
		case "description":
			p.Description = v
		case "harmonisationCode":
			p.HarmonisationCode = v
		case "countryOfOriginIso":
			if len(v) != 2 {
				bad("must be an ISO 3166 alpha-2 code")
			}
			p.CountryOfOriginIso = strings.ToUpper(v)
		case "supplierCode":
			p.SupplierCode = v
		case "supplierProductCode":
			p.SupplierProductCode = v
		case "priceA":
			p.PriceA = v
		case "priceB":
			p.PriceB = v
		case "priceC":
			p.PriceC = v
		case "priceD":
			p.PriceD = v
		case "orderQuantity":
			p.OrderQuantity = v
		case "extra1":
			p.Extra1 = v
		case "extra2":
			p.Extra2 = v
		case "extra3":
			p.Extra3 = v
		case "extra4":
			p.Extra4 = v
		case "extra5":
			p.Extra5 = v
		default:
			bad("is not a field of an Active Ants product; known: " + strings.Join(productAttributes, ", "))
		}
	}
	if len(fe) > 0 {
		return nil, fe
	}
	return p, nil
}

// upsertProduct is product.upsert: edit when Active Ants has the SKU, add
// when not.
func (c *Connector) upsertProduct(ctx context.Context, cmd *model.Command) (*CommandResult, error) {
	req, err := decodePayload[model.ProductRequest](cmd)
	if err != nil {
		return nil, err
	}
	body, err := ProductBody(req)
	if err != nil {
		return nil, err
	}
	res := &CommandResult{Reference: body.SKU, Product: body}
	_, err = c.client.Do(ctx, OpProductSearch, nil, nil, map[string]string{"sku": body.SKU})
	found := err == nil
	if err != nil && !isNOK(err) {
		return nil, err
	}
	if !found {
		ans, err := c.client.Do(ctx, OpProductAdd, nil, nil, body)
		if err == nil {
			res.Number, res.Answer = scalarResult(ans.Envelope.Result), ans.Body
			return res, nil
		}
		if !alreadyExists(err) {
			return nil, err
		}
	}
	res.Existing = true
	ans, err := c.client.Do(ctx, OpProductEdit, nil, nil, body)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.NOK() && strings.Contains(strings.ToLower(apiErr.Message), "barcode") {
		// "Can only be changed as long as the product is not in stock!"
		return nil, fmt.Errorf("%w: %s", provider.ErrRefused, apiErr.Message)
	}
	if err != nil {
		return nil, err
	}
	res.Answer = ans.Body
	return res, nil
}

// createPurchaseOrder is inbound.create.
func (c *Connector) createPurchaseOrder(ctx context.Context, cmd *model.Command) (*CommandResult, error) {
	req, err := decodePayload[model.InboundRequest](cmd)
	if err != nil {
		return nil, err
	}
	body, err := PurchaseOrderBody(req)
	if err != nil {
		return nil, err
	}
	res := &CommandResult{Reference: body.Reference, PurchaseOrder: body}
	ans, err := c.client.Do(ctx, OpPurchaseOrderAdd, nil, nil, body)
	if alreadyExists(err) {
		res.Existing = true
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res.Number, res.Answer = scalarResult(ans.Envelope.Result), ans.Body
	return res, nil
}

// purchaseOrderID is the Active Ants id of inbound goods, from their
// provider_ref.
func purchaseOrderID(in *model.Inbound) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(in.ProviderRef), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: the Active Ants id of purchase order %q is not known to the hub", provider.ErrRefused, in.Reference)
	}
	return id, nil
}

// colourRefusal makes a NOK that names a colour final: colours only move on.
func colourRefusal(err error) error {
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.NOK() {
		m := strings.ToLower(apiErr.Message)
		if strings.Contains(m, "green") || strings.Contains(m, "yellow") || strings.Contains(m, "red") {
			return fmt.Errorf("%w: %s", provider.ErrRefused, apiErr.Message)
		}
	}
	return err
}

// editPurchaseOrder is inbound.update.
func (c *Connector) editPurchaseOrder(ctx context.Context, env provider.CommandEnv, cmd *model.Command) (*CommandResult, error) {
	in, err := provider.LoadSubject[*model.Inbound](ctx, env)
	if err != nil {
		return nil, err
	}
	req, err := decodePayload[model.InboundRequest](cmd)
	if err != nil {
		return nil, err
	}
	add, err := PurchaseOrderBody(req)
	if err != nil {
		return nil, err
	}
	if err := CheckPurchaseOrderEdit(in, req); err != nil {
		return nil, fmt.Errorf("%w: %v", provider.ErrRefused, err)
	}
	id, err := purchaseOrderID(in)
	if err != nil {
		return nil, err
	}
	edit, drop := purchaseOrderEdit(id, add, in)
	res := &CommandResult{Reference: in.Reference, Number: in.ProviderRef, PurchaseOrder: add, Colour: Colour(in)}
	ans, err := c.client.Do(ctx, OpPurchaseOrderEdit, nil, nil, edit)
	if err != nil {
		return nil, colourRefusal(err)
	}
	res.Answer = ans.Body
	if len(drop) > 0 {
		_, err := c.client.Do(ctx, OpPurchaseOrderDel, nil, nil, &PurchaseOrderDelete{PurchaseOrderID: id, PurchaseOrderItems: drop})
		if err != nil && !(isNOK(err) && strings.Contains(strings.ToLower(err.Error()), "not part of")) {
			return nil, colourRefusal(err)
		}
	}
	return res, nil
}

// deletePurchaseOrder is inbound.cancel.
func (c *Connector) deletePurchaseOrder(ctx context.Context, env provider.CommandEnv) (*CommandResult, error) {
	in, err := provider.LoadSubject[*model.Inbound](ctx, env)
	if err != nil {
		return nil, err
	}
	if err := CheckPurchaseOrderDelete(in); err != nil {
		return nil, fmt.Errorf("%w: %v", provider.ErrRefused, err)
	}
	id, err := purchaseOrderID(in)
	if err != nil {
		return nil, err
	}
	res := &CommandResult{Reference: in.Reference, Number: in.ProviderRef, Colour: Colour(in)}
	for _, l := range in.Lines {
		res.Received = append(res.Received, ReceivedLine{LineNumber: l.LineNumber, SKU: l.SKU, Received: l.Received})
	}
	ans, err := c.client.Do(ctx, OpPurchaseOrderDel, nil, nil, &PurchaseOrderDelete{PurchaseOrderID: id})
	if isNOK(err) && strings.Contains(strings.ToLower(err.Error()), "not found") {
		// Deleted already, by an earlier attempt or in Maya.
		res.Absent = true
		return res, nil
	}
	if err != nil {
		return nil, colourRefusal(err)
	}
	res.Answer = ans.Body
	return res, nil
}
