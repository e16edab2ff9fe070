package provider

import (
	"crypto/sha256"
	"encoding/hex"
)

// timeLedHashBytes is how much of the SHA-256 a time-led key keeps: 128
// bits, far from a collision among the inbox's messages.
const timeLedHashBytes = 16

// TimeLedKey is an inbox dedup key made of at, the time of the update as
// its message states it (a retry states the same), then "-" and the first
// 128 bits of the SHA-256 of content in hex; with at empty, the hash alone.
//
// The time leads so that the keys of the messages arriving now sort next to
// each other: the inbox's unique index on the key then grows at one place,
// as its table does, where a key that is all hash lands each message on a
// leaf page of its own. SQLite's write-ahead log holds whole pages, so that
// was 1.4-1.75 pages written a message where time-led keys take 0.6, and
// on a store of 10 million messages, whose leaves of hashed keys no longer
// fit the cache, a read from the disk a message besides: the end-to-end
// benchmark's acknowledgements there went from 4,350-5,300 a second to
// 8,340 (BENCHMARKS.md, issue 14, the ninth round). at must sort as its
// time does (fixed-width digits, one zone) for the keys to.
func TimeLedKey(at string, content []byte) string {
	sum := sha256.Sum256(content)
	if at == "" {
		return hex.EncodeToString(sum[:timeLedHashBytes])
	}
	key := make([]byte, 0, len(at)+1+2*timeLedHashBytes)
	key = append(key, at...)
	key = append(key, '-')
	return string(hex.AppendEncode(key, sum[:timeLedHashBytes]))
}
