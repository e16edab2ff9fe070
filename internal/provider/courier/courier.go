// Package courier connects shiphub to the Belgian courier whose status feed
// is described in courier-status-feed.txt: it pushes one status update per
// request, as a URL/GET query string or a URL/POST JSON body (and later as
// JSON files over FTP), with Dutch status codes, labels in three languages,
// local times without an offset and a free-text scan comment.
//
// The package is the only place that knows that wire format. Its status
// table (statuses.tsv) maps every code of the document onto the canonical
// taxonomy; where the document lists a code more than once, the message's
// labels pick the row, and a terminal status is never guessed. A code the
// table does not know keeps its raw code and takes the meaning of its group
// (PROCESSING, DELIVERED, …), or becomes canonical unknown without one.
//
// The courier does not retry (it e-mails the merchant about statuses that
// did not arrive), so the connector says so (provider.Retrier) and the
// intake counts and alerts every error it answers.
package courier

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
	_ "time/tzdata" // the courier's timezone must load on hosts without zoneinfo

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// Info registers the courier provider under the name "courier".
var Info = provider.Info{Name: "courier", New: New}

// DefaultTimezone is where the courier's clocks are: it is Belgian.
const DefaultTimezone = "Europe/Brussels"

// APIKeyHeader is the header the courier sends the configured key in.
const APIKeyHeader = "X-API-KEY"

// Settings are a courier connection's own configuration keys.
type Settings struct {
	// InboundAPIKey, when set, must arrive in the X-API-KEY header of every
	// push; the courier's administration team configures the same key on
	// their side. Empty accepts pushes without a key (the document makes the
	// key optional), which is only wise on a private network.
	InboundAPIKey string `yaml:"inbound_api_key"`
	// Timezone is the IANA zone the courier's statustime values are local
	// time of; they carry no offset. Default Europe/Brussels.
	Timezone string `yaml:"timezone"`
	// FTPUser and FTPPassword are the credentials the courier logs in to
	// shiphub's FTP server with to upload FTP/JSON files; the FTP intake
	// routes an upload to the connection whose ftp_user logged in.
	FTPUser     string `yaml:"ftp_user"`
	FTPPassword string `yaml:"ftp_password"`
	// FTPPoll, when set, is an FTP server the merchant already runs that the
	// courier uploads to; shiphub polls it for files.
	FTPPoll *provider.FTPRemote `yaml:"ftp_poll"`
}

// SetDefaults fills in the settings that have a default.
func (s *Settings) SetDefaults() {
	if strings.TrimSpace(s.Timezone) == "" {
		s.Timezone = DefaultTimezone
	}
	if s.FTPPoll != nil {
		s.FTPPoll.SetDefaults()
	}
}

// Validate checks the settings. Its errors name the offending key, so the
// configuration loader can prefix them with the connection's position.
func (s *Settings) Validate() error {
	var errs []error
	if _, err := loadLocation(s.Timezone); err != nil {
		errs = append(errs, err)
	}
	if s.FTPUser != "" && s.FTPPassword == "" {
		errs = append(errs, errors.New("ftp_password: is required when ftp_user is set"))
	}
	if s.FTPUser == "" && s.FTPPassword != "" {
		errs = append(errs, errors.New("ftp_user: is required when ftp_password is set"))
	}
	if s.FTPPoll != nil {
		errs = append(errs, s.FTPPoll.Validate())
	}
	return errors.Join(errs...)
}

// loadLocation loads the timezone setting with the shared loader, which
// refuses "Local": the host's zone would make normalisation depend on where
// the hub runs, and a reprocess on another host would rewrite the past.
func loadLocation(name string) (*time.Location, error) {
	if name == "" {
		return nil, errors.New("timezone: is required")
	}
	loc, err := provider.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("timezone: %w", err)
	}
	return loc, nil
}

// Connector is one configured courier connection. It is safe for concurrent
// use: it holds only its immutable settings.
type Connector struct {
	settings Settings
	loc      *time.Location
	key      provider.Secret // of settings.InboundAPIKey
}

