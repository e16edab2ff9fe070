package model

import "time"

// Resource is what every fulfilment resource carries (DESIGN.md, "Fulfilment
// contract"): where it lives, which provider stated it, and the provider's
// own key within the connection.
type Resource struct {
	ID         int64  `json:"id"`
	Workspace  string `json:"workspace"`
	Connection string `json:"connection"`
	Provider   string `json:"provider"`
	// ProviderRef is the provider's own key of the resource within the
	// connection (WICS's order number, a receipt number), or empty when the
	// provider keys it by the merchant's reference alone.
	ProviderRef string    `json:"provider_ref,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// FactTimes records, by field name, the provider's time of the
	// statement that set the field, so that a statement arriving late does
	// not overwrite a newer one (see Stated). Stored, not part of the API.
	FactTimes map[string]time.Time `json:"-"`
}

// ProviderStatus is a provider's own status, kept verbatim beside the
// canonical one: its code and its description in the provider's words.
type ProviderStatus struct {
	Code        string `json:"code"`
	Description string `json:"description,omitempty"`
}

// Stated reports whether a statement made at asOf about field may replace
// what the resource holds, and if so records asOf as the field's time.
// A statement without a time (asOf zero) replaces only a field no timed
// statement has set. Equal times replace, so that applying the same
// message again is idempotent and the last of two simultaneous statements
// is decided by the caller's deterministic order, not by arrival.
func (r *Resource) Stated(field string, asOf time.Time) bool {
	if r.FactTimes == nil {
		r.FactTimes = map[string]time.Time{}
	}
	held, ok := r.FactTimes[field]
	if ok && asOf.Before(held) {
		return false
	}
	if !ok || !asOf.IsZero() {
		r.FactTimes[field] = asOf
	}
	return true
}
