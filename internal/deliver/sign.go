// Package deliver sends the workspace event feed to merchant webhook
// endpoints: signed with Standard Webhooks, retried on a schedule with
// jitter, in order per shipment, with dead letters, endpoint disabling and
// operator alerts, and refusing targets on private networks unless allowed.
//
// The queue it works from is written by the apply transactions themselves
// (a transactional outbox, see store.Webhooks), so an event is never
// committed without its deliveries and a crash loses none of them: a
// delivery is marked done only after the endpoint answered 2xx, so each
// event reaches each endpoint at least once. Receivers deduplicate by the
// webhook-id header, which is the same for every attempt of an event.
package deliver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
)

// Sign returns the Standard Webhooks webhook-signature header value for a
// message: "v1,<base64 HMAC-SHA256 of id.timestamp.body>" per secret,
// separated by spaces. During a secret rotation's grace period two secrets
// sign, so receivers holding either verify.
func Sign(secrets []string, msgID, timestamp string, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := model.SecretKey(s)
		if err != nil {
			return "", fmt.Errorf("signing with an invalid secret: %w", err)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(msgID))
		mac.Write([]byte{'.'})
		mac.Write([]byte(timestamp))
		mac.Write([]byte{'.'})
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(sigs, " "), nil
}

// Payload is the JSON body of a webhook: the feed event in the Standard
// Webhooks shape (type, timestamp, data), with its id and subject.
type Payload struct {
	// ID is the stable event id, also sent as webhook-id.
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	Workspace string          `json:"workspace"`
	SubjectID int64           `json:"subject_id"`
	Data      json.RawMessage `json:"data"`
}

// Body encodes the webhook body of a feed event: json.Marshal of its
// Payload, byte for byte, written directly. Through json.Marshal it was
// reflection over the struct for every attempt (4 % of the delivery
// phase's CPU); TestBodyIsPayloadMarshalled and FuzzBody hold the two equal.
func Body(e *model.FeedEvent) ([]byte, error) {
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	// As json.Marshal writes a RawMessage: validated, compacted, and with
	// <, >, & and U+2028/U+2029 escaped. Data the hub wrote itself is
	// compact and rarely holds those, so it is checked and copied; other
	// data, and errors, take json.Marshal itself.
	ts, err := e.OccurredAt.UTC().MarshalJSON()
	if err != nil || !plainJSON(data) || !json.Valid(data) {
		return marshalBody(e, data)
	}
	b := make([]byte, 0, len(data)+len(e.Type)+len(e.Workspace)+len(ts)+96)
	b = append(b, `{"id":"evt_`...)
	b = strconv.AppendInt(b, e.ID, 10)
	b = append(b, `","type":`...)
	b = appendJSONString(b, e.Type)
	b = append(b, `,"timestamp":`...)
	b = append(b, ts...)
	b = append(b, `,"workspace":`...)
	b = appendJSONString(b, e.Workspace)
	b = append(b, `,"subject_id":`...)
	b = strconv.AppendInt(b, e.SubjectID, 10)
	b = append(b, `,"data":`...)
	b = append(b, data...)
	return append(b, '}'), nil
}

// marshalBody is Body through json.Marshal.
func marshalBody(e *model.FeedEvent, data json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(Payload{ID: model.WebhookID(e.ID), Type: e.Type, Timestamp: e.OccurredAt.UTC(), Workspace: e.Workspace, SubjectID: e.SubjectID, Data: data})
	if err != nil {
		return nil, fmt.Errorf("encoding event %d: %w", e.ID, err)
	}
	return b, nil
}

// plainJSON reports whether valid JSON data has nothing json.Marshal would
// change in a RawMessage: no whitespace outside strings (compacting drops
// it; inside strings it stays), none of the bytes it escapes anywhere (<,
// >, &), and no U+2028 or U+2029 (whose UTF-8 starts with 0xE2; any other
// character starting so is sent the slow way too). It reads strings' escapes
// only to find where each string ends.
func plainJSON(data []byte) bool {
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case c == '<' || c == '>' || c == '&' || c == 0xE2:
			return false
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			return false
		}
	}
	return true
}

// appendJSONString appends s as json.Marshal encodes a string: a plain
// printable ASCII string as it is, anything else through json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7F || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
