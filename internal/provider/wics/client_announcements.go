package wics

import (
	"context"
	"fmt"
	"net/http"
)

// Announcement is an announcement (expected inbound goods) as the list and
// get calls answer it (GET /api/announcement[/{identifier}]). The list
// answers it without Lines.
type Announcement struct {
	// Number is WICS's identifier of the announcement.
	Number              string `json:"number" wics:"required"`
	Reference           string `json:"reference"`
	AdditionalReference string `json:"additionalReference"`
	// PlannedDate is when the goods are expected (YYYY-MM-DD).
	PlannedDate Time   `json:"plannedDate" wics:"date"`
	Type        string `json:"type" wics:"code"`
	// WarehouseCode is the answers' key; the create example sends
	// "warehouse", which is read as well.
	WarehouseCode string             `json:"warehouseCode"`
	Warehouse     string             `json:"warehouse"`
	Door          string             `json:"door"`
	Supplier      int64              `json:"supplier"`
	Carrier       int64              `json:"carrier"`
	StockStatus   int64              `json:"stockStatus"`
	MetaFields    MetaFields         `json:"metaFields"`
	Lines         []AnnouncementLine `json:"lines"`
}

// AnnouncementLine is one expected item.
type AnnouncementLine struct {
	LineNumber       int64      `json:"lineNumber"`
	ItemCode         string     `json:"itemCode" wics:"required"`
	ItemDescription  string     `json:"itemDescription"`
	Unit             string     `json:"unit"`
	QuantityExpected int64      `json:"quantityExpected"`
	LotNumber        string     `json:"lotNumber"`
	BestBeforeDate   Time       `json:"bestBeforeDate" wics:"date"`
	MetaFields       MetaFields `json:"metaFields"`
}

// AnnouncementRequest is the body of POST and PUT /api/announcement, the
// document's create example field by field. Empty fields are left out, so
// an update changes only what it names.
type AnnouncementRequest struct {
	Reference           string `json:"reference,omitempty"`
	AdditionalReference string `json:"additionalReference,omitempty"`
	// PlannedDate is YYYY-MM-DD; required on create.
	PlannedDate string `json:"plannedDate,omitempty"`
	Type        string `json:"type,omitempty"`
	// Warehouse is sent under the example's key "warehouse" (the field
	// table says warehouseCode; the answers use that).
	Warehouse   string                    `json:"warehouse,omitempty"`
	Door        string                    `json:"door,omitempty"`
	Carrier     int64                     `json:"carrier,omitempty"`
	StockStatus int64                     `json:"stockStatus,omitempty"`
	Supplier    int64                     `json:"supplier,omitempty"`
	MetaFields  map[string]any            `json:"metaFields,omitempty"`
	Lines       []AnnouncementLineRequest `json:"lines,omitempty"`
}

// AnnouncementLineRequest is one line of an AnnouncementRequest.
type AnnouncementLineRequest struct {
	LineNumber       int64          `json:"lineNumber,omitempty"`
	ItemCode         string         `json:"itemCode"`
	ItemDescription  string         `json:"itemDescription,omitempty"`
	Unit             string         `json:"unit,omitempty"`
	QuantityExpected int64          `json:"quantityExpected"`
	LotNumber        string         `json:"lotNumber,omitempty"`
	BestBeforeDate   string         `json:"bestBeforeDate,omitempty"`
	MetaFields       map[string]any `json:"metaFields,omitempty"`
}

// ListAnnouncements lists the announcements the filter selects, every page.
func (c *Client) ListAnnouncements(ctx context.Context, f Filter) ([]Announcement, error) {
	return walkAll[Announcement](ctx, c, "/announcement", f)
}

// GetAnnouncement gets one announcement, with its lines, by WICS's number.
func (c *Client) GetAnnouncement(ctx context.Context, number string) (*Announcement, error) {
	return getOne[Announcement](ctx, c, "/announcement/"+pathID(number))
}

// CreateAnnouncement creates an announcement and returns its number.
func (c *Client) CreateAnnouncement(ctx context.Context, r AnnouncementRequest) (string, error) {
	ans, err := c.Do(ctx, http.MethodPost, "/announcement", nil, r, nil)
	if err != nil {
		return "", err
	}
	id, err := identifierOf(ans.Data)
	if err != nil {
		return "", fmt.Errorf("reading the number of wics announcement %q: %w", r.Reference, err)
	}
	return id, nil
}

// UpdateAnnouncement changes an announcement, by WICS's number.
func (c *Client) UpdateAnnouncement(ctx context.Context, number string, r AnnouncementRequest) error {
	_, err := c.Do(ctx, http.MethodPut, "/announcement/"+pathID(number), nil, r, nil)
	return err
}

// DeleteAnnouncement deletes (cancels) an announcement, by WICS's number.
func (c *Client) DeleteAnnouncement(ctx context.Context, number string) error {
	_, err := c.Do(ctx, http.MethodDelete, "/announcement/"+pathID(number), nil, nil, nil)
	return err
}
