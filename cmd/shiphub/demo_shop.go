package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/sim/wicssim"
)

// demoShop is the demo's webshop: a merchant that runs its fulfilment at
// WICS through the hub's merchant API. It creates its products (POST
// /api/v1/products), waits until WICS has them, and then places an order
// every few steps (POST /api/v1/orders, each with an Idempotency-Key). A
// few orders show the edges of the command path:
//
//   - the first is sent twice with its key: the second answer is the
//     first one again, and nothing is sent to WICS twice;
//   - the second is sent once more without a key: 409, the reference is
//     taken;
//   - the third loses every webhook at the simulator, as if WICS had given
//     up on them: only reconciliation finds that it shipped;
//   - the fourth names an item WICS does not have: WICS refuses it, the
//     command is dead and the order rejected, with WICS's message;
//   - the twentieth comes with a burst of demoBurst more at once, more than
//     WICS takes in a minute: the hub sends them within the login's
//     budget (the summary shows the budget left fall, and the most
//     requests WICS counted in any minute stay within 150), and WICS
//     never has to block it.
type demoShop struct {
	base, apiKey string
	sl           *demoServiceLayer
	step         time.Duration
	// reconcile wakes the connection's reconciliation; the demo does so
	// more often than reconcile_interval, its least being a minute.
	reconcile func()
	// maxOrders bounds a long demo.
	maxOrders int
	run       string // makes references unique when the demo reuses --data
	client    *http.Client

	mu       sync.Mutex
	lost     int64 // the order whose webhooks are lost, once placed
	rejected int64 // the order WICS refuses, once placed
	products int
	orders   int
	replayed int
	conflict int
	problems []string
}

// demoBurst is how many orders the shop places at once with its twentieth: more
// than WICS's 150 requests a minute.
const demoBurst = 200

// demoProducts are the shop's catalogue.
var demoProducts = []model.ProductRequest{
	{SKU: "DEMO-MUG", Name: "Mug, shiphub blue", Barcodes: []string{"8712345000019"}},
	{SKU: "DEMO-TEE", Name: "T-shirt, shiphub logo", Barcodes: []string{"8712345000026"}},
	{SKU: "DEMO-CAP", Name: "Cap, shiphub logo", Barcodes: []string{"8712345000033"}},
}

func newDemoShop(base, apiKey string, sl *demoServiceLayer, step time.Duration, reconcile func()) *demoShop {
	return &demoShop{base: base, apiKey: apiKey, sl: sl, step: max(step, 10*time.Millisecond), reconcile: reconcile,
		maxOrders: 500, run: strings.ToUpper(randomHex(2)), client: &http.Client{Timeout: 10 * time.Second}}
}

// Run places the products and the orders until ctx ends.
func (s *demoShop) Run(ctx context.Context) error {
	var cmds []int64
	for _, p := range demoProducts {
		var ans struct {
			Command model.Command `json:"command"`
		}
		status, err := s.post(ctx, "/api/v1/products", "product-"+p.SKU, map[string]any{
			"connection": demoSLConnection, "sku": p.SKU, "name": p.Name, "barcodes": p.Barcodes}, &ans)
		if err != nil {
			return s.stopped(ctx, err)
		}
		if status != http.StatusAccepted {
			s.problem("POST /products %s: %d", p.SKU, status)
			continue
		}
		cmds = append(cmds, ans.Command.ID)
		s.count(&s.products)
	}
	// An order of an item WICS does not know yet is refused, so the shop
	// waits until WICS has its products.
	for _, id := range cmds {
		if err := s.awaitCommand(ctx, id); err != nil {
			return s.stopped(ctx, err)
		}
	}
	tick := time.NewTicker(2 * s.step)
	defer tick.Stop()
	wake := time.NewTicker(max(10*s.step, time.Second))
	defer wake.Stop()
	for n := 1; ; {
		select {
		case <-ctx.Done():
			return nil
		case <-wake.C:
			s.reconcile()
		case <-tick.C:
			if n > s.maxOrders {
				continue
			}
			if err := s.placeOrder(ctx, n); err != nil {
				return s.stopped(ctx, err)
			}
			n++
		}
	}
}

