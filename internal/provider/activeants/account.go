package activeants

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// AccountSettings is the result of GET /settings/get: the ids of the
// account's configuration entities. They differ between the test and the
// production host (activeants-public-clients.md, "Hosts"), so canonical
// requests name them by code and the connector resolves the ids.
type AccountSettings struct {
	MainShippingMethods   []MainShippingMethod `json:"mainShippingMethods"`
	ShippingMethods       []Setting            `json:"shippingMethods"`
	ReturnShippingMethods []Setting            `json:"returnShippingMethods"`
	OrderTypes            []Setting            `json:"orderTypes"`
	Countries             []Setting            `json:"countries"`
	Languages             []Setting            `json:"languages"`
	ReturnReasons         []Setting            `json:"returnReasons"`
	PaymentMethods        []Setting            `json:"paymentMethods"`
}

// Setting is one configuration entity: {id, name, code}.
type Setting struct {
	ID   Int    `json:"id"`
	Name string `json:"name"`
	Code string `json:"code"`
}

// MainShippingMethod is a shipping method of the v3 API with the
// warehouses' v2 shipping method ids.
type MainShippingMethod struct {
	ID              Int    `json:"id"`
	Name            string `json:"name"`
	Code            string `json:"code"`
	ShippingMethods []struct {
		ID        Int    `json:"id"`
		Warehouse string `json:"warehouse"`
	} `json:"shippingMethods"`
}

// DecodeAccountSettings reads the result of GET /settings/get.
func DecodeAccountSettings(result json.RawMessage) (*AccountSettings, error) {
	var a AccountSettings
	if err := strictObject(result, &a); err != nil {
		return nil, fmt.Errorf("%w: settings: %v", provider.ErrBadInput, err)
	}
	return &a, nil
}

// Kinds of configuration entity a code is resolved in.
const (
	KindShippingMethod       = "shipping method"
	KindMainShippingMethod   = "main shipping method"
	KindReturnShippingMethod = "return shipping method"
	KindOrderType            = "order type"
	KindLanguage             = "language"
	KindCountry              = "country"
	KindReturnReason         = "return reason"
	KindPaymentMethod        = "payment method"
)

// ErrUnknownCode means a code names no entity of the account's settings.
var ErrUnknownCode = errors.New("unknown code")

// UnknownCodeError is a code the account's settings do not know, with the
// codes they do know (for the merchant's 422).
type UnknownCodeError struct {
	Kind, Code string
	Known      []string
}

func (e *UnknownCodeError) Error() string {
	return fmt.Sprintf("unknown %s code %q; known codes: %s", e.Kind, e.Code, strings.Join(e.Known, ", "))
}

// Is makes errors.Is(err, ErrUnknownCode) hold.
func (e *UnknownCodeError) Is(target error) bool { return target == ErrUnknownCode }

func (a *AccountSettings) list(kind string) []Setting {
	switch kind {
	case KindShippingMethod:
		return a.ShippingMethods
	case KindMainShippingMethod:
		out := make([]Setting, len(a.MainShippingMethods))
		for i, m := range a.MainShippingMethods {
			out[i] = Setting{ID: m.ID, Name: m.Name, Code: m.Code}
		}
		return out
	case KindReturnShippingMethod:
		return a.ReturnShippingMethods
	case KindOrderType:
		return a.OrderTypes
	case KindLanguage:
		return a.Languages
	case KindCountry:
		return a.Countries
	case KindReturnReason:
		return a.ReturnReasons
	case KindPaymentMethod:
		return a.PaymentMethods
	}
	return nil
}

// KnownCodes lists the codes of a kind, sorted, each once.
func (a *AccountSettings) KnownCodes(kind string) []string {
	var out []string
	for _, s := range a.list(kind) {
		if s.Code != "" && !slices.Contains(out, s.Code) {
			out = append(out, s.Code)
		}
	}
	slices.Sort(out)
	return out
}

