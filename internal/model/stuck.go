package model

import (
	"encoding/json"
	"time"
)

// ShipmentStuck is the data of a shipment.stuck feed event: the shipment
// has stayed in Status, without any update, since StuckSince, for longer
// than the workspace allows for that status. It is added once per
// episode: a later update of the shipment ends the episode, and the
// shipment is stuck again only after another quiet stretch.
type ShipmentStuck struct {
	ShipmentID int64  `json:"shipment_id"`
	Status     Status `json:"status"`
	// StuckSince is the shipment's last update: nothing has been heard of
	// it since.
	StuckSince time.Time       `json:"stuck_since"`
	Shipment   json.RawMessage `json:"shipment"`
}
