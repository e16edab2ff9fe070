package wicssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// state is the warehouse the server simulates: its catalogue and stock, its
// orders, announcements, receipts and shipments, and the logins' webhook
// subscriptions. Server.mu guards it.
type state struct {
	customer int

	nextOrder, nextShipment, nextAnnouncement, nextReceipt, nextSub, nextEAN, nextSerial int

	items  []*simItem
	itemBy map[string]*simItem
	eanBy  map[string]*simItem

	orders  []*simOrder
	orderBy map[string]*simOrder // by number

	shipments []*simShipment
	shipBy    map[string]*simShipment

	announcements []*simAnnouncement
	annBy         map[string]*simAnnouncement

	receipts  []*simReceipt
	receiptBy map[string]*simReceipt

	subs []*subscription

	emitted []Emitted
}

// seedItems is the catalogue a server starts with: the document's own
// items (its order, item, stock and announcement examples) and the
// generated world's catalogue, with EANs where the document gives them
// (EAN 1274 is item 16082, VAR006 has EAN 00000000000918).
var seedItems = []struct {
	code, description, ean string
	serials, lots          bool
}{
	{code: "16080", description: "Jack Kabel 16080", ean: "8710000160807"},
	{code: "16081", description: "UTO Kabel", ean: "8710000160814"},
	{code: "16082", description: "Jack kabel 1m", ean: "1274"},
	{code: "16084", description: "Speaker kabel", ean: "8710000160845"},
	{code: "190130", description: "XLR Kabel", ean: "8710001901300", serials: true},
	{code: "190140", description: "DIN Kabel", ean: "8710001901409", serials: true},
	{code: "PEN001", description: "Pen blauw 001", ean: "8710000000017"},
	{code: "A001", description: "Money Box Elephant", ean: "8710000000024"},
	{code: "WTI-030", description: "TESTING", ean: "8710000000031"},
	{code: "VAR006", description: "Variant 006", ean: "00000000000918"},
	{code: "001-0203", description: "Honeycomb", ean: "8710000002035"},
	{code: "CS1001", description: "Pillow one size", ean: "8710000010016", lots: true},
}

func newState(customer, initial int) *state {
	st := &state{
		customer: customer,
		itemBy:   map[string]*simItem{}, eanBy: map[string]*simItem{},
		orderBy: map[string]*simOrder{}, shipBy: map[string]*simShipment{},
		annBy: map[string]*simAnnouncement{}, receiptBy: map[string]*simReceipt{},
	}
	for i, si := range seedItems {
		it := &simItem{body: itemBody{
			Code: si.code, Description: si.description, InternalDescription: si.description,
			ItemGroup: "ALG", DefaultUnit: "ST", StatusCode: "30", Barcode: si.ean,
		}, serials: si.serials, lots: si.lots}
		if si.serials {
			it.body.Traceability = "serialnumber"
		} else if si.lots {
			it.body.Traceability = "lot"
		}
		st.addItem(it)
		d := &stockDetail{warehouse: "WHS", location: fmt.Sprintf("AA%02dA%d", i+1, 1+i%4), quantity: initial, eansscc: st.ean()}
		if si.lots {
			d.lot, d.bestBefore = "LOT"+strconv.Itoa(6851990+i), "2028-06-01"
		}
		if si.serials {
			for range initial {
				d.serials = append(d.serials, st.serial(si.code))
			}
		}
		it.details = append(it.details, d)
		it.stock("WHS").physical = initial
		it.stock("WHS").salable = initial
	}
	return st
}

func (st *state) ean() string {
	st.nextEAN++
	return fmt.Sprintf("WICS%d", 5000+st.nextEAN)
}

func (st *state) serial(code string) string {
	st.nextSerial++
	return fmt.Sprintf("SN%s%06d", strings.ToUpper(strings.ReplaceAll(code, "-", "")), st.nextSerial)
}

// Emitted is one webhook message the warehouse produced, whether or not a
// subscription received it.
type Emitted struct {
	Message
	// At is the simulated time it was produced.
	At time.Time
	// Dropped is set when a DropRule swallowed it: no subscription got it.
	Dropped bool
	// Subscriptions is how many subscriptions it was queued for.
	Subscriptions int
}

// encodeBody writes a webhook body as the document does: & < > kept as they
// are, no trailing newline.
func encodeBody(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("wicssim: encoding a webhook: %v", err)) // plain structs always encode
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// emit produces one webhook message and queues it for every subscription of
// its topic, unless a DropRule takes it. Call with s.mu held.
func (s *Server) emit(topic, key string, v any) {
	e := Emitted{Message: Message{Topic: topic, Key: key, Body: encodeBody(v)}, At: s.clock.Now()}
	for _, d := range s.drops {
		if d.Times > 0 && (d.Topic == "" || d.Topic == topic) && (d.Key == "" || d.Key == key) {
			d.Times--
			e.Dropped = true
			break
		}
	}
	if !e.Dropped {
		for _, sub := range s.st.subs {
			if sub.topic == topic {
				sub.outstanding.Add(1)
				sub.q.push(e.Message)
				e.Subscriptions++
			}
		}
	}
	s.st.emitted = append(s.st.emitted, e)
	if n := len(s.st.emitted); n > s.cfg.KeepEmitted {
		s.st.emitted = slices.Delete(s.st.emitted, 0, n-s.cfg.KeepEmitted/2)
	}
}

// flexNumber is a number the document writes sometimes as a number and
// sometimes as a string ("weight": "3.75"); it keeps the text.
type flexNumber string

func (f *flexNumber) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if _, err := strconv.ParseFloat(s, 64); s != "" && err != nil {
			return &json.UnmarshalTypeError{Value: "string " + strconv.Quote(s), Type: reflect.TypeFor[float64]()}
		}
		*f = flexNumber(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexNumber(n)
	return nil
}

// MarshalJSON writes the number as a JSON number, null when empty.
func (f flexNumber) MarshalJSON() ([]byte, error) {
	if f == "" {
		return []byte("null"), nil
	}
	return []byte(f), nil
}

// present is a field the document marks required that may still be empty
// (an announcement line's lotNumber): it records whether the key was sent.
type present struct {
	set   bool
	value string
}

func (p *present) UnmarshalJSON(b []byte) error {
	p.set = true
	if string(b) == "null" {
		return nil
	}
	return json.Unmarshal(b, &p.value)
}

// MarshalJSON writes the value, null when it was not sent or null.
func (p present) MarshalJSON() ([]byte, error) {
	if !p.set {
		return []byte("null"), nil
	}
	return json.Marshal(p.value)
}

// validDate reports whether s is YYYY-MM-DD.
func validDate(s string) bool {
	_, err := time.Parse(layoutDate, s)
	return err == nil
}

// parseDate reads YYYY-MM-DD as midnight in Europe/Amsterdam.
func parseDate(s string) (time.Time, error) {
	return time.ParseInLocation(layoutDate, s, amsterdam)
}
