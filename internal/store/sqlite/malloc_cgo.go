//go:build cgo && !shiphub_puregosqlite

package sqlite

/*
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
// shiphub_malloc_keep_freed_memory returns 1 when glibc took both settings,
// 0 when it refused one, and -1 where the C library is not glibc.
static int shiphub_malloc_keep_freed_memory(int trim, int mmap) {
	return mallopt(M_TRIM_THRESHOLD, trim) == 1 && mallopt(M_MMAP_THRESHOLD, mmap) == 1;
}
#else
static int shiphub_malloc_keep_freed_memory(int trim, int mmap) { return -1; }
#endif
*/
import "C"

// SQLite allocates its memory with the C library's malloc. Every statement
// of a write transaction keeps the original pages it changes in a statement
// journal in memory (see stmtJournalSpill): a shipment insert's 60-120 KiB,
// freed when the statement ends. glibc gave that memory back to the kernel
// as soon as more than 128 KiB was free at the top of a heap
// (M_TRIM_THRESHOLD), with madvise, so the next statement took page faults
// and zeroed pages to get it again: a run of BenchmarkInsertShipments
// (10,000 shipments) took 11,000-78,000 page faults, 8,000-9,700 with the
// freed memory kept, and 0.84-0.94x the CPU (three alternated pairs, perf
// stat's task clock). The C heap keeps up to mallocTrim free before it
// trims; the Go heap is not the C library's and is not
// affected. M_MMAP_THRESHOLD is set too, because setting the trim threshold
// turns off glibc's adjusting of it: blocks from mallocMmap up are mapped
// and unmapped on their own, as before for the large ones.
const (
	mallocTrim = 4 << 20
	mallocMmap = 1 << 20
)

// mallocKeepsFreedMemory is 1 when glibc took mallocTrim and mallocMmap, 0
// when it refused, -1 when the C library is not glibc.
var mallocKeepsFreedMemory = int(C.shiphub_malloc_keep_freed_memory(C.int(mallocTrim), C.int(mallocMmap)))
