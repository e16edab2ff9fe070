// Package provider defines what a logistics provider's connector is and keeps
// the registry of them. Each provider lives in its own package under
// internal/provider/<name>; that package is the only place that knows the
// provider's wire format. The list of providers is in package registry.
package provider

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// Errors a connector returns to the intake; the intake turns them into HTTP
// problem responses.
var (
	// ErrUnauthorized means the request lacks the connection's credentials (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrBadInput means the message could not be decoded (400). Wrap it with
	// the reason: fmt.Errorf("%w: statustime: ...", provider.ErrBadInput).
	ErrBadInput = errors.New("bad input")
	// ErrUnsupportedMedia means the content type is not one the provider sends (415).
	ErrUnsupportedMedia = errors.New("unsupported media type")
	// ErrMethodNotAllowed means the provider never pushes with this HTTP method (405).
	ErrMethodNotAllowed = errors.New("method not allowed")
	// ErrUnknownTopic means the webhook's {topic} path segment names no
	// topic the connection receives (404, like any URL that does not
	// exist). Nothing is stored.
	ErrUnknownTopic = errors.New("unknown topic")
)

// LoadLocation loads a connection's IANA time zone. "Local" is refused: the
// host's zone would make normalisation depend on where the hub runs, and
// reprocessing on another host would change the past.
func LoadLocation(name string) (*time.Location, error) {
	if name == "Local" {
		return nil, errors.New(`"Local" is not allowed; name an IANA zone such as Europe/Amsterdam`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown IANA time zone %q", name)
	}
	return loc, nil
}

// Reason is an error's text without the "bad input: " prefix of
// ErrBadInput, for intake errors a person reads.
func Reason(err error) string {
	msg := err.Error()
	if errors.Is(err, ErrBadInput) {
		if rest, ok := strings.CutPrefix(msg, ErrBadInput.Error()+": "); ok {
			return rest
		}
	}
	return msg
}

// Connection is what a connector is built from: where it sits and its
// provider-specific settings.
type Connection struct {
	Workspace string
	ID        string
	// Decode decodes the connection's provider-specific YAML keys into the
	// provider's settings struct, refusing unknown keys. It is never nil.
	Decode func(into any) error
}

// Connector is one configured connection to a provider. It may implement any
// of the capability interfaces of this package, which the core looks for:
// WebhookReceiver (the HTTP intake), FileReceiver (FTP), FTPLogin (an
// account on the embedded FTP server, ftplogin.go), FilePoller (a remote FTP
// server to poll, ftpremote.go), Puller and ParcelTracker (a polling
// service, trackers; pull.go) and Retrier. A new provider adds a package
// that implements some of them, not a new path through the core.
type Connector interface {
	// Normalize turns a committed raw inbox message into the canonical
	// changes it states, of every kind (see model.Changes, which says how a
	// kind is added). It must be a pure function of the message and the
	// connection's settings: `shiphub reprocess` calls it again on old
	// messages, and the pipeline normalises a batch's messages side by
	// side, so it is called concurrently.
	Normalize(m *model.InboxMessage) (model.Changes, error)
}

// Inbound is what a receiver makes of an inbound request before it is
// committed to the inbox.
type Inbound struct {
	// DedupKey identifies the message: a retry by the provider has the same key.
	DedupKey    string
	ContentType string
	Body        []byte
	Meta        map[string]string
}

// WebhookReceiver is a connector the provider pushes to over HTTP at
// /hooks/{workspace}/{connection}[/{topic}].
type WebhookReceiver interface {
	Connector
	// Authenticate checks the request's credentials in constant time and
	// returns ErrUnauthorized when they do not match.
	Authenticate(r *http.Request) error
	// Accept validates one inbound request, whose body has been read already
	// (within the size cap), and returns the raw message to commit. It must
	// decode fully, so that a message that is acknowledged can be normalised;
	// errors wrap ErrBadInput, ErrUnsupportedMedia or ErrMethodNotAllowed.
	Accept(r *http.Request, topic string, body []byte) (Inbound, error)
}

// FileReceiver is a connector the provider delivers files to, over FTP: an
// upload to shiphub's embedded server or a file shiphub fetches from the
// provider's own server. Both paths commit what AcceptFile returns.
type FileReceiver interface {
	Connector
	// AcceptFile validates one file by its name and content and returns the
	// raw message to commit, so that a file that is committed can be
	// normalised. Errors wrap ErrBadInput (the file is quarantined, not
	// retried).
	AcceptFile(name string, body []byte) (Inbound, error)
	// FileExtensions lists the extensions of the provider's files, lower
	// case and without the dot ("json", "xml"). An FTP poller fetches only
	// files that have one of them and leaves the rest of a shared directory
	// alone; the connector is the only place that knows them.
	FileExtensions() []string
}

// HasFileExtension reports whether name ends in one of exts (as returned by
// FileExtensions), case-insensitively.
func HasFileExtension(name string, exts []string) bool {
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 {
		return false
	}
	ext := name[dot+1:]
	for _, e := range exts {
		if strings.EqualFold(ext, e) {
			return true
		}
	}
	return false
}

// Retrier is implemented by a connector that says whether its provider sends
// a message again after the hub answered it with an error (a 5xx). Most do
// (WICS ten times over 24 h); the courier does not: its document promises
// only an e-mail to the merchant about statuses that did not arrive. For
// such a provider every 5xx the hub answers is a message lost unless someone
// re-imports it, so the intake counts and alerts it.
type Retrier interface {
	// ProviderRetries reports whether the provider resends a message that
	// was answered with an error.
	ProviderRetries() bool
}

// Retries reports whether c's provider resends a message answered with an
// error: what its Retrier says, and true for a connector that says nothing
// (the common case, and the one the DESIGN's "answer 503 so the provider
// retries" assumes).
func Retries(c Connector) bool {
	if r, ok := c.(Retrier); ok {
		return r.ProviderRetries()
	}
	return true
}

// Info registers a provider.
type Info struct {
	// Name is the `provider:` value in the configuration.
	Name string
	// New builds a connector for one connection, validating its settings.
	New func(c Connection) (Connector, error)
}

var (
	mu        sync.RWMutex
	providers = map[string]Info{}
)

// Register adds a provider. It panics on a duplicate or incomplete Info,
// which is a programming error.
func Register(info Info) {
	mu.Lock()
	defer mu.Unlock()
	if info.Name == "" || info.New == nil {
		panic("provider: Register needs a Name and New")
	}
	if _, dup := providers[info.Name]; dup {
		panic(fmt.Sprintf("provider: %q registered twice", info.Name))
	}
	providers[info.Name] = info
}

// Lookup returns the registered provider of that name.
func Lookup(name string) (Info, bool) {
	mu.RLock()
	defer mu.RUnlock()
	info, ok := providers[name]
	return info, ok
}

// Names lists the registered providers, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(providers))
	for n := range providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
