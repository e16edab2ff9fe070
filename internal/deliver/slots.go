package deliver

import (
	"context"
	"sync"
	"time"

	"github.com/shiphub/shiphub/internal/store"
)

// slots is the worker's accounting of what is in flight, so that a slow or
// hanging endpoint holds only its own deliveries:
//
//   - the worker has Concurrency slots; an attempt holds one while it is
//     sent, and so does a claimed delivery waiting for its endpoint;
//   - an endpoint has at most EndpointConcurrency attempts in flight;
//     further deliveries claimed for it wait, in claim order, for one of
//     them to end (at most BatchSize of them; more are left to their
//     claim's expiry and sent later);
//   - an attempt that has run for SlowAfter gives its slot back and marks
//     its endpoint slow until it ends; the deliveries waiting for a slow
//     endpoint hold no slot either. So the slots go to other endpoints
//     however many endpoints hang, and a slow endpoint still gets its own
//     deliveries through one after another.
//
// A waiting delivery starts only within Timeout of its claim, so that its
// attempt is recorded before the claim expires (see lease); an older one is
// left to its claim's expiry, and sent again later.
type slots struct {
	mu sync.Mutex
	// used is the worker slots taken by attempts that are not slow and by
	// deliveries waiting for an endpoint that is not slow.
	used      int
	endpoints map[int64]*endpointLoad
}

// endpointLoad is what one endpoint has in flight.
type endpointLoad struct {
	running int // attempts in flight, until their answers are in
	slow    int // of which gave their worker slot back
	waiting []waiter
}

// waiter is a claimed delivery waiting for its endpoint.
type waiter struct {
	job       *store.DeliveryJob
	claimedAt time.Time
}

// inFlight is one attempt's place in the accounting; its fields are guarded
// by slots.mu.
type inFlight struct {
	endpoint  int64
	workspace string
	slow      bool
	done      bool
}

// free is how many worker slots are free.
func (s *slots) free(concurrency int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return concurrency - s.used
}

// waiting is how many claimed deliveries wait for their endpoint holding
// a worker slot (those of endpoints that are not slow).
func (s *slots) waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ep := range s.endpoints {
		if ep.slow == 0 {
			n += len(ep.waiting)
		}
	}
	return n
}

// sent is an attempt's result on its way to the recorder; recorded is
// closed once it is stored, or given up on.
type sent struct {
	r        store.AttemptResult
	recorded chan struct{}
}

// dispatcher starts the attempts of one run of the worker.
type dispatcher struct {
	w       *Worker
	ctx     context.Context
	results chan *sent
	// senders counts the attempts in flight. Every Add happens on the run
	// loop, or in a sender before its own Done, so the count is never zero
	// then and Wait on stop sees every attempt.
	senders sync.WaitGroup
	// idle hands an attempt to a sender goroutine that has finished its
	// last one and waits for the next (see sender).
	idle chan attempt
	// stopped ends the waiting senders once the run is over; alive counts
	// the sender goroutines, so that the run ends after the last of them.
	stopped chan struct{}
	alive   sync.WaitGroup
}

// attempt is one delivery to send and its place in the accounting.
type attempt struct {
	job *store.DeliveryJob
	a   *inFlight
}

// senderIdle is how long a sender goroutine waits for its next attempt
// before it ends.
const senderIdle = 5 * time.Second

// offer takes a claimed delivery: it is sent now, waits for its endpoint,
// or, when its endpoint's queue is full, is left to its claim's expiry and
// sent later.
func (d *dispatcher) offer(job *store.DeliveryJob, claimedAt time.Time) {
	s := &d.w.slots
	s.mu.Lock()
	defer s.mu.Unlock()
	id := job.Delivery.EndpointID
	ep := s.endpoints[id]
	if ep == nil {
		ep = &endpointLoad{}
		s.endpoints[id] = ep
	}
	switch {
	case ep.running < d.w.cfg.EndpointConcurrency:
		ep.running++
		s.used++
		d.launch(job)
	case len(ep.waiting) < d.w.cfg.BatchSize:
		ep.waiting = append(ep.waiting, waiter{job: job, claimedAt: claimedAt})
		if ep.slow == 0 {
			s.used++
		}
	default:
		d.w.log.Debug("webhook endpoint busy; the delivery is sent when its claim expires",
			"workspace", job.Delivery.Workspace, "endpoint", id, "delivery", job.Delivery.ID)
	}
}

