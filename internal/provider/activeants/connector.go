package activeants

import (
	"context"
	"fmt"
	"sync"

	"github.com/shiphub/shiphub/internal/provider"
)

// Info registers the provider under the name used in shiphub.yaml.
var Info = provider.Info{Name: "activeants", New: New}

// Inbox topics of the connection's messages: one per kind of pull.
const (
	// TopicShipment is one shipment of GET /v2/shipment/get, verbatim.
	TopicShipment = "shipment"
	// TopicStockMutation is one stock mutation of GET
	// /v2/stockmutation/get, verbatim.
	TopicStockMutation = "stockmutation"
	// TopicStock is a whole answer of GET /stock/bulk/{all}.
	TopicStock = "stock"
	// TopicTrackTrace is a whole answer of the track-trace endpoint.
	TopicTrackTrace = "tracktrace"
)

// Inbox Meta keys.
const (
	// MetaOrderStatus is the order status a shipment message states for
	// its order, worked out by the poll service when it committed the
	// shipment (see the package doc): shipped or partially_shipped.
	MetaOrderStatus = "order_status"
	// MetaBulk is "true" on the answer of a full stock sync.
	MetaBulk = "bulk"
)

// Connector is one configured Active Ants connection.
type Connector struct {
	workspace, id string
	settings      Settings
	client        *Client

	mu    sync.Mutex
	state State
	cache *SettingsCache
	// ownState is set once UseState was called from outside: the poll
	// service then keeps that State instead of the store's cursors.
	ownState bool
}

var (
	_ provider.Connector     = (*Connector)(nil)
	_ provider.Puller        = (*Connector)(nil)
	_ provider.HealthChecker = (*Connector)(nil)
)

// New builds a connector from a connection's settings, validating them.
func New(c provider.Connection) (provider.Connector, error) {
	var s Settings
	if err := c.Decode(&s); err != nil {
		return nil, fmt.Errorf("decoding activeants settings: %w", err)
	}
	conn, err := NewWithSettings(s)
	if err != nil {
		return nil, err
	}
	conn.workspace, conn.id = c.Workspace, c.ID
	return conn, nil
}

// NewWithSettings builds a connector from settings that are already
// decoded; tests and tools use it. Defaults are applied before validation.
func NewWithSettings(s Settings) (*Connector, error) {
	s.SetDefaults()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("activeants settings: %w", err)
	}
	c := &Connector{
		settings: s,
		client:   &Client{BaseURL: s.BaseURL, Username: s.Username, Password: s.Password, LoginBackoff: s.SyncInterval},
	}
	c.useState(NewMemState())
	return c, nil
}

// Settings returns the connection's settings, defaults applied.
func (c *Connector) Settings() Settings { return c.settings }

// Client is the connection's ShopApi client: one per connector, so one
// token per connection and hub instance.
func (c *Connector) Client() *Client { return c.client }

// UseState makes the connector keep its state in s instead of memory or
// the store's sync cursors (which NewService chooses when the store has
// them). Call it before NewService.
func (c *Connector) UseState(s State) {
	c.useState(s)
	c.mu.Lock()
	c.ownState = true
	c.mu.Unlock()
}

func (c *Connector) useState(s State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state = s
	c.cache = &SettingsCache{Client: c.client, State: s, Refresh: c.settings.Real(c.settings.SettingsRefresh)}
}

func (c *Connector) stateAndCache() (State, *SettingsCache) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state, c.cache
}

// AccountSettings returns the account's settings from the cache,
// refreshed per settings_refresh (see SettingsCache.Get).
func (c *Connector) AccountSettings(ctx context.Context) (*AccountSettings, error) {
	_, cache := c.stateAndCache()
	return cache.Get(ctx)
}

// CheckHealth checks the login: it gets a token (the cached one while it
// is valid). A refused login is a *LoginError, whose text (Active Ants's
// error and error_description) GET /api/v1/connections shows; it is
// remembered for the client's LoginBackoff, so health checks do not ask
// again and again. The limiter is not used: the document states no rate
// limit for the ShopApi.
func (c *Connector) CheckHealth(ctx context.Context, _ provider.Limiter) error {
	_, err := c.client.Token(ctx, "")
	return err
}
