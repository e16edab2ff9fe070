package commands_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// The crash test's child process reads where to work from these.
const (
	crashDBEnv   = "SHIPHUB_CMDQ_CRASH_DB"
	crashMarkEnv = "SHIPHUB_CMDQ_CRASH_MARK"
)

// crashConfig is the queue's configuration on both sides of the crash: a
// job whose worker died is taken for stuck after 2s.
func crashConfig() config.Commands {
	c := testConfig(50 * time.Millisecond)
	c.AttemptTimeout = time.Second
	c.RescueAfter = 2 * time.Second
	return c
}

// TestCrashBetweenSendingAndRecording kills (SIGKILL) a hub process whose
// worker has sent a command but not recorded it, and shows that the
// command is not lost: a queue started afterwards on the same database
// takes the stuck job over and sends the command again, and it succeeds.
// (That the second send makes no second order at the provider is the
// connector's idempotency, tested with the WICS simulator.)
func TestCrashBetweenSendingAndRecording(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, mark := filepath.Join(dir, "hub.db"), filepath.Join(dir, "sent")

	child := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	child.Env = append(os.Environ(), crashDBEnv+"="+db, crashMarkEnv+"="+mark)
	out, err := child.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the child must die, not finish: %s", out)
	status, ok := exit.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.True(t, status.Signaled() && status.Signal() == syscall.SIGKILL, "the child was killed: %s", out)
	sent, err := os.ReadFile(mark)
	require.NoError(t, err, "the child sent the command before it died")
	id, err := strconv.ParseInt(string(sent), 10, 64)
	require.NoError(t, err)

	s, err := sqlite.New(context.Background(), sqlite.Config{Path: db, Synchronous: "NORMAL"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	c, err := s.GetCommand(context.Background(), "acme", id)
	require.NoError(t, err)
	require.Equal(t, model.CommandRunning, c.Status, "the dead worker recorded nothing")
	require.Equal(t, 1, c.Attempts)

	// River takes a job for stuck once it has run longer than RescueAfter;
	// a queue that starts earlier would wait for its rescuer's next round.
	cfg := crashConfig()
	waitFor(t, 10*time.Second, "the dead worker's job to be overdue", func() bool {
		return time.Since(c.UpdatedAt) > cfg.RescueAfter+500*time.Millisecond
	})
	sender := &fakeSender{}
	startQueue(t, s, s, sender, cfg, nil)
	// The dead instance was River's leader, and only a leader rescues: its
	// leadership must lapse first (River's TTL, some 15s).
	done := waitStatusWithin(t, s, id, model.CommandSucceeded, 90*time.Second)
	require.Equal(t, 1, sender.sent(id), "the command was sent again, once")
	require.Equal(t, 2, done.Attempts)
	cmds, err := s.ListCommands(context.Background(), store.CommandFilter{Workspace: "acme"})
	require.NoError(t, err)
	require.Len(t, cmds, 1)
}

// TestCrashChild is the hub process TestCrashBetweenSendingAndRecording
// kills; it does nothing unless that test started it.
func TestCrashChild(t *testing.T) {
	db, mark := os.Getenv(crashDBEnv), os.Getenv(crashMarkEnv)
	if db == "" {
		t.Skip("run by TestCrashBetweenSendingAndRecording")
	}
	s, err := sqlite.New(context.Background(), sqlite.Config{Path: db, Synchronous: "NORMAL"})
	require.NoError(t, err)
	sender := &fakeSender{answer: func(cmd *model.Command, _ int, _ any) (*provider.CommandAnswer, error) {
		// The provider has the command; the process dies before the
		// answer is recorded.
		if err := os.WriteFile(mark, []byte(strconv.FormatInt(cmd.ID, 10)), 0o600); err != nil {
			panic(err)
		}
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}}
	q := startQueue(t, s, s, sender, crashConfig(), nil)
	submitOrder(t, q, "WT-1")
	waitFor(t, 30*time.Second, "the kill", func() bool { return false })
}
