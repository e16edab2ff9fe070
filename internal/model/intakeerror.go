package model

import "time"

// IntakeError is an inbound message the hub could not accept and kept
// aside: an FTP file that does not parse, or one over the size cap. It is
// recorded so the merchant can see what a provider sent and why it was
// refused; nothing of it reached the inbox.
type IntakeError struct {
	ID         int64  `json:"id"`
	Workspace  string `json:"workspace"`
	Connection string `json:"connection"`
	// Source is the channel it arrived through (ftp).
	Source Source `json:"source"`
	// Name is the file name as the provider sent it.
	Name string `json:"name"`
	// Reason says why it was refused.
	Reason string `json:"reason"`
	// Ref is where the raw bytes were kept (a quarantine file, relative to
	// the FTP data directory); empty when they were not.
	Ref string `json:"ref,omitempty"`
	// Size is the number of bytes received.
	Size int64 `json:"size"`
	// Body is the raw bytes, when they were kept in the database (up to
	// IntakeErrorBodyCap).
	Body       []byte    `json:"-"`
	ReceivedAt time.Time `json:"received_at"`
}

// IntakeErrorBodyCap is how many bytes of a refused message the database
// keeps; the quarantine file keeps all of them.
const IntakeErrorBodyCap = 64 << 10