// placeOrder places the shop's nth order, and shows an edge of the path
// with the first four (see demoShop).
func (s *demoShop) placeOrder(ctx context.Context, n int) error {
	ref := fmt.Sprintf("DEMO-%s-%04d", s.run, n)
	sku := demoProducts[n%len(demoProducts)].SKU
	if n == 4 {
		sku = "NO-SUCH-ITEM"
	}
	switch n {
	case 3:
		s.sl.srv.DropWebhooks(wicssim.DropRule{Key: ref, Times: 1000})
	}
	street := n%200 + 1
	order := map[string]any{
		"connection": demoSLConnection,
		"reference":  ref,
		"lines":      []map[string]any{{"sku": sku, "quantity": 1 + n%3}},
		"delivery_address": model.Address{FirstName: "Hans", LastName: "de Groot", Street: "Concordiaweg",
			HouseNumber: strconv.Itoa(street), Postcode: "4206BK", City: "Gorinchem", Country: "NL", Email: "hans@example.com"},
		"delivery_date":   time.Now().AddDate(0, 0, 1).Format(time.DateOnly),
		"shipping_method": "PostNL",
	}
	var first struct {
		Order model.Order `json:"order"`
	}
	status, err := s.post(ctx, "/api/v1/orders", "order-"+ref, order, &first)
	if err != nil {
		return err
	}
	if status != http.StatusAccepted {
		s.problem("POST /orders %s: %d", ref, status)
		return nil
	}
	s.mu.Lock()
	s.orders++
	switch n {
	case 3:
		s.lost = first.Order.ID
	case 4:
		s.rejected = first.Order.ID
	}
	s.mu.Unlock()
	switch n {
	case 1:
		var again struct {
			Order model.Order `json:"order"`
		}
		status, err := s.post(ctx, "/api/v1/orders", "order-"+ref, order, &again)
		if err != nil {
			return err
		}
		if status == http.StatusAccepted && again.Order.ID == first.Order.ID {
			s.count(&s.replayed)
		} else {
			s.problem("POST /orders %s again with its key: %d, order %d (first %d)", ref, status, again.Order.ID, first.Order.ID)
		}
	case 20:
		// Eight clients at once, as a shop's checkout would be.
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(8)
		for i := 1; i <= demoBurst; i++ {
			burst := maps.Clone(order)
			burst["reference"] = fmt.Sprintf("%s-B%03d", ref, i)
			burst["lines"] = []map[string]any{{"sku": demoProducts[i%len(demoProducts)].SKU, "quantity": 1}}
			g.Go(func() error {
				status, err := s.post(gctx, "/api/v1/orders", fmt.Sprintf("order-%s-B%03d", ref, i), burst, nil)
				if err != nil {
					return err
				}
				if status != http.StatusAccepted {
					s.problem("POST /orders %s-B%03d: %d", ref, i, status)
					return nil
				}
				s.count(&s.orders)
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
	case 2:
		status, err := s.post(ctx, "/api/v1/orders", "", order, nil)
		if err != nil {
			return err
		}
		if status == http.StatusConflict {
			s.count(&s.conflict)
		} else {
			s.problem("POST /orders %s again without a key: %d, not 409", ref, status)
		}
	}
	return nil
}

// awaitCommand waits until a command succeeded, or is dead (a problem).
func (s *demoShop) awaitCommand(ctx context.Context, id int64) error {
	tick := time.NewTicker(s.step / 2)
	defer tick.Stop()
	for {
		var c model.Command
		if _, err := s.get(ctx, fmt.Sprintf("/api/v1/commands/%d", id), &c); err != nil {
			return err
		}
		switch c.Status {
		case model.CommandSucceeded:
			return nil
		case model.CommandDead:
			s.problem("command %d (%s) is dead: %s", id, c.Kind, c.LastError)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (s *demoShop) count(n *int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*n++
}

func (s *demoShop) problem(format string, a ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.problems = append(s.problems, fmt.Sprintf(format, a...))
}

// stopped is nil for an error that only says the demo ended.
func (s *demoShop) stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// post sends a JSON body with an Idempotency-Key (none when key is empty)
// and decodes a 2xx answer into out.
func (s *demoShop) post(ctx context.Context, path, key string, body, out any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, fmt.Errorf("encoding the request of %s: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+path, bytes.NewReader(b))
	if err != nil {
		return 0, fmt.Errorf("building POST %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", s.run+"-"+key)
	}
	return s.do(req, out)
}

func (s *demoShop) get(ctx context.Context, path string, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return 0, fmt.Errorf("building GET %s: %w", path, err)
	}
	return s.do(req, out)
}

func (s *demoShop) do(req *http.Request, out any) (int, error) {
	req.Header.Set("Authorization", "Bearer "+s.apiKey)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("reading the answer of %s %s: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode/100 == 2 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decoding the answer of %s %s: %w", req.Method, req.URL.Path, err)
		}
	}
	return resp.StatusCode, nil
}

// demoCommandPath is what the summary shows of the command path, read
// through the merchant API (and the hub's /metrics for reconciliation).
type demoCommandPath struct {
	commands     map[model.CommandStatus]int
	orders       map[string]int
	tracked      int    // shipped orders with a shipment linked
	lost         string // the status of the order whose webhooks were lost
	rejected     string // the status and error of the order WICS refused
	subscribed   int
	budget       *model.ConnectionBudget
	health       string
	reconciled   int
	wicsOrders   int
	wicsLimits   wicssim.UserStats
	placed       string
	problemsSeen []string
}

// observe reads the command path's state.
func (s *demoShop) observe(ctx context.Context) (demoCommandPath, error) {
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	p := demoCommandPath{commands: map[model.CommandStatus]int{}, orders: map[string]int{}}
	var errs []error
	cursor := ""
	for range 100 {
		var page struct {
			Data       []model.Command `json:"data"`
			NextCursor string          `json:"next_cursor"`
		}
		if _, err := s.get(qctx, "/api/v1/commands?limit=200&connection="+demoSLConnection+"&cursor="+url.QueryEscape(cursor), &page); err != nil {
			errs = append(errs, err)
			break
		}
		for _, c := range page.Data {
			p.commands[c.Status]++
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	cursor = ""
	for range 100 {
		var page struct {
			Data       []model.Order `json:"data"`
			NextCursor string        `json:"next_cursor"`
		}
		if _, err := s.get(qctx, "/api/v1/orders?limit=200&connection="+demoSLConnection+"&cursor="+url.QueryEscape(cursor), &page); err != nil {
			errs = append(errs, err)
			break
		}
		for _, o := range page.Data {
			p.orders[string(o.Status)]++
			if o.Status == model.OrderShipped && len(o.ShipmentIDs) > 0 {
				p.tracked++
			}
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	var conns struct {
		Data []model.ConnectionStatus `json:"data"`
	}
	if _, err := s.get(qctx, "/api/v1/connections", &conns); err != nil {
		errs = append(errs, err)
	}
	for _, c := range conns.Data {
		if c.ID == demoSLConnection {
			p.budget, p.health = c.Budget, c.Health.Status
		}
	}
	s.mu.Lock()
	lost, rejected := s.lost, s.rejected
	s.mu.Unlock()
	if lost > 0 {
		var o model.Order
		if _, err := s.get(qctx, fmt.Sprintf("/api/v1/orders/%d", lost), &o); err != nil {
			errs = append(errs, err)
		}
		p.lost = fmt.Sprintf("%s %s", o.Reference, o.Status)
	}
	if rejected > 0 {
		var o model.Order
		if _, err := s.get(qctx, fmt.Sprintf("/api/v1/orders/%d", rejected), &o); err != nil {
			errs = append(errs, err)
		}
		p.rejected = fmt.Sprintf("%s %s", o.Reference, o.Status)
		if o.LastCommand != nil && o.LastCommand.Error != "" {
			p.rejected += fmt.Sprintf(" (command %s: %s)", o.LastCommand.Status, o.LastCommand.Error)
		}
	}
	found, err := s.reconcileFound(qctx)
	if err != nil {
		errs = append(errs, err)
	}
	p.reconciled = found
	p.subscribed = s.sl.subscriptions()
	p.wicsOrders = s.sl.srv.Orders()
	p.wicsLimits = s.sl.srv.Limits(s.sl.key)
	s.mu.Lock()
	p.placed = fmt.Sprintf("shop placed %d products, %d orders (%d replayed by Idempotency-Key, %d refused 409)",
		s.products, s.orders, s.replayed, s.conflict)
	p.problemsSeen = append([]string(nil), s.problems...)
	s.mu.Unlock()
	return p, errors.Join(errs...)
}

// reconcileFound sums shiphub_reconcile_found_total of the connection
// from the hub's /metrics.
func (s *demoShop) reconcileFound(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/metrics", nil)
	if err != nil {
		return 0, fmt.Errorf("building GET /metrics: %w", err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET /metrics: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return 0, fmt.Errorf("reading /metrics: %w", err)
	}
	return sumSeries(string(b), "shiphub_reconcile_found_total", `connection="`+demoSLConnection+`"`), nil
}

// sumSeries adds up the samples of a metric, in Prometheus's text format,
// whose labels include label.
func sumSeries(text, metric, label string) int {
	var total float64
	for line := range strings.SplitSeq(text, "\n") {
		rest, ok := strings.CutPrefix(line, metric+"{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok || !strings.Contains(labels, label) {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			total += v
		}
	}
	return int(total)
}

// String is the summary's lines of the command path.
func (p demoCommandPath) String() string {
	var cmds []string
	for _, st := range model.CommandStatuses {
		cmds = append(cmds, fmt.Sprintf("%s %d", st, p.commands[st]))
	}
	var orders []string
	for st, n := range p.orders {
		orders = append(orders, fmt.Sprintf("%s %d", st, n))
	}
	sort.Strings(orders)
	budget := "budget unknown"
	if b := p.budget; b != nil {
		blocked := "-"
		if b.BlockedUntil != nil {
			blocked = b.BlockedUntil.UTC().Format(time.RFC3339)
		}
		budget = fmt.Sprintf("budget left minute %d/%d, day %d/%d, blocked_until %s, violations %d",
			b.MinuteLeft, b.PerMinute, b.DayLeft, b.PerDay, blocked, b.Violations)
	}
	out := fmt.Sprintf("%s commands (%s) | orders (%s), shipped with tracking %d\n       %s: %s | subscriptions %d\n       %s | reconcile found %d | orders at WICS %d",
		demoSLConnection, strings.Join(cmds, ", "), strings.Join(orders, ", "), p.tracked,
		demoSLConnection, p.placed, p.subscribed, budget, p.reconciled, p.wicsOrders)
	l := p.wicsLimits
	out += fmt.Sprintf("\n       WICS counted for the login: %d requests, at most %d in a minute, %d answered 429, %d blocks",
		l.Requests, l.MaxPerMinute, l.Refused, len(l.Blocks))
	if p.lost != "" {
		out += "\n       webhooks lost: " + p.lost
	}
	if p.rejected != "" {
		out += " | refused by WICS: " + p.rejected
	}
	if p.health != "" && p.health != "healthy" {
		out += ", health " + p.health
	}
	for _, pr := range p.problemsSeen {
		out += "\n       problem: " + pr
	}
	return out
}
