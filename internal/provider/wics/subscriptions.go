package wics

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/shiphub/shiphub/internal/provider"
)

// WICS's topic strings, by topic. The document names the topics only in
// prose ("Topic Shipment", "Topic Announcement status", …, and "the
// stockMutation webhook", "the orderStatus webhook"); its one subscription
// example, and so the only string confirmed (wics-public-clients.md: "Not
// found"), is "STOCK", the upper-case form of "stock". The others follow
// that rule from the names the document gives each topic's webhook:
//
//	topic               string               the document's name of its webhook
//	shipment            SHIPMENT             "the shipment webhook"
//	receipt             RECEIPT              "the receipt webhook"
//	stock               STOCK                "the stock webhook"; the list and create examples
//	stockmutation       STOCKMUTATION        "the stockMutation webhook"
//	announcementstatus  ANNOUNCEMENTSTATUS   "the announcementStatus webhook"
//	orderstatus         ORDERSTATUS          "the orderStatus webhook"
//	orderlinestatus     ORDERLINESTATUS      "the orderLineStatus webhook"
//	picksliplinestatus  PICKSLIPLINESTATUS   "the pickslipLineStatus webhook"
//	rma                 RMA                  "the RMA webhook"
//
// Subscriptions are created with these strings. A subscription WICS lists
// is recognised by its topic in any case and with or without separators
// (STOCK_MUTATION, "Order status" and orderStatus all read as the same
// topic), so that a guess that is wrong only in form does not make the hub
// delete and create the same subscription every hour.
var wireTopics = map[Topic]string{
	TopicShipment:           "SHIPMENT",
	TopicReceipt:            "RECEIPT",
	TopicStock:              "STOCK",
	TopicStockMutation:      "STOCKMUTATION",
	TopicAnnouncementStatus: "ANNOUNCEMENTSTATUS",
	TopicOrderStatus:        "ORDERSTATUS",
	TopicOrderLineStatus:    "ORDERLINESTATUS",
	TopicPickslipLineStatus: "PICKSLIPLINESTATUS",
	TopicRMA:                "RMA",
}

// WireTopic is WICS's topic string of t, for POST /api/webhook.
func WireTopic(t Topic) string { return wireTopics[t] }

// topicOfWire reads a topic string WICS lists; false for one it is not.
func topicOfWire(s string) (Topic, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			b.WriteRune(r)
		case 'A' <= r && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		}
	}
	t, err := ParseTopic(b.String())
	return t, err == nil
}

// HookURL is where WICS posts a topic: hookURL (http.public_url +
// /hooks/{workspace}/{connection}) and the topic's path name.
func HookURL(hookURL string, t Topic) string {
	return strings.TrimRight(hookURL, "/") + "/" + string(t)
}

// SubscriptionDigest digests what the subscriptions depend on besides the
// hook URL: the topics and the webshop. The subscription keeper stores it
// with the hook URL, so that a restart with another configuration makes
// the subscriptions match at once.
func (c *Connector) SubscriptionDigest() string {
	names := make([]string, 0, len(c.topics))
	for t := range c.topics {
		names = append(names, string(t))
	}
	sort.Strings(names)
	sum := sha256.Sum256([]byte(strings.Join(names, ",") + "\x00" + strconv.FormatInt(c.settings.WebshopID, 10)))
	return hex.EncodeToString(sum[:])
}

// KeepSubscriptions makes the login's subscriptions at WICS match the
// connection's topics (provider.SubscriptionKeeper). It lists them, then:
//
//   - wanted is one subscription per configured topic, at HookURL(hookURL,
//     topic), with the topic's WireTopic, for the connection's webshop_id
//     when one is set (the document: "multiple events can be registered
//     per webshopID"; a listed subscription's webshop is compared only
//     when WICS lists one, which its example does not);
//   - a subscription at a URL under hookURL + "/" is the hub's own: it is
//     kept when it is wanted (the first one only: a duplicate is deleted)
//     and deleted when it is not (a topic no longer configured, another
//     webshop, a topic string that names no topic);
//   - any other subscription points elsewhere (another hub, the merchant's
//     webshop) and is left alone, counted as Foreign;
//   - the missing wanted ones are created.
//
// It deletes before it creates, so that a topic moved between webshops is
// never subscribed twice. Every request waits on l at urgent priority, like
// a command: the upkeep is a handful of requests at start and hourly, and
// every webhook depends on it, so a stream of commands must not starve it.
// It stops at the first failed request; what it did so far is in the report,
// and the next run finishes the work.
func (c *Connector) KeepSubscriptions(ctx context.Context, l provider.Limiter, hookURL string) (provider.SubscriptionReport, error) {
	var rep provider.SubscriptionReport
	if hookURL == "" {
		return rep, errors.New("keeping wics subscriptions: no hook URL")
	}
	cl := c.NewClient(l, provider.PriorityUrgent)
	have, err := cl.ListWebhooks(ctx)
	if err != nil {
		return rep, fmt.Errorf("listing the wics subscriptions: %w", err)
	}
	own := strings.TrimRight(hookURL, "/") + "/"
	wanted := map[string]Topic{} // URL -> topic
	for _, t := range topics {
		if c.topics[t] {
			wanted[HookURL(hookURL, t)] = t
		}
	}
	kept := map[Topic]bool{}
	var stale []Webhook
	for _, h := range have {
		if !strings.HasPrefix(h.URL, own) {
			rep.Foreign++
			continue
		}
		t, known := topicOfWire(h.Topic)
		want, isWanted := wanted[h.URL]
		if known && isWanted && want == t && (h.WebshopID == nil || *h.WebshopID == c.settings.WebshopID) && !kept[t] {
			kept[t] = true
			rep.Kept++
			continue
		}
		stale = append(stale, h)
	}
	for _, h := range stale {
		if err := cl.DeleteWebhook(ctx, h.ID); err != nil {
			return rep, fmt.Errorf("deleting the stale wics subscription %s (%s): %w", h.ID, h.Topic, err)
		}
		rep.Deleted++
	}
	for _, t := range topics {
		if !c.topics[t] || kept[t] {
			continue
		}
		req := WebhookRequest{Topic: WireTopic(t), URL: HookURL(hookURL, t), WebshopID: c.settings.WebshopID}
		if _, err := cl.CreateWebhook(ctx, req); err != nil {
			return rep, fmt.Errorf("subscribing to wics topic %s: %w", req.Topic, err)
		}
		rep.Created++
	}
	return rep, nil
}

// KeepsSubscriptions reports whether the hub is to keep this connection's
// subscriptions (manage_subscriptions, default on); package subscriptions
// leaves a connection that says false alone.
func (c *Connector) KeepsSubscriptions() bool { return c.settings.ManagesSubscriptions() }

var _ provider.SubscriptionKeeper = (*Connector)(nil)
