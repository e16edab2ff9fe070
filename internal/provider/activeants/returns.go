package activeants

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// Returns: return.create announces an RMA (POST /v2/rma/add) and fetches
// its return label (GET /v2/returnlabel/get/{shipmentId}, a base64 PDF).
// An RMA names a shipment and its shipment items, which the canonical
// request does not know: the connector finds them with POST
// /shipment/search {externalOrderNumber}, whose answer carries
// shipmentItems[{shipmentItemId, sku, quantity}]. Reasons are codes of the
// settings' returnReasons, resolved to their ids.
//
// The label is kept with the return as a data: URL (data:application/pdf;
// base64,…), at most MaxLabelBytes of PDF: the API serves it at
// /returns/{id}/label as application/pdf and shows only that address in
// the resource. A larger label, or one Active Ants cannot make (NOK), is
// not kept; the RMA stands without it.
//
// The document has no way to look an RMA up, so the create is not
// idempotent towards Active Ants across a crash between its answer and
// its recording: each RMA carries externalReference "shiphub-return-<id>"
// so that a double can be told apart in Maya.

// MaxLabelBytes caps a stored return label: a carrier's label PDF is
// some tens of kilobytes.
const MaxLabelBytes = 512 << 10

// RMAAdd is the body of POST /v2/rma/add (the document's fields:
// shipmentId, remark, externalReference, rmaItems). The document shows
// rmaItems as one object; its name and the items it describes are plural,
// so the connector sends a list (the simulator, like ASP.NET binding,
// reads either).
type RMAAdd struct {
	ShipmentID        int64     `json:"shipmentId"`
	Remark            string    `json:"remark,omitempty"`
	ExternalReference string    `json:"externalReference,omitempty"`
	RMAItems          []RMAItem `json:"rmaItems"`
}

// RMAItem is one item of an RMA.
type RMAItem struct {
	ShipmentItemID    int64  `json:"shipmentItemId"`
	Quantity          int64  `json:"quantity"`
	ReturnReasonID    int64  `json:"returnReasonId"`
	ExternalReference string `json:"externalReference,omitempty"`
}

// ReturnLabel is the result of GET /v2/returnlabel/get/{shipmentId}.
type ReturnLabel struct {
	MimeType                        string `json:"mimeType"`
	FileName                        string `json:"fileName"`
	ShippingMethodID                Int    `json:"shippingMethodId"`
	PackageNumber                   string `json:"packageNumber"`
	IsPaperlessReturnShippingMethod bool   `json:"isPaperlessReturnShippingMethod"`
	Data                            string `json:"data"`
}

// DecodeReturnLabel reads a return label's result and its PDF: base64
// data that decodes to at most MaxLabelBytes.
func DecodeReturnLabel(result json.RawMessage) (*ReturnLabel, []byte, error) {
	var l ReturnLabel
	if err := strictObject(result, &l); err != nil {
		return nil, nil, fmt.Errorf("%w: return label: %v", provider.ErrBadInput, err)
	}
	data := strings.TrimSpace(l.Data)
	if data == "" {
		return &l, nil, nil
	}
	if base64.StdEncoding.DecodedLen(len(data)) > MaxLabelBytes+3 {
		return nil, nil, fmt.Errorf("%w: return label: larger than %d bytes", provider.ErrBadInput, MaxLabelBytes)
	}
	pdf, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: return label: data is not base64: %v", provider.ErrBadInput, err)
	}
	return &l, pdf, nil
}

// LabelDataURL is how a label is kept with a return.
func LabelDataURL(mime string, pdf []byte) string {
	if mime == "" {
		mime = "application/pdf"
	}
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(pdf)
}

// FoundShipment is one item of the shipment search answer, as far as an
// RMA needs it.
type FoundShipment struct {
	ID                  Int            `json:"id"`
	ExternalOrderNumber string         `json:"externalOrderNumber"`
	ShipmentItems       []ShipmentItem `json:"shipmentItems"`
}

