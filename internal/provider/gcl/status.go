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

// byNumber maps the status number when the uid is missing or unknown. The
// document gives no table; the numbers follow the enum's order, which the
// example confirms for 1 (in_transit), 2 (out_for_delivery) and 6
// (delivered). This is the one place to correct if GCL says otherwise.
var byNumber = []string{
	0: "registered",
	1: "in_transit",
	2: "out_for_delivery",
	3: "failed_attempt",
	4: "exception",
	5: "available_for_pickup",
	6: "delivered",
	7: "shipped",
	8: "returned",
	9: "not_picked_up",
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
// code no table knows becomes unknown, never a guess.
func mapStatus(c *Checkpoint) (mapping, string) {
	uid := strings.ToLower(strings.TrimSpace(c.StatusUID))
	code := uid
	m, ok := byUID[uid]
	if uid == "" {
		// Only the number: read it through the enum's order.
		code = "status:" + strconv.Itoa(c.Status.n)
		if c.Status.valid && c.Status.n >= 0 && c.Status.n < len(byNumber) {
			m, ok = byUID[byNumber[c.Status.n]]
		}
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
