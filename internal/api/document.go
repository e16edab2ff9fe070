package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/httpx"
	"github.com/shiphub/shiphub/internal/model"
)

// problemWriter turns the plain-text errors of http.ServeMux (unknown path,
// method not allowed) into RFC 9457 problem documents, keeping their status
// and headers such as Allow. Anything below 400 passes through untouched.
type problemWriter struct {
	http.ResponseWriter
	problem bool
}

func (w *problemWriter) WriteHeader(code int) {
	if code < http.StatusBadRequest {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.problem = true
	body, _ := json.Marshal(&huma.ErrorModel{
		Status: code,
		Title:  http.StatusText(code),
		Detail: problemDetail(code),
	})
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.ResponseWriter.WriteHeader(code)
	_, _ = w.ResponseWriter.Write(body)
}

func (w *problemWriter) Write(b []byte) (int, error) {
	if w.problem {
		return len(b), nil // The mux's plain-text body is replaced.
	}
	return w.ResponseWriter.Write(b)
}

func problemDetail(code int) string {
	switch code {
	case http.StatusNotFound:
		return "no such API path; see " + Prefix + "/openapi.json"
	case http.StatusMethodNotAllowed:
		return "this path does not accept the method; see the Allow header"
	}
	return http.StatusText(code)
}

// documentRenderings are the OpenAPI document's four served forms (3.1 and
// the 3.0 downgrade, JSON and YAML), by path. The API serves them itself,
// instead of huma's routes, because their server names the host.
var documentRenderings = map[string]rendering{
	Prefix + "/openapi.json":     {"application/vnd.oai.openapi+json", func(d *huma.OpenAPI) ([]byte, error) { return json.Marshal(d) }},
	Prefix + "/openapi.yaml":     {"application/vnd.oai.openapi+yaml", (*huma.OpenAPI).YAML},
	Prefix + "/openapi-3.0.json": {"application/vnd.oai.openapi+json", func(d *huma.OpenAPI) ([]byte, error) { return webhooksAsExtension(d).Downgrade() }},
	Prefix + "/openapi-3.0.yaml": {"application/vnd.oai.openapi+yaml", func(d *huma.OpenAPI) ([]byte, error) { return webhooksAsExtension(d).DowngradeYAML() }},
}

// webhooksAsExtension moves the webhooks section of a (copied) document to
// x-webhooks, for the 3.0 downgrade: OpenAPI 3.0 has no webhooks, and 3.0
// tools refuse the document with it (Redoc shows x-webhooks).
func webhooksAsExtension(d *huma.OpenAPI) *huma.OpenAPI {
	if len(d.Webhooks) == 0 {
		return d
	}
	ext := make(map[string]any, len(d.Extensions)+1)
	for k, v := range d.Extensions {
		ext[k] = v
	}
	ext["x-webhooks"] = d.Webhooks
	d.Extensions, d.Webhooks = ext, nil
	return d
}

// rendering is one served form of the document.
type rendering struct {
	contentType string
	render      func(*huma.OpenAPI) ([]byte, error)
}

// serveDocument writes the OpenAPI document with an absolute server URL:
// the configured public URL, or else the scheme and host this request came
// to. Tools resolve a relative server against wherever they read the
// document from (a file, a CI artifact), which is rarely the hub, and
// code generators such as oapi-codegen need an absolute one.
func (a *API) serveDocument(w http.ResponseWriter, r *http.Request, rendering rendering) {
	server := a.serverURL(r)
	b, err := a.documents.get(r.URL.Path+" "+server, func() ([]byte, error) {
		doc := *a.humaAP.OpenAPI() // a shallow copy: only Servers differs
		doc.Servers = []*huma.Server{{URL: server, Description: "This hub."}}
		return rendering.render(&doc)
	})
	if err != nil {
		a.log.ErrorContext(r.Context(), "rendering the OpenAPI document", "error", err)
		httpx.WriteProblem(w, http.StatusInternalServerError, "the OpenAPI document could not be rendered")
		return
	}
	w.Header().Set("Content-Type", rendering.contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// documentCache keeps rendered documents by form and server, as huma's own
// routes did, so that serving the document is cheap. The key includes the
// request's host, which clients choose, so it holds a bounded number of
// entries and renders the rest every time.
type documentCache struct {
	mu      sync.Mutex
	entries map[string][]byte
}

const maxCachedDocuments = 16

func (c *documentCache) get(key string, render func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	b, ok := c.entries[key]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := render()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string][]byte{}
	}
	if len(c.entries) < maxCachedDocuments {
		c.entries[key] = b
	}
	return b, nil
}

// serverURL is the API's absolute base URL for a request.
func (a *API) serverURL(r *http.Request) string {
	return documentServer(a.publicURL, r.Host, r.TLS != nil)
}

// documentServer is the server the document names: the public URL when
// there is one, else the host the request came to (a Host header that is
// not a plain host[:port] is replaced by localhost rather than echoed).
func documentServer(publicURL, host string, overTLS bool) string {
	if publicURL != "" {
		return publicURL + Prefix
	}
	scheme := "http"
	if overTLS {
		scheme = "https"
	}
	if host == "" || !validHost(host) {
		host = "localhost"
	}
	return (&url.URL{Scheme: scheme, Host: host, Path: Prefix}).String()
}

// validHost reports whether a Host header is a plain host[:port], which is
// all that may go into the document; anything else (a path, a user) is
// replaced rather than echoed.
func validHost(host string) bool {
	u, err := url.Parse("http://" + host)
	return err == nil && u.Host == host && u.User == nil && u.Path == "" && u.RawQuery == "" && u.Fragment == ""
}

// validatePublicURL checks http.public_url: an absolute http or https URL
// of the hub itself, with neither credentials, a query nor a fragment.
func validatePublicURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return errors.New("must be an absolute http or https URL, such as https://hub.example.com")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("the scheme must be http or https")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return errors.New("must not contain credentials, a query or a fragment")
	case strings.HasSuffix(strings.TrimRight(u.Path, "/"), Prefix):
		return errors.New("must be the hub's base URL, without " + Prefix)
	}
	return nil
}

