package wics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// The command sender: the merchant's orders, products and inbound goods
// carried out at WICS. Every command is idempotent towards WICS, because
// the worker sends it again after a crash between WICS's answer and its
// recording:
//
//	order.create    GET /api/order?reference=… first (unless this is the command's first
//	                attempt: see mayHaveSent); an order of that reference whose
//	                metaFields carry this shiphub_order_id, or none, is the one an earlier
//	                attempt created, and no second POST is sent. One that carries another
//	                order's id is a refusal (the reference is taken).
//	order.cancel    DELETE /api/order/{number}, the number from the order (its provider_ref)
//	                or looked up by reference; an order WICS does not have (404, or none of
//	                the reference) is already gone, which is success.
//	product.upsert  GET /api/item?code=… first; PUT /api/item/{code} when WICS has the item,
//	                POST /api/item when not.
//	inbound.create  GET /api/announcement?reference=… first (as order.create), with
//	                shiphub_inbound_id; then POST /api/announcement.
//	inbound.cancel  DELETE /api/announcement/{number}, as order.cancel.
//
// The answer (a CommandResult, see answers.go) goes to the inbox under a
// topic of its own, and Normalize maps it like any message.

// commandKinds are the kinds the connector carries out.
var commandKinds = []model.CommandKind{
	model.CommandOrderCreate, model.CommandOrderCancel, model.CommandProductUpsert,
	model.CommandInboundCreate, model.CommandInboundCancel,
}

// CommandKinds lists the kinds WICS carries out (provider.CommandSender).
func (c *Connector) CommandKinds() []model.CommandKind {
	return append([]model.CommandKind(nil), commandKinds...)
}

// DefaultStockStatus is the stock status announced goods are received
// into: the document requires one on an announcement, and 31 ("Vrij",
// free) is the one of all its examples.
const DefaultStockStatus = 31

// ValidateCommand checks what the document requires that the canonical
// request may lack (provider.CommandSender). It does no I/O. An order's
// delivery date is not checked: an order without one reaches WICS and is
// refused there, in WICS's words.
func (c *Connector) ValidateCommand(cmd *model.Command) error {
	switch cmd.Kind {
	case model.CommandOrderCreate:
		req, err := decodePayload[model.OrderRequest](cmd)
		if err != nil {
			return err
		}
		_, err = OrderBody(req, cmd.SubjectID, cmd.ID, c.settings.WebshopID)
		return err
	case model.CommandProductUpsert:
		req, err := decodePayload[model.ProductRequest](cmd)
		if err != nil {
			return err
		}
		_, err = itemBody(req)
		return err
	case model.CommandInboundCreate:
		req, err := decodePayload[model.InboundRequest](cmd)
		if err != nil {
			return err
		}
		_, err = announcementBody(req, cmd.SubjectID, cmd.ID)
		return err
	case model.CommandOrderCancel, model.CommandInboundCancel:
		return nil
	}
	return provider.FieldErrors{{Field: "kind", Message: "wics carries out " + kindList(), Value: string(cmd.Kind)}}
}