var (
	_ provider.Connector       = (*Connector)(nil)
	_ provider.WebhookReceiver = (*Connector)(nil)
	_ provider.FileReceiver    = (*Connector)(nil)
	_ provider.FilePoller      = (*Connector)(nil)
	_ provider.Retrier         = (*Connector)(nil)
	_ provider.FTPLogin        = (*Connector)(nil)
)

// ProviderRetries is false: the courier sends each status once. When the
// hub cannot take it, the courier e-mails the merchant (if it has an
// address) and moves on, so the hub counts and alerts every such failure;
// the status must be re-imported (its FTP file, or the POST again).
func (c *Connector) ProviderRetries() bool { return false }

// New builds a courier connector from a connection's settings, applying
// defaults and validating them.
func New(c provider.Connection) (provider.Connector, error) {
	var s Settings
	if c.Decode != nil {
		if err := c.Decode(&s); err != nil {
			return nil, fmt.Errorf("decoding courier settings: %w", err)
		}
	}
	return NewConnector(s)
}

// NewConnector builds a connector from settings directly, for tests and
// tools that have no configuration file.
func NewConnector(s Settings) (*Connector, error) {
	s.SetDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	loc, err := loadLocation(s.Timezone)
	if err != nil {
		return nil, err
	}
	return &Connector{settings: s, loc: loc, key: provider.NewSecret(s.InboundAPIKey)}, nil
}

// Settings returns the connection's settings, with defaults applied. The FTP
// intake uses it to find the connection of an FTP login.
func (c *Connector) Settings() Settings { return c.settings }

// Location returns the time zone statustime values are read in.
func (c *Connector) Location() *time.Location { return c.loc }

// Authenticate checks the X-API-KEY header against inbound_api_key in
// constant time. Without a configured key every request passes.
func (c *Connector) Authenticate(r *http.Request) error {
	if c.settings.InboundAPIKey == "" {
		return nil
	}
	got := r.Header.Get(APIKeyHeader)
	if got == "" || !c.key.Matches(got) {
		return fmt.Errorf("courier %s header: %w", APIKeyHeader, provider.ErrUnauthorized)
	}
	return nil
}

// Accept validates one push and returns the raw message to commit. GET
// carries the update in its query string; POST in a JSON body, or, being
// liberal, a form body or (with an empty body) the query string. The stored
// body is exactly what the courier sent, and the dedup key is the same for a
// retry and for the same update through another channel.
func (c *Connector) Accept(r *http.Request, topic string, body []byte) (provider.Inbound, error) {
	if topic != "" {
		return provider.Inbound{}, fmt.Errorf("%w: the courier pushes to one URL, not to topic %q", provider.ErrBadInput, topic)
	}
	var (
		msg         *Message
		raw         []byte
		contentType string
		err         error
	)
	switch r.Method {
	case http.MethodGet:
		raw, contentType = []byte(r.URL.RawQuery), ContentTypeForm
		msg, err = DecodeQuery(r.URL.RawQuery)
	case http.MethodPost:
		ct := r.Header.Get("Content-Type")
		switch {
		case len(strings.TrimSpace(string(body))) == 0 && r.URL.RawQuery != "":
			raw, contentType = []byte(r.URL.RawQuery), ContentTypeForm
			msg, err = DecodeQuery(r.URL.RawQuery)
		case isJSON(ct, body):
			raw, contentType = body, ContentTypeJSON
			msg, err = DecodeJSON(body)
		case isForm(ct):
			raw, contentType = body, ContentTypeForm
			msg, err = DecodeQuery(string(body))
		default:
			mt, _, _ := mime.ParseMediaType(ct)
			return provider.Inbound{}, fmt.Errorf("%w: the courier posts JSON or a form, not %q", provider.ErrUnsupportedMedia, mt)
		}
	default:
		return provider.Inbound{}, fmt.Errorf("%w: the courier pushes with GET or POST, not %s", provider.ErrMethodNotAllowed, r.Method)
	}
	if err != nil {
		return provider.Inbound{}, err
	}
	return provider.Inbound{
		DedupKey:    DedupKey(msg),
		ContentType: contentType,
		Body:        append([]byte(nil), raw...),
		Meta:        map[string]string{"method": r.Method},
	}, nil
}

