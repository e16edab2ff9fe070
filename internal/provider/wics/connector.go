package wics

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// Info registers the provider under the name used in shiphub.yaml.
var Info = provider.Info{Name: "wics", New: New}

// MetaTolerated is the inbox Meta key that keeps, as a JSON array of
// strings, what was read liberally to accept the message (the decoder's
// Tolerated list and the status tables' readings), so that an operator
// sees it on the raw message. Absent when nothing was tolerated.
const MetaTolerated = "tolerated"

// Connector is one configured WICS connection: it receives the nine
// webhook topics and maps them to canonical changes (see mapping.go).
type Connector struct {
	settings Settings
	creds    Credentials
	topics   map[Topic]bool
	dec      *Decoder
}

var (
	_ provider.Connector       = (*Connector)(nil)
	_ provider.WebhookReceiver = (*Connector)(nil)
)

// New builds a connector from a connection's settings, validating them.
func New(c provider.Connection) (provider.Connector, error) {
	var s Settings
	if err := c.Decode(&s); err != nil {
		return nil, fmt.Errorf("decoding wics settings: %w", err)
	}
	return NewWithSettings(s)
}

// NewWithSettings builds a connector from settings that are already
// decoded; tests and tools use it. Defaults are applied before validation.
func NewWithSettings(s Settings) (*Connector, error) {
	s.SetDefaults()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("wics settings: %w", err)
	}
	return &Connector{
		settings: s,
		creds:    s.Credentials(),
		topics:   s.TopicSet(),
		dec:      NewDecoder(s.Location()),
	}, nil
}

// Settings returns the connection's settings, defaults applied.
func (c *Connector) Settings() Settings { return c.settings }

// Authenticate checks the Authorization header against the connection's
// API key and secret in constant time: both the document's literal
// "Basic key:secret" and the standard Base64 form are accepted.
func (c *Connector) Authenticate(r *http.Request) error {
	return c.creds.Check(r.Header.Get("Authorization"))
}

// Accept validates one webhook and returns the raw message to commit. The
// topic must be one of the nine and one the connection lists in topics;
// otherwise the error wraps provider.ErrUnknownTopic (404). The body is
// decoded and mapped fully, so that whatever is acknowledged can be
// normalised; a body of the wrong shape is provider.ErrBadInput naming the
// field (400). WICS's document says nothing about the Content-Type it
// sends, so none is refused: the body decides.
//
// The dedup key is the hex SHA-256 of the topic and the body: WICS retries
// (ten times over 24 hours) with the same bytes, which are a duplicate,
// while the same bytes posted to another topic are another message.
func (c *Connector) Accept(r *http.Request, topic string, body []byte) (provider.Inbound, error) {
	if r.Method != http.MethodPost {
		return provider.Inbound{}, fmt.Errorf("%w: wics webhooks are POST, got %s", provider.ErrMethodNotAllowed, r.Method)
	}
	t, err := c.topic(topic)
	if err != nil {
		return provider.Inbound{}, err
	}
	_, tol, err := c.changes(t, body, time.Time{})
	if err != nil {
		return provider.Inbound{}, fmt.Errorf("decoding wics %s: %w", t, err)
	}
	var meta map[string]string
	if len(tol) > 0 {
		raw, err := json.Marshal(tol)
		if err != nil {
			return provider.Inbound{}, fmt.Errorf("encoding what was tolerated: %w", err)
		}
		meta = map[string]string{MetaTolerated: string(raw)}
	}
	return provider.Inbound{
		DedupKey:    DedupKey(t, body),
		ContentType: "application/json",
		Body:        body,
		Meta:        meta,
	}, nil
}

// DedupKey is the inbox dedup key of a webhook: the hex SHA-256 of the
// topic's path name, a NUL byte and the body.
func DedupKey(t Topic, body []byte) string {
	h := sha256.New()
	h.Write([]byte(t))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// topic parses a webhook's {topic} segment and checks that the connection
// receives it.
func (c *Connector) topic(name string) (Topic, error) {
	if name == "" {
		return "", fmt.Errorf("%w: a wics webhook is posted to /hooks/{workspace}/{connection}/{topic}; known topics: %s",
			ErrUnknownTopic, topicList())
	}
	t, err := ParseTopic(name)
	if err != nil {
		return "", err
	}
	if !c.topics[t] {
		return "", fmt.Errorf("%w: %s is not in this connection's topics", ErrUnknownTopic, t)
	}
	return t, nil
}

// Normalize maps one committed webhook to the canonical changes it states.
// It is a pure function of the message (its topic, body and ReceivedAt)
// and the connection's settings. A message whose topic was later removed
// from the connection's topics is still normalised: it was accepted.
func (c *Connector) Normalize(m *model.InboxMessage) (model.Changes, error) {
	if IsCommandTopic(m.Topic) {
		return c.NormalizeCommandAnswer(m) // answers.go
	}
	if ch, ok, err := c.normalizeReconcile(m); ok {
		return ch, err
	}
	t, err := ParseTopic(m.Topic)
	if err != nil {
		return model.Changes{}, fmt.Errorf("normalising wics message %d: %w", m.ID, err)
	}
	ch, _, err := c.changes(t, m.Body, m.ReceivedAt)
	if err != nil {
		return model.Changes{}, fmt.Errorf("normalising wics %s message %d: %w", t, m.ID, err)
	}
	return ch, nil
}

// changes decodes body as topic t and maps it. received is the message's
// ReceivedAt (zero in Accept, whose result is discarded). The returned
// list is what was tolerated, the decoder's and the status tables'.
func (c *Connector) changes(t Topic, body []byte, received time.Time) (model.Changes, Tolerated, error) {
	msg, tol, err := c.dec.Decode(t, body)
	if err != nil {
		return model.Changes{}, nil, err
	}
	mp := mapper{loc: c.dec.Location, received: received.UTC()}
	ch, err := mp.mapMessage(msg)
	if err != nil {
		return model.Changes{}, nil, err
	}
	tol = append(tol, mp.tolerated...)
	if len(tol) > maxTolerated+1 {
		tol = append(tol[:maxTolerated], fmt.Sprintf("and %d more", len(tol)-maxTolerated))
	}
	return ch, tol, nil
}

// errNoMapping is returned for a message type the mapper does not know,
// which is a programming error (Decode returns only the nine).
var errNoMapping = errors.New("no mapping for the message type")
