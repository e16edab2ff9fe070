package pipeline

import (
	"context"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/store"
)

// applier is the apply step of one kind of change (see model.Changes). The
// pipeline normalises a message once and hands its change set to every
// applier in turn, within the batch's transaction: first every check, so
// that a message whose changes of any kind cannot be stored is set aside
// before anything of it is written, then every apply.
//
// A new kind gets an applier in a file of its own (shipments.go is the
// model) and an entry in appliers. An applier reads only its own field of
// the change set; it may read the state earlier appliers wrote in the same
// transaction, which is how links between kinds are made (a shipment finds
// the order its OrderReference names once orders are applied before it).
type applier interface {
	// kind names the kind of change, for errors.
	kind() string
	// check refuses changes of its kind the hub cannot store: a value the
	// database would refuse, a missing key. The message is then marked
	// failed with the error, and nothing of it is applied.
	check(c *model.Changes) error
	// apply writes the changes of its kind, appends their feed entries
	// (unless the run is quiet) and records in the run's result what the
	// metrics count after commit. An error aborts the batch.
	apply(ctx context.Context, run *applyRun, c *model.Changes) error
}

// appliers are the apply steps, in the order they run: kinds that others
// link to come first.
var appliers = []applier{
	orderApplier{},
	productApplier{},
	stockApplier{},
	stockMutationApplier{},
	inboundApplier{},
	returnApplier{},
	shipmentApplier{},
}

// applyRun is what an applier needs of the message being applied.
type applyRun struct {
	p      *Pipeline
	tx     store.Tx
	msg    *model.InboxMessage
	result *result
}

// quiet reports whether feed entries are left out (a rebuild).
func (r *applyRun) quiet() bool { return r.p.quiet }

// MaxKeyBytes caps the provider's values the database indexes: the provider
// reference, reference values and event dedup keys. PostgreSQL refuses an
// index entry over about 2,700 bytes, and a refused row would fail its batch
// on every retry.
const MaxKeyBytes = 512

// checkKey refuses a value the database indexes that it cannot store: one
// that is not valid UTF-8 or holds a NUL byte (PostgreSQL refuses both in
// text), or is longer than MaxKeyBytes.
func checkKey(what, v string) error {
	switch {
	case !utf8.ValidString(v):
		return fmt.Errorf("%s %q is not valid UTF-8", what, v)
	case strings.IndexByte(v, 0) >= 0:
		return fmt.Errorf("%s %q holds a NUL byte", what, v)
	case len(v) > MaxKeyBytes:
		return fmt.Errorf("%s is %d bytes long, over the %d the hub indexes", what, len(v), MaxKeyBytes)
	}
	return nil
}

// finite refuses a number that is not finite: JSON has no NaN, so the
// resource could not be encoded.
func finite(what string, v *float64) error {
	if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
		return fmt.Errorf("%s is not a finite number", what)
	}
	return nil
}