// Resolve returns the id of the entity of kind with this code: an exact
// match first, else one that differs only in case. An unknown code is an
// *UnknownCodeError listing the known codes.
func (a *AccountSettings) Resolve(kind, code string) (int64, error) {
	code = strings.TrimSpace(code)
	entries := a.list(kind)
	for _, s := range entries {
		if s.Code == code && s.ID.Valid {
			return s.ID.N, nil
		}
	}
	for _, s := range entries {
		if strings.EqualFold(s.Code, code) && s.ID.Valid {
			return s.ID.N, nil
		}
	}
	return 0, &UnknownCodeError{Kind: kind, Code: code, Known: a.KnownCodes(kind)}
}

// ShippingMethodID resolves a v2 shippingMethodId. The document calls
// shippingMethods deprecated but still required by the v2 endpoints; a
// code only mainShippingMethods knows resolves to its first warehouse's
// v2 id.
func (a *AccountSettings) ShippingMethodID(code string) (int64, error) {
	id, err := a.Resolve(KindShippingMethod, code)
	if err == nil {
		return id, nil
	}
	for _, m := range a.MainShippingMethods {
		if strings.EqualFold(m.Code, strings.TrimSpace(code)) && len(m.ShippingMethods) > 0 && m.ShippingMethods[0].ID.Valid {
			return m.ShippingMethods[0].ID.N, nil
		}
	}
	var uce *UnknownCodeError
	if errors.As(err, &uce) {
		for _, c := range a.KnownCodes(KindMainShippingMethod) {
			if !slices.Contains(uce.Known, c) {
				uce.Known = append(uce.Known, c)
			}
		}
		slices.Sort(uce.Known)
	}
	return 0, err
}

// OrderIDs are the ids an order.add needs, resolved from a canonical
// order's codes.
type OrderIDs struct {
	// ShippingMethodID is 0 when the order names no shipping method (the
	// account's default applies).
	ShippingMethodID int64
	OrderTypeID      int64
	LanguageID       int64
	// PaymentMethodID is always 1: "Since we do not handle payments
	// ourselves anymore, this should always have value 1".
	PaymentMethodID int64
}