func kindList() string {
	names := make([]string, len(commandKinds))
	for i, k := range commandKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
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

// SendCommand carries a command out at WICS (provider.CommandSender). The
// requests wait on env.Limiter at urgent priority.
func (c *Connector) SendCommand(ctx context.Context, env provider.CommandEnv, cmd *model.Command) (*provider.CommandAnswer, error) {
	cl := c.NewClient(env.Limiter, provider.PriorityUrgent)
	if env.Now != nil {
		cl.Now = env.Now
	}
	var (
		res *CommandResult
		err error
	)
	switch cmd.Kind {
	case model.CommandOrderCreate:
		res, err = c.createOrder(ctx, cl, cmd)
	case model.CommandOrderCancel:
		res, err = c.cancelOrder(ctx, cl, env, cmd)
	case model.CommandProductUpsert:
		res, err = c.upsertItem(ctx, cl, cmd)
	case model.CommandInboundCreate:
		res, err = c.createAnnouncement(ctx, cl, cmd)
	case model.CommandInboundCancel:
		res, err = c.cancelAnnouncement(ctx, cl, env, cmd)
	default:
		return nil, fmt.Errorf("%w: wics does not carry out %s commands", provider.ErrRefused, cmd.Kind)
	}
	if err != nil {
		// No prefix: a refusal reads as WICS worded it (the order's
		// last_command.error), and the other errors name their call.
		return nil, commandError(err)
	}
	res.Kind, res.CommandID, res.SubjectID = cmd.Kind, cmd.ID, cmd.SubjectID
	return res.answer()
}

// commandError gives an error of the client the meaning the worker reads:
// a block or Retry-After stays the *provider.RetryAfterError; a refusal
// for the request's content wraps provider.ErrRefused with WICS's message;
// anything else (the network, 5xx, 401) is retried as it is.
func commandError(err error) error {
	var ra *provider.RetryAfterError
	if errors.As(err, &ra) {
		return err
	}
	if errors.Is(err, provider.ErrRefused) {
		return err
	}
	var fe provider.FieldErrors
	if errors.As(err, &fe) {
		return fmt.Errorf("%w: %s", provider.ErrRefused, fe.Error())
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Refused() {
		return fmt.Errorf("%w: %s", provider.ErrRefused, apiErr.Message)
	}
	return err
}

// createOrder is order.create: look up by reference, then create.
func (c *Connector) createOrder(ctx context.Context, cl *Client, cmd *model.Command) (*CommandResult, error) {
	req, err := decodePayload[model.OrderRequest](cmd)
	if err != nil {
		return nil, err
	}
	body, err := OrderBody(req, cmd.SubjectID, cmd.ID, c.settings.WebshopID)
	if err != nil {
		return nil, err
	}
	if mayHaveSent(cmd) {
		found, err := cl.OrdersByReference(ctx, req.Reference)
		if err != nil {
			return nil, err
		}
		if o, err := ours(found, req.Reference, MetaOrderID, cmd.SubjectID, func(o Order) Meta { return o.MetaFields }); err != nil {
			return nil, err
		} else if o != nil {
			return &CommandResult{Reference: req.Reference, Number: string(o.Number), Existing: true, Order: o}, nil
		}
	}
	number, ans, err := cl.CreateOrder(ctx, body)
	if err != nil {
		return nil, err
	}
	if number == "" {
		// The document's answer names the number; without it, ask.
		found, err := cl.OrdersByReference(ctx, req.Reference)
		if err != nil {
			return nil, err
		}
		if len(found) > 0 {
			number = string(found[0].Number)
		}
	}
	return &CommandResult{Reference: req.Reference, Number: number, Order: body, Answer: ans.Body}, nil
}

// mayHaveSent reports whether an earlier attempt of cmd may have sent it
// to WICS, so that the lookup by reference must come first. The worker
// counts an attempt (StartCommand) before it sends, so a command on its
// first attempt (Attempts 1) has sent nothing yet and saves the lookup:
// half the requests of a create, within a budget of 150 a minute. Any
// other count, 0 (not known) included, looks up.
func mayHaveSent(cmd *model.Command) bool { return cmd.Attempts != 1 }

// ours picks, of the entities found by reference, the one an earlier
// attempt of this command created: one whose metaFields carry subjectID
// under key,
// or failing that one that carries no shiphub id at all (created before
// shiphub sent ids, or by hand: the reference is the merchant's own). One
// that carries another id is a refusal: the reference is taken.
func ours[T any](found []T, ref, key string, subjectID int64, meta func(T) Meta) (*T, error) {
	want := strconv.FormatInt(subjectID, 10)
	var untagged *T
	var other string
	for i := range found {
		id := meta(found[i]).Text(key)
		switch {
		case id == want:
			return &found[i], nil
		case id == "":
			if untagged == nil {
				untagged = &found[i]
			}
		default:
			other = id
		}
	}
	if untagged != nil {
		return untagged, nil
	}
	if other != "" {
		return nil, fmt.Errorf("%w: the reference %q is already used at WICS by shiphub's %s", provider.ErrRefused, ref, other)
	}
	return nil, nil
}

// pendingCreateWait is how long a cancel waits for its order's create to
// reach WICS before it looks again.
const pendingCreateWait = 15 * time.Second

// cancelOrder is order.cancel: DELETE the order by its number. An order
// that WICS does not know is cancelled already, unless shiphub still holds
// it (pending): then its create is yet to be sent, and the cancel waits.
func (c *Connector) cancelOrder(ctx context.Context, cl *Client, env provider.CommandEnv, cmd *model.Command) (*CommandResult, error) {
	o, err := provider.LoadSubject[*model.Order](ctx, env)
	if err != nil {
		return nil, err
	}
	res := &CommandResult{Reference: o.Reference, Number: o.ProviderRef}
	if res.Number == "" {
		found, err := cl.OrdersByReference(ctx, o.Reference)
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			if o.Status == model.OrderPending {
				// The order's create has not reached WICS yet: cancelling
				// nothing now would let the create go through afterwards.
				return nil, &provider.RetryAfterError{After: pendingCreateWait,
					Err: errors.New("the order's create has not reached WICS yet")}
			}
			res.Absent = true
			return res, nil
		}
		res.Number = string(found[0].Number)
	}
	ans, err := cl.DeleteOrder(ctx, res.Number)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.NotFound() {
		res.Absent = true
		return res, nil
	}
	if errors.As(err, &apiErr) && apiErr.Refused() {
		// An earlier attempt's DELETE may have cancelled it already, and
		// WICS may refuse a second one: the order as WICS holds it decides.
		if o, _, gerr := cl.GetOrder(ctx, res.Number); gerr == nil && o.StatusCode != "" &&
			LookupOrderStatus(string(o.StatusCode), "").Status == string(model.OrderCancelled) {
			res.Existing, res.Order = true, o
			return res, nil
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	res.Answer = ans.Body
	return res, nil
}

// itemAttributes are the ProductRequest attributes WICS's item takes, by
// the document's field names.
var itemAttributes = []string{"assemblyType", "defaultUnit", "internalDescription", "itemGroup", "safetyDataSheet", "statusCode", "traceability", "weight"}

// itemBody maps a canonical product onto the document's item (POST
// /api/item): sku code, name description (and internalDescription, at
// most 40 characters, unless the attributes give one), the first barcode
// barcode, and the attributes of itemAttributes by name. Other attributes
// are field errors: WICS would not keep them.
func itemBody(req *model.ProductRequest) (*Item, error) {
	var fe provider.FieldErrors
	if strings.TrimSpace(req.SKU) == "" {
		fe = append(fe, provider.FieldError{Field: "sku", Message: "is required (WICS's item code)"})
	}
	if strings.TrimSpace(req.Name) == "" {
		fe = append(fe, provider.FieldError{Field: "name", Message: "is required (WICS's description)"})
	}
	it := &Item{Code: Text(req.SKU), Description: Text(req.Name), InternalDescription: Text(clipRunes(req.Name, 40))}
	if len(req.Barcodes) > 0 {
		it.Barcode = Text(req.Barcodes[0])
	}
	keys := make([]string, 0, len(req.Attributes))
	for k := range req.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := req.Attributes[k]
		bad := func(msg string) {
			fe = append(fe, provider.FieldError{Field: "attributes." + k, Message: msg, Value: v})
		}
		switch k {
		case "assemblyType":
			it.AssemblyType = Text(v)
		case "defaultUnit":
			it.DefaultUnit = Text(v)
		case "internalDescription":
			if len([]rune(v)) > 40 {
				bad("must be at most 40 characters (WICS's limit)")
			}
			it.InternalDescription = Text(v)
		case "itemGroup":
			it.ItemGroup = Text(v)
		case "safetyDataSheet":
			it.SafetyDataSheet = Text(v)
		case "statusCode":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				bad("must be a whole number (WICS's item status)")
			}
			it.StatusCode = Int(n)
		case "traceability":
			if v != "lot" && v != "serialnumber" && v != "none" {
				bad("must be lot, serialnumber or none")
			}
			it.Traceability = Text(v)
		case "weight":
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				bad("must be a decimal number such as 3.75")
			}
			it.Weight = Text(v)
		default:
			bad("is not an attribute of a WICS item; known: " + strings.Join(itemAttributes, ", "))
		}
	}
	if len(fe) > 0 {
		return nil, fe
	}
	return it, nil
}

