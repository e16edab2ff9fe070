package sqlstore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// committer runs commitLoop on a store with no database, recording the size
// of each batch it would commit; queued appends are in its queue before it
// starts.
func committer(t *testing.T, linger time.Duration, queued int) (reqs chan *appendReq, batches chan int) {
	t.Helper()
	s := &Store{reqs: make(chan *appendReq, 256), maxBatch: 64, commitLinger: linger, committed: make(chan struct{})}
	for range queued {
		s.reqs <- &appendReq{}
	}
	batches = make(chan int, 64)
	go s.commitLoop(func(b []*appendReq) { batches <- len(b) })
	t.Cleanup(func() {
		close(s.reqs)
		<-s.committed
	})
	return s.reqs, batches
}

func nextBatch(t *testing.T, batches chan int) int {
	t.Helper()
	select {
	case n := <-batches:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no commit")
		return 0
	}
}

// TestACommitWaitsForTheRestOfABurst: after a commit of ten, appends that
// arrive after it wait for more, up to half of ten, before they are
// committed (the others of a burst are on their way). The linger has no end
// here: four appends, all taken from the queue, are not committed, and the
// fifth starts the commit of the five. Without the wait, the first four
// would have been committed before the fifth was sent.
func TestACommitWaitsForTheRestOfABurst(t *testing.T) {
	t.Parallel()
	reqs, batches := committer(t, time.Hour, 10)
	require.Equal(t, 10, nextBatch(t, batches), "the queued burst is one commit")
	for range 4 {
		reqs <- &appendReq{}
	}
	require.Eventually(t, func() bool { return len(reqs) == 0 }, 10*time.Second, time.Millisecond, "the committer takes the four appends")
	reqs <- &appendReq{}
	require.Equal(t, 5, nextBatch(t, batches), "the commit takes the four appends and the fifth")
}

// TestALingerEnds: an append that waits for others that do not come is
// committed once CommitLinger has passed; with no recent commit larger than
// one, nothing waits at all.
func TestALingerEnds(t *testing.T) {
	t.Parallel()
	reqs, batches := committer(t, 20*time.Millisecond, 10)
	require.Equal(t, 10, nextBatch(t, batches))
	start := time.Now()
	reqs <- &appendReq{}
	require.Equal(t, 1, nextBatch(t, batches))
	require.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond, "it waited for the linger")

	// Without recent bursts (a commit of one each time), no wait.
	reqs, batches = committer(t, time.Hour, 0)
	for range 3 {
		reqs <- &appendReq{}
		require.Equal(t, 1, nextBatch(t, batches))
	}
}