// ResolveOrder resolves an order request's codes to the account's ids, or
// returns provider.FieldErrors naming each field whose code is unknown,
// with the known codes (the API's 422; nothing is queued). Rules where the
// request says nothing:
//
//   - shipping_method empty: no shippingMethodId is sent (the account's
//     default shipping method applies).
//   - order_type empty: the account's only order type, if it has exactly
//     one; otherwise the field is required.
//   - language empty: the language whose code is the delivery country
//     (NL, DE, …), else EN, else the account's only language; otherwise
//     the field is required.
//   - delivery_address.country (and invoice_address.country when given)
//     must be one of the account's countries.
func ResolveOrder(a *AccountSettings, req *model.OrderRequest) (OrderIDs, error) {
	ids := OrderIDs{PaymentMethodID: 1}
	var fe provider.FieldErrors
	add := func(field, kind string, value string, err error) {
		var uce *UnknownCodeError
		msg := err.Error()
		if errors.As(err, &uce) {
			msg = fmt.Sprintf("unknown %s code %q; known codes: %s", kind, uce.Code, strings.Join(uce.Known, ", "))
		}
		fe = append(fe, provider.FieldError{Field: field, Message: msg, Value: value})
	}
	if req.ShippingMethod != "" {
		id, err := a.ShippingMethodID(req.ShippingMethod)
		if err != nil {
			add("shipping_method", KindShippingMethod, req.ShippingMethod, err)
		}
		ids.ShippingMethodID = id
	}
	switch {
	case req.OrderType != "":
		id, err := a.Resolve(KindOrderType, req.OrderType)
		if err != nil {
			add("order_type", KindOrderType, req.OrderType, err)
		}
		ids.OrderTypeID = id
	case len(a.OrderTypes) == 1 && a.OrderTypes[0].ID.Valid:
		ids.OrderTypeID = a.OrderTypes[0].ID.N
	default:
		fe = append(fe, provider.FieldError{Field: "order_type", Message: "is required: the account has several order types; known codes: " +
			strings.Join(a.KnownCodes(KindOrderType), ", ")})
	}
	country := strings.ToUpper(strings.TrimSpace(req.DeliveryAddress.Country))
	if req.Language != "" {
		id, err := a.Resolve(KindLanguage, req.Language)
		if err != nil {
			add("language", KindLanguage, req.Language, err)
		}
		ids.LanguageID = id
	} else {
		for _, code := range []string{country, "EN"} {
			if id, err := a.Resolve(KindLanguage, code); code != "" && err == nil {
				ids.LanguageID = id
				break
			}
		}
		if ids.LanguageID == 0 {
			if len(a.Languages) == 1 && a.Languages[0].ID.Valid {
				ids.LanguageID = a.Languages[0].ID.N
			} else {
				fe = append(fe, provider.FieldError{Field: "language", Message: "is required: no language matches the delivery country; known codes: " +
					strings.Join(a.KnownCodes(KindLanguage), ", ")})
			}
		}
	}
	if _, err := a.Resolve(KindCountry, country); err != nil {
		add("delivery_address.country", KindCountry, req.DeliveryAddress.Country, err)
	}
	if req.InvoiceAddress != nil && req.InvoiceAddress.Country != "" {
		if _, err := a.Resolve(KindCountry, req.InvoiceAddress.Country); err != nil {
			add("invoice_address.country", KindCountry, req.InvoiceAddress.Country, err)
		}
	}
	if len(fe) > 0 {
		return ids, fe
	}
	return ids, nil
}

// SettingsCache keeps the account's settings, fetched at GET
// /settings/get and refreshed once they are older than Refresh (the
// document: "cache this data locally and refresh daily"). The last answer
// is kept in State, so a restart does not fetch again.
type SettingsCache struct {
	Client  *Client
	State   State
	Refresh time.Duration
	Now     func() time.Time

	mu        sync.Mutex
	cur       *AccountSettings
	fetchedAt time.Time
}

type cachedSettings struct {
	FetchedAt time.Time       `json:"fetched_at"`
	Result    json.RawMessage `json:"result"`
}

func (c *SettingsCache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Get returns the account's settings, fetching them when the cache is
// empty or older than Refresh. When a refresh fails and older settings
// are at hand, it returns those with the error: ids rarely change, and a
// caller may prefer them to nothing.
func (c *SettingsCache) Get(ctx context.Context) (*AccountSettings, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.cur == nil && c.State != nil {
		if v, ok, err := c.State.Get(ctx, StateSettings); err == nil && ok {
			var cs cachedSettings
			if json.Unmarshal([]byte(v), &cs) == nil {
				if a, err := DecodeAccountSettings(cs.Result); err == nil {
					c.cur, c.fetchedAt = a, cs.FetchedAt
				}
			}
		}
	}
	if c.cur != nil && now.Sub(c.fetchedAt) < c.Refresh {
		return c.cur, nil
	}
	ans, err := c.Client.Do(ctx, OpSettings, nil, nil, nil)
	if err == nil {
		var a *AccountSettings
		if a, err = DecodeAccountSettings(ans.Envelope.Result); err == nil {
			c.cur, c.fetchedAt = a, now
			if c.State != nil {
				raw, _ := json.Marshal(cachedSettings{FetchedAt: now, Result: ans.Envelope.Result})
				if serr := c.State.Set(ctx, StateSettings, string(raw)); serr != nil {
					return a, fmt.Errorf("keeping the active ants settings: %w", serr)
				}
			}
			return a, nil
		}
	}
	err = fmt.Errorf("refreshing the active ants settings: %w", err)
	return c.cur, err
}