// launch starts an attempt whose slots are taken; s.mu is held. A waiting
// sender takes it if there is one; otherwise a new one starts.
func (d *dispatcher) launch(job *store.DeliveryJob) {
	next := attempt{job: job, a: &inFlight{endpoint: job.Delivery.EndpointID, workspace: job.Delivery.Workspace}}
	d.senders.Add(1)
	select {
	case d.idle <- next:
	default:
		d.w.sendersStarted.Add(1)
		d.alive.Go(func() { d.sender(next) })
	}
}

// sender makes the attempt it was started with, then those launch hands
// it while it waits, until it has waited senderIdle or the run is over. A
// goroutine a attempt was the rule before: its stack, started small, was
// grown and copied for every HTTP request and signature (runtime.newstack,
// 3 % of the hub's CPU in the end-to-end benchmark, most of it under
// SHA-256), and each new goroutine woke a thread to run it. A waiting
// sender keeps the stack it grew.
func (d *dispatcher) sender(next attempt) {
	idle := time.NewTimer(senderIdle)
	defer idle.Stop()
	for {
		d.send(next.job, next.a)
		idle.Reset(senderIdle)
		select {
		case next = <-d.idle:
		case <-idle.C:
			return
		case <-d.stopped:
			return
		}
	}
}

// send makes one attempt and frees its endpoint's place as soon as the
// answer is in, so the endpoint's next delivery goes out while this result
// is being stored; it hands the result to the recorder and waits for it to
// be stored before it frees its worker slot. (Holding the endpoint's place
// through the record as well made one endpoint's rate EndpointConcurrency
// over the send and the record together.)
func (d *dispatcher) send(job *store.DeliveryJob, a *inFlight) {
	defer d.senders.Done()
	slow := time.AfterFunc(d.w.cfg.SlowAfter, func() { d.demote(a) })
	r, result, ok := d.w.safeAttempt(d.ctx, job)
	slow.Stop()
	d.release(a)
	if ok {
		d.w.count(job, result)
		s := &sent{r: r, recorded: make(chan struct{})}
		d.results <- s
		<-s.recorded
	}
	d.freeSlot(a)
}

// freeSlot gives back the worker slot of an attempt whose result is
// stored (or given up on); a slow attempt gave it back already.
func (d *dispatcher) freeSlot(a *inFlight) {
	s := &d.w.slots
	s.mu.Lock()
	defer s.mu.Unlock()
	if !a.slow {
		s.used--
	}
	d.w.Notify()
}

// demote gives the worker slot of an attempt that has run for SlowAfter
// back, and marks its endpoint slow: the deliveries waiting for it give
// their slots back too.
func (d *dispatcher) demote(a *inFlight) {
	s := &d.w.slots
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.done || a.slow {
		return
	}
	a.slow = true
	s.used--
	ep := s.endpoints[a.endpoint]
	if ep.slow == 0 {
		s.used -= len(ep.waiting)
		d.w.log.Info("webhook endpoint is slow; its deliveries give their worker slots to other endpoints",
			"workspace", a.workspace, "endpoint", a.endpoint, "after", d.w.cfg.SlowAfter, "waiting", len(ep.waiting))
	}
	ep.slow++
	d.w.Notify()
}

// release frees an ended attempt's place at its endpoint and starts the
// next deliveries waiting for the endpoint; its worker slot is freeSlot's.
func (d *dispatcher) release(a *inFlight) {
	s := &d.w.slots
	s.mu.Lock()
	defer s.mu.Unlock()
	a.done = true
	ep := s.endpoints[a.endpoint]
	ep.running--
	if a.slow {
		ep.slow--
		if ep.slow == 0 {
			s.used += len(ep.waiting) // they hold slots again
		}
	}
	for len(ep.waiting) > 0 && ep.running < d.w.cfg.EndpointConcurrency {
		next := ep.waiting[0]
		ep.waiting = ep.waiting[1:]
		holds := ep.slow == 0 // the waiting delivery holds a slot already
		// An attempt started within one timeout of the claim is recorded
		// before the claim expires (see lease); a slow endpoint's delivery
		// needs a free slot.
		if d.ctx.Err() != nil || time.Since(next.claimedAt) >= d.w.cfg.Timeout || (!holds && s.used >= d.w.cfg.Concurrency) {
			if holds {
				s.used--
			}
			continue // left to its claim's expiry
		}
		if !holds {
			s.used++
		}
		ep.running++
		d.launch(next.job)
	}
	if ep.running == 0 && len(ep.waiting) == 0 {
		delete(s.endpoints, a.endpoint)
	}
	d.w.Notify()
}