// itemUpdate is the part of it an update may change.
func itemUpdate(it *Item) *ItemUpdate {
	return &ItemUpdate{Description: it.Description, Assembled: it.Assembled, DefaultUnit: it.DefaultUnit,
		SafetyDataSheet: it.SafetyDataSheet, StatusCode: it.StatusCode, Traceability: it.Traceability, Weight: it.Weight}
}

// upsertItem is product.upsert: update the item when WICS has it, create it
// when not.
func (c *Connector) upsertItem(ctx context.Context, cl *Client, cmd *model.Command) (*CommandResult, error) {
	req, err := decodePayload[model.ProductRequest](cmd)
	if err != nil {
		return nil, err
	}
	it, err := itemBody(req)
	if err != nil {
		return nil, err
	}
	_, found, err := cl.GetItem(ctx, req.SKU)
	if err != nil {
		return nil, err
	}
	res := &CommandResult{Reference: req.SKU, Number: req.SKU, Item: it, Existing: found}
	var ans *Answer
	if found {
		ans, err = cl.UpdateItem(ctx, req.SKU, itemUpdate(it))
	} else {
		ans, err = cl.CreateItem(ctx, it)
	}
	if err != nil {
		return nil, err
	}
	res.Answer = ans.Body
	return res, nil
}