// DedupKey is the inbox key of an update (provider.TimeLedKey): its
// statustime, when it is one (YYYYMMDDhhmmss), then 128 bits of the SHA-256
// of order, statuscode and statustime joined by NUL. The courier's retry,
// and the same update arriving by URL and by FTP, get the same key.
func DedupKey(m *Message) string {
	at := m.StatusTime
	if !isStatusTime(at) {
		at = ""
	}
	return provider.TimeLedKey(at, []byte(m.Order+"\x00"+m.StatusCode+"\x00"+m.StatusTime))
}

// Decode decodes a committed raw message according to its content type.
func Decode(contentType string, body []byte) (*Message, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case isJSONType(mt):
		return DecodeJSON(body)
	case mt == ContentTypeForm:
		return DecodeQuery(string(body))
	case isXML(mt):
		return DecodeXML(body)
	case isJSON("", body):
		return DecodeJSON(body)
	default:
		return nil, fmt.Errorf("%w: courier messages are JSON, XML or form-encoded, not %q", provider.ErrUnsupportedMedia, contentType)
	}
}

// Normalize turns one committed courier message into one shipment update
// with one event. It depends only on the message and the connection's time
// zone, so reprocessing old messages gives the same result.
func (c *Connector) Normalize(m *model.InboxMessage) (model.Changes, error) {
	msg, err := decodeInbox(m)
	if err != nil {
		return model.Changes{}, fmt.Errorf("normalizing courier message %d: %w", m.ID, err)
	}
	occurred, err := parseStatusTime(msg.StatusTime, c.loc)
	if err != nil {
		return model.Changes{}, fmt.Errorf("normalizing courier message %d: %w", m.ID, err)
	}

	ev := model.Event{
		Status:        model.StatusUnknown,
		ProviderCode:  msg.StatusCode,
		ProviderGroup: msg.Status,
		OccurredAt:    occurred.UTC(),
		Source:        m.Source,
		InboxID:       m.ID,
		Comment:       msg.Comment,
		Signatures:    msg.Signatures,
		Pictures:      msg.Pictures,
		DedupKey:      msg.StatusCode + "|" + msg.StatusTime,
	}
	labels := map[string]string{"nl": msg.StatusNL, "fr": msg.StatusFR, "en": msg.StatusEN}
	row, ok := LookupStatus(msg.StatusCode, Labels{NL: msg.StatusNL, FR: msg.StatusFR, EN: msg.StatusEN})
	if !ok {
		// No row has the code: it stays unknown unless the message's group,
		// the courier's own word, says what it is. The raw code is kept
		// either way, and the event is marked unmapped so that it is
		// counted like an unknown one.
		row, ok = LookupGroup(msg.Status)
		ev.Unmapped = true
	}
	if ok {
		ev.Status, ev.Substatus, ev.ActionRequired = row.Status, row.Substatus, row.ActionRequired
		if ev.ProviderGroup == "" {
			ev.ProviderGroup = row.Group
		}
		fill := map[string]string{"nl": row.NL, "fr": row.FR, "en": row.EN}
		for lang, v := range fill {
			if labels[lang] == "" {
				labels[lang] = v
			}
		}
	}
	for lang, v := range labels {
		if v == "" {
			delete(labels, lang)
		}
	}
	if len(labels) > 0 {
		ev.Labels = labels
	}
	ev.Scan, ev.Location = ParseComment(msg.Comment, c.loc)

	u := model.ShipmentUpdate{ProviderRef: msg.Order, Events: []model.Event{ev}}
	for _, ref := range []model.Reference{
		{Kind: model.RefOrder, Value: msg.Order},
		{Kind: model.RefBarcode, Value: msg.Barcode},
		{Kind: model.RefContainer, Value: msg.Container},
		{Kind: model.RefMerchant, Value: msg.Referentie},
	} {
		if ref.Value != "" {
			u.References = append(u.References, ref)
		}
	}
	for k, v := range map[string]string{"oldlead": msg.OldLead, "newlead": msg.NewLead, "verifier": msg.Verifier} {
		if v != "" {
			if u.Attributes == nil {
				u.Attributes = map[string]string{}
			}
			u.Attributes[k] = v
		}
	}
	return model.ShipmentChanges(u), nil
}