// DecodeFoundShipments reads the result of POST /shipment/search.
func DecodeFoundShipments(result json.RawMessage) ([]FoundShipment, error) {
	items, err := ResultItems(result)
	if err != nil {
		return nil, err
	}
	out := make([]FoundShipment, 0, len(items))
	for _, it := range items {
		var s FoundShipment
		if err := strictObject(it, &s); err != nil {
			return nil, fmt.Errorf("%w: shipment search: %v", provider.ErrBadInput, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// returnReasonIDs resolves each line's reason code; a line without one
// takes the account's only reason, when it has exactly one.
func returnReasonIDs(a *AccountSettings, req *model.ReturnRequest) ([]int64, error) {
	var fe provider.FieldErrors
	ids := make([]int64, len(req.Lines))
	for i, l := range req.Lines {
		field := fmt.Sprintf("lines[%d].reason", i)
		switch {
		case l.Reason != "":
			id, err := a.Resolve(KindReturnReason, l.Reason)
			if err != nil {
				fe = append(fe, provider.FieldError{Field: field, Message: err.Error(), Value: l.Reason})
			}
			ids[i] = id
		case len(a.ReturnReasons) == 1 && a.ReturnReasons[0].ID.Valid:
			ids[i] = a.ReturnReasons[0].ID.N
		default:
			fe = append(fe, provider.FieldError{Field: field, Message: "is required: the account has several return reasons; known codes: " +
				strings.Join(a.KnownCodes(KindReturnReason), ", ")})
		}
	}
	if len(fe) > 0 {
		return nil, fe
	}
	return ids, nil
}

// checkReturnRequest checks what needs no settings.
func checkReturnRequest(req *model.ReturnRequest) provider.FieldErrors {
	var fe provider.FieldErrors
	if strings.TrimSpace(req.Reference) == "" {
		fe = append(fe, provider.FieldError{Field: "reference", Message: "is required: the order's reference"})
	}
	if s := strings.TrimSpace(req.ShipmentRef); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err != nil || n <= 0 {
			fe = append(fe, provider.FieldError{Field: "shipment_ref", Message: "must be Active Ants's shipment id, a whole number", Value: req.ShipmentRef})
		}
	}
	if len(req.Lines) == 0 {
		fe = append(fe, provider.FieldError{Field: "lines", Message: "at least one line is required"})
	}
	for i, l := range req.Lines {
		if strings.TrimSpace(l.SKU) == "" {
			fe = append(fe, provider.FieldError{Field: fmt.Sprintf("lines[%d].sku", i), Message: "is required"})
		}
		if _, ok := wholeUnits(l.Quantity); !ok {
			fe = append(fe, provider.FieldError{Field: fmt.Sprintf("lines[%d].quantity", i), Message: "must be a positive whole number", Value: l.Quantity})
		}
	}
	return fe
}

// RMABody builds the RMA of req from the order's shipments: the one
// ShipmentRef names, or else the first (lowest id) whose items hold every
// line's SKU with enough quantity. Each line takes the shipment's first
// item of its SKU.
func RMABody(req *model.ReturnRequest, found []FoundShipment, reasons []int64, subjectID int64) (*RMAAdd, error) {
	slices.SortFunc(found, func(a, b FoundShipment) int { return int(a.ID.N - b.ID.N) })
	fits := func(s FoundShipment) bool {
		for _, l := range req.Lines {
			have := 0.0
			for _, it := range s.ShipmentItems {
				if strings.EqualFold(it.SKU, l.SKU) {
					have += it.Quantity.F
				}
			}
			if have < l.Quantity {
				return false
			}
		}
		return true
	}
	var sh *FoundShipment
	for i := range found {
		s := found[i]
		if req.ShipmentRef != "" && s.ID.String() != strings.TrimSpace(req.ShipmentRef) {
			continue
		}
		if fits(s) {
			sh = &found[i]
			break
		}
	}
	if sh == nil {
		if req.ShipmentRef != "" {
			return nil, fmt.Errorf("%w: shipment %s of order %q does not hold the returned SKUs and quantities", provider.ErrRefused, req.ShipmentRef, req.Reference)
		}
		return nil, fmt.Errorf("%w: no shipment of order %q at Active Ants holds the returned SKUs and quantities", provider.ErrRefused, req.Reference)
	}
	rma := &RMAAdd{ShipmentID: sh.ID.N, Remark: req.Note}
	if subjectID > 0 {
		rma.ExternalReference = "shiphub-return-" + strconv.FormatInt(subjectID, 10)
	}
	for i, l := range req.Lines {
		q, _ := wholeUnits(l.Quantity)
		var item int64
		for _, it := range sh.ShipmentItems {
			if strings.EqualFold(it.SKU, l.SKU) {
				item = it.ShipmentItemID.N
				break
			}
		}
		rma.RMAItems = append(rma.RMAItems, RMAItem{ShipmentItemID: item, Quantity: q, ReturnReasonID: reasons[i]})
	}
	return rma, nil
}

// createReturn is return.create: find the shipment, add the RMA, fetch the
// label.
func (c *Connector) createReturn(ctx context.Context, cmd *model.Command) (*CommandResult, error) {
	req, err := decodePayload[model.ReturnRequest](cmd)
	if err != nil {
		return nil, err
	}
	if fe := checkReturnRequest(req); len(fe) > 0 {
		return nil, fe
	}
	a, err := c.settingsForSend(ctx)
	if err != nil {
		return nil, err
	}
	reasons, err := returnReasonIDs(a, req)
	if err != nil {
		return nil, err
	}
	ans, err := c.client.Do(ctx, OpShipmentSearch, nil, nil, map[string]string{"externalOrderNumber": req.Reference})
	var found []FoundShipment
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.NOK():
		// No shipment found.
	case err != nil:
		return nil, err
	default:
		if found, err = DecodeFoundShipments(ans.Envelope.Result); err != nil {
			return nil, err
		}
	}
	body, err := RMABody(req, found, reasons, cmd.SubjectID)
	if err != nil {
		return nil, err
	}
	ans, err = c.client.Do(ctx, OpRMAAdd, nil, nil, body)
	if err != nil {
		return nil, err
	}
	res := &CommandResult{Reference: req.Reference, Number: scalarResult(ans.Envelope.Result), RMA: body, Return: req, Answer: ans.Body}
	lab, err := c.client.Do(ctx, OpReturnLabel, []string{strconv.FormatInt(body.ShipmentID, 10)}, nil, nil)
	switch {
	case errors.As(err, &apiErr) && apiErr.NOK():
		res.LabelError = apiErr.Message
	case err != nil:
		// The RMA stands; a label that cannot be fetched now is noted, not
		// retried (a retry would add a second RMA).
		res.LabelError = err.Error()
	default:
		l, pdf, derr := DecodeReturnLabel(lab.Envelope.Result)
		switch {
		case derr != nil:
			res.LabelError = derr.Error()
		case len(pdf) == 0:
			res.LabelError = "active ants sent an empty return label"
		case !bytes.HasPrefix(pdf, []byte("%PDF")) && (l.MimeType == "" || l.MimeType == "application/pdf"):
			res.LabelError = "active ants's return label is not a PDF"
		default:
			res.Label = LabelDataURL(l.MimeType, pdf)
			res.LabelPackageNumber = l.PackageNumber
		}
	}
	return res, nil
}

// scalarResult is an envelope's result as text: a number or a string
// (the id of what was created); "" for null or anything else.
func scalarResult(r json.RawMessage) string {
	r = bytes.TrimSpace(r)
	var n json.Number
	if json.Unmarshal(r, &n) == nil {
		return n.String()
	}
	var s string
	if json.Unmarshal(r, &s) == nil {
		return strings.TrimSpace(s)
	}
	return ""
}
