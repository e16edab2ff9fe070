package gcl

import (
	"strconv"
	"strings"

	"github.com/shiphub/shiphub/internal/model"
)

// mapping is the canonical meaning of one GCL status.
type mapping struct {
	status         model.Status
	substatus      string
	actionRequired bool
}

// byUID maps the document's StatusEnum (translated to Dutch in the copy we
// have: geregistreerd, onderweg, wordt bezorgd, mislukte poging,
// verzendingsuitzondering, beschikbaar voor afhalen, geleverd, verzonden,
// geretourneerd, niet opgehaald) by its English uid, as the example's
// in_transit, out_for_delivery and delivered show. A few spellings the
// enum's names suggest are accepted as well.
var byUID = map[string]mapping{
	"registered":            {status: model.StatusInfoReceived},
	"info_received":         {status: model.StatusInfoReceived},
	"in_transit":            {status: model.StatusInTransit},
	"shipped":               {status: model.StatusInTransit},
	"out_for_delivery":      {status: model.StatusOutForDelivery},
	"failed_attempt":        {status: model.StatusFailedAttempt},
	"exception":             {status: model.StatusException, actionRequired: true},
	"shipment_exception":    {status: model.StatusException, actionRequired: true},
	"available_for_pickup":  {status: model.StatusAvailableForPickup},
	"delivered":             {status: model.StatusDelivered},
	"returned":              {status: model.StatusReturned},
	"not_picked_up":         {status: model.StatusException, substatus: SubNotPickedUp, actionRequired: true},
	"returned_to_sender":    {status: model.StatusReturned},
	"ready_for_pickup":      {status: model.StatusAvailableForPickup},
	"available_for_pick_up": {status: model.StatusAvailableForPickup},
}

// SubNotPickedUp is the substatus of a parcel the recipient did not collect
// from the pickup point: it will go back to the sender unless someone acts.
const SubNotPickedUp = "not_picked_up"

// enumValue is one row of the document's StatusEnum.
type enumValue struct {
	// value and description are the row as the document (a Dutch
	// translation) prints it.
	value, description string
	// uid is the statusUid the API sends for it.
	uid string
}

// statusEnum is the document's StatusEnum, row by row in its order. A
// checkpoint's status number is the row's position: the example's pairs
// (1 in_transit, 2 out_for_delivery, 6 delivered) match their positions, and
// TestStatusEnumFollowsTheDocument checks the table against the document
// (testdata/gcl-tracking.txt), so the number table is the document's. The
// translation renders both in_transit and out_for_delivery as "onderweg";
// their descriptions ("onderweg", "wordt bezorgd") tell them apart.
var statusEnum = []enumValue{
	{"geregistreerd", "Geeft de geregistreerde status weer", "registered"},
	{"onderweg", `Geeft de status "onderweg" aan`, "in_transit"},
	{"Onderweg", `Geeft de status "wordt bezorgd" weer`, "out_for_delivery"},
	{"mislukte poging", "Geeft de status van een mislukte poging weer", "failed_attempt"},
	{"verzendingsuitzondering", "Geeft de status van een verzenduitzondering weer", "exception"},
	{"beschikbaar voor afhalen", `Geeft de status "beschikbaar voor afhalen" aan`, "available_for_pickup"},
	{"geleverd", `Geeft de status "geleverd" aan`, "delivered"},
	{"verzonden", "Geeft de verzonden status weer", "shipped"},
	{"geretourneerd", `Geeft de status "geretourneerd" weer`, "returned"},
	{"niet opgehaald", `Geeft de status "niet opgehaald" aan`, "not_picked_up"},
}

// substatusWords refine a status from the checkpoint's message, where the
// carrier says why: lower-case fragments, first match wins.
var substatusWords = []struct {
	words     []string
	substatus string
}{
	{[]string{"customs"}, model.SubCustoms},
	{[]string{"not home", "no one", "nobody", "recipient absent"}, model.SubNotHome},
	{[]string{"closed"}, model.SubClosed},
	{[]string{"refused"}, model.SubRefused},
	{[]string{"address"}, model.SubAddressIssue},
	{[]string{"damage"}, model.SubDamaged},
	{[]string{"delay"}, model.SubDelayed},
	{[]string{"neighbour", "neighbor"}, model.SubDeliveredNeighbour},
	{[]string{"sort facility", "sorting", "hub"}, model.SubSorting},
	{[]string{"lost"}, model.SubLost},
}

// mapStatus gives the canonical status of a checkpoint, and the raw code it
// is known by: the uid, or "status:<n>" when only the number is given. A
// uid the table does not know falls back to the status number, read through
// the document's StatusEnum; only when neither is known does the checkpoint
// become unknown, never a guess.
func mapStatus(c *Checkpoint) (mapping, string) {
	uid := strings.ToLower(strings.TrimSpace(c.StatusUID))
	code := uid
	if uid == "" {
		code = "status:" + strconv.Itoa(c.Status.n)
	}
	m, ok := byUID[uid]
	if !ok && c.Status.valid && c.Status.n >= 0 && c.Status.n < len(statusEnum) {
		m, ok = byUID[statusEnum[c.Status.n].uid]
	}
	if !ok {
		return mapping{status: model.StatusUnknown}, code
	}
	if m.substatus == "" {
		msg := strings.ToLower(c.Message + " " + c.Description)
		for _, sw := range substatusWords {
			if sw.substatus == model.SubDeliveredNeighbour && m.status != model.StatusDelivered {
				continue
			}
			if sw.substatus == model.SubSorting && m.status != model.StatusInTransit {
				continue
			}
			for _, w := range sw.words {
				if strings.Contains(msg, w) {
					m.substatus = sw.substatus
					break
				}
			}
			if m.substatus != "" {
				break
			}
		}
	}
	return m, code
}
