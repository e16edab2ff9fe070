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

// Body encodes the webhook body of a feed event.
func Body(e *model.FeedEvent) ([]byte, error) {
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	b, err := json.Marshal(Payload{ID: model.WebhookID(e.ID), Type: e.Type, Timestamp: e.OccurredAt.UTC(), Workspace: e.Workspace, SubjectID: e.SubjectID, Data: data})
	if err != nil {
		return nil, fmt.Errorf("encoding event %d: %w", e.ID, err)
	}
	return b, nil
}