// cmdAnnouncement is an announcement as the inbound commands send and look
// it up (POST /api/announcement, GET /api/announcement), from the
// document's "Create Announcement" table.
type cmdAnnouncement struct {
	Number              Text                  `json:"number,omitempty"`
	Reference           Text                  `json:"reference"`
	AdditionalReference Text                  `json:"additionalReference,omitempty"`
	PlannedDate         Text                  `json:"plannedDate"`
	Type                Text                  `json:"type,omitempty"`
	WarehouseCode       Text                  `json:"warehouseCode,omitempty"`
	Supplier            Int                   `json:"supplier"`
	StockStatus         Int                   `json:"stockStatus"`
	MetaFields          Meta                  `json:"metaFields,omitempty"`
	Lines               []cmdAnnouncementLine `json:"lines,omitempty"`
}

// cmdAnnouncementLine is one line of a cmdAnnouncement. The document marks
// lotNumber and bestBeforeDate required on every line, which the canonical
// request does not have: they are sent empty ("" and null), meaning no lot
// and no best-before date, rather than left out.
type cmdAnnouncementLine struct {
	LineNumber       Int   `json:"lineNumber"`
	ItemCode         Text  `json:"itemCode"`
	ItemDescription  Text  `json:"itemDescription,omitempty"`
	QuantityExpected Int   `json:"quantityExpected"`
	LotNumber        Text  `json:"lotNumber"`
	BestBeforeDate   *Text `json:"bestBeforeDate"`
}

// announcementBody maps canonical inbound goods onto the document's
// announcement: reference, expected_at plannedDate (required), supplier
// (WICS's address number of the supplier: digits, 0 when absent, as
// public clients send), stockStatus DefaultStockStatus, lines with
// lineNumber i+1, sku itemCode, quantity quantityExpected, lotNumber ""
// and bestBeforeDate null (see cmdAnnouncementLine), and
// metaFields {"shiphub_inbound_id", "shiphub_command_id"}.
func announcementBody(req *model.InboundRequest, inboundID, commandID int64) (*cmdAnnouncement, error) {
	var fe provider.FieldErrors
	a := &cmdAnnouncement{Reference: Text(req.Reference), PlannedDate: Text(req.ExpectedAt), StockStatus: DefaultStockStatus}
	if strings.TrimSpace(req.Reference) == "" {
		fe = append(fe, provider.FieldError{Field: "reference", Message: "is required"})
	}
	if req.ExpectedAt == "" {
		fe = append(fe, provider.FieldError{Field: "expected_at", Message: "is required: WICS requires the announcement's planned date"})
	} else if _, err := time.Parse(time.DateOnly, req.ExpectedAt); err != nil {
		fe = append(fe, provider.FieldError{Field: "expected_at", Message: "must be a date as YYYY-MM-DD", Value: req.ExpectedAt})
	}
	if s := strings.TrimSpace(req.Supplier); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			fe = append(fe, provider.FieldError{Field: "supplier", Message: "must be WICS's address number of the supplier, a whole number", Value: req.Supplier})
		}
		a.Supplier = Int(n)
	}
	if len(req.Lines) == 0 {
		fe = append(fe, provider.FieldError{Field: "lines", Message: "at least one line is required"})
	}
	for i, l := range req.Lines {
		p := fmt.Sprintf("lines[%d].", i)
		if strings.TrimSpace(l.SKU) == "" {
			fe = append(fe, provider.FieldError{Field: p + "sku", Message: "is required (WICS's itemCode)"})
		}
		q, ok := wholeQuantity(l.Quantity)
		if !ok {
			fe = append(fe, provider.FieldError{Field: p + "quantity", Message: "must be a positive whole number: WICS counts units", Value: l.Quantity})
		}
		a.Lines = append(a.Lines, cmdAnnouncementLine{LineNumber: Int(i + 1), ItemCode: Text(l.SKU), QuantityExpected: Int(q)})
	}
	a.MetaFields = Meta{}
	if inboundID > 0 {
		a.MetaFields[MetaInboundID] = jsonString(strconv.FormatInt(inboundID, 10))
	}
	if commandID > 0 {
		a.MetaFields[MetaCommandID] = jsonString(strconv.FormatInt(commandID, 10))
	}
	if len(a.MetaFields) == 0 {
		a.MetaFields = nil
	}
	if len(fe) > 0 {
		return nil, fe
	}
	return a, nil
}