// refineDocument adds to the generated OpenAPI document what Go types cannot
// say: the enums of the canonical model (taken from the model itself, so the
// document follows it) and descriptions of the model's fields. It also drops
// the 422 responses huma adds by default, because this API answers invalid
// parameters with 400.
func refineDocument(doc *huma.OpenAPI) {
	statuses := make([]any, len(model.Statuses))
	for i, s := range model.Statuses {
		statuses[i] = string(s)
	}
	for _, item := range doc.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if op == nil {
				continue
			}
			delete(op.Responses, strconv.Itoa(http.StatusUnprocessableEntity))
			for _, p := range op.Parameters {
				if p.In == "query" && p.Name == "status" && p.Schema != nil && len(p.Schema.Enum) == 0 {
					p.Schema.Enum = statuses
				}
			}
		}
	}

	schemas := doc.Components.Schemas.Map()
	describe := func(name, text string, fields map[string]string) { describeSchema(schemas, name, text, fields) }
	shipmentFields := map[string]string{
		"id":                "The shipment's id in the hub.",
		"workspace":         "The workspace the shipment belongs to.",
		"connection":        "The connection (configured provider account) it came through.",
		"provider":          "The provider of the connection.",
		"provider_ref":      "The provider's own key of the shipment within the connection.",
		"references":        "Every identifier the shipment can be found by with the reference filter and /tracking.",
		"status":            "The current canonical status, derived from the events.",
		"substatus":         "A finer reason for the status, such as customs, not_home or refused.",
		"action_required":   "Whether the status needs action from the merchant.",
		"status_at":         "When the event that set the status occurred.",
		"tracking_number":   "The carrier's tracking number.",
		"tracking_url":      "Where the recipient can follow the shipment.",
		"order_reference":   "The merchant's order reference.",
		"expected_delivery": "The expected delivery date or window, as the provider states it.",
		"attributes":        "Provider facts without a canonical field yet, kept so nothing is lost.",
		"created_at":        "When the hub first saw the shipment.",
		"updated_at":        "When the hub last changed the shipment.",
	}
	describe("Shipment", "A parcel or consignment, whichever provider it came from. Listings carry no events; get the shipment for them.", shipmentFields)
	if s, ok := schemas["Shipment"]; ok {
		// Shipment only appears in listings, which never carry events.
		delete(s.Properties, "events")
	}
	describe("ShipmentDetail", "A shipment with all of its tracking events.", shipmentFields)
	describe("Event", "One tracking event of a shipment.", map[string]string{
		"id":              "The event's id in the hub.",
		"status":          "The canonical status the event means.",
		"substatus":       "A finer reason, such as customs, not_home, refused or delivered_neighbour.",
		"action_required": "Whether the event needs action from the merchant.",
		"provider_code":   "The provider's raw status code, verbatim.",
		"provider_group":  "The provider's raw status group, verbatim.",
		"labels":          "The provider's description by language: nl, fr, en.",
		"occurred_at":     "When the event happened (RFC 3339, UTC).",
		"source":          "The channel the event arrived through.",
		"connection":      "The connection the event came from; another than the shipment's when a second connection knows the same parcel (a tracking connection's carrier rule).",
		"provider":        "The provider of the connection the event came from.",
		"inbox_id":        "The id of the raw inbox message the event came from.",
		"recorded_at":     "When the hub recorded the event.",
	})
	describe("FeedEvent", "One entry of the workspace's event feed. Webhooks deliver the same events in the Standard Webhooks shape "+
		"instead (WebhookEvent: a string id evt_<feed position> and timestamp); the webhooks section describes each type.", map[string]string{
		"id":          "The feed position; pass the last one seen as after.",
		"type":        "The event type, such as shipment.created or shipment.status_changed.",
		"subject_id":  "The id of the resource the event is about (the shipment's id for shipment events).",
		"occurred_at": "When the event happened.",
		"data":        "The event's payload, by type: the same as the data of the type's webhook.",
	})
	describe("Reference", "An identifier of a shipment, with what kind it is.", map[string]string{
		"kind": "The kind: order, barcode, container, merchant_reference, tracking_number, po_number, external_order, shipment.",
	})

	for _, name := range []string{"Shipment", "ShipmentDetail", "Event"} {
		if s, ok := schemas[name]; ok {
			if p, ok := s.Properties["status"]; ok {
				p.Enum = statuses
			}
		}
	}
	if s, ok := schemas["Event"]; ok {
		if p, ok := s.Properties["source"]; ok {
			p.Enum = []any{string(model.SourceWebhook), string(model.SourceFTP), string(model.SourcePoll)}
		}
	}
}

// describeSchema sets the description of a named schema and of its fields;
// a schema or field the document does not have is passed over.
func describeSchema(schemas map[string]*huma.Schema, name, text string, fields map[string]string) {
	s, ok := schemas[name]
	if !ok {
		return
	}
	s.Description = text
	for field, t := range fields {
		if p, ok := s.Properties[field]; ok {
			p.Description = t
		}
	}
}