// announcementsByReference lists the announcements of reference ref (GET
// /api/announcement?reference=…).
func announcementsByReference(ctx context.Context, cl *Client, ref string) ([]cmdAnnouncement, error) {
	var out []cmdAnnouncement
	err := Walk(ctx, cl, "/announcement", Filter{}.Where("reference", OpEq, ref), func(_ int, page []cmdAnnouncement) error {
		for _, a := range page {
			if string(a.Reference) == ref {
				out = append(out, a)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("looking up the wics announcement of reference %q: %w", ref, err)
	}
	return out, nil
}

// createAnnouncement is inbound.create: look up by reference, then create.
func (c *Connector) createAnnouncement(ctx context.Context, cl *Client, cmd *model.Command) (*CommandResult, error) {
	req, err := decodePayload[model.InboundRequest](cmd)
	if err != nil {
		return nil, err
	}
	body, err := announcementBody(req, cmd.SubjectID, cmd.ID)
	if err != nil {
		return nil, err
	}
	if mayHaveSent(cmd) {
		found, err := announcementsByReference(ctx, cl, req.Reference)
		if err != nil {
			return nil, err
		}
		if a, err := ours(found, req.Reference, MetaInboundID, cmd.SubjectID, func(a cmdAnnouncement) Meta { return a.MetaFields }); err != nil {
			return nil, err
		} else if a != nil {
			return &CommandResult{Reference: req.Reference, Number: string(a.Number), Existing: true, Announcement: a}, nil
		}
	}
	ans, err := cl.Do(ctx, http.MethodPost, "/announcement", nil, body, nil)
	if err != nil {
		return nil, err
	}
	number, err := scalar(ans.Data)
	if err != nil {
		return nil, fmt.Errorf("wics POST /announcement: %w", err)
	}
	if number == "" {
		// The document shows no answer of create: ask for the number.
		found, err := announcementsByReference(ctx, cl, req.Reference)
		if err != nil {
			return nil, err
		}
		if len(found) > 0 {
			number = string(found[0].Number)
		}
	}
	return &CommandResult{Reference: req.Reference, Number: number, Announcement: body, Answer: ans.Body}, nil
}

// cancelAnnouncement is inbound.cancel: DELETE the announcement by its
// number.
func (c *Connector) cancelAnnouncement(ctx context.Context, cl *Client, env provider.CommandEnv, cmd *model.Command) (*CommandResult, error) {
	in, err := provider.LoadSubject[*model.Inbound](ctx, env)
	if err != nil {
		return nil, err
	}
	res := &CommandResult{Reference: in.Reference, Number: in.ProviderRef}
	if res.Number == "" {
		found, err := announcementsByReference(ctx, cl, in.Reference)
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			res.Absent = true
			return res, nil
		}
		res.Number = string(found[0].Number)
	}
	ans, err := cl.Do(ctx, http.MethodDelete, "/announcement/"+url.PathEscape(res.Number), nil, nil, nil)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.NotFound() {
		res.Absent = true
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res.Answer = ans.Body
	return res, nil
}

var _ provider.CommandSender = (*Connector)(nil)
