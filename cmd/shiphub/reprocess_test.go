package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

// TestReprocessRebuildsCanonicalState applies messages, rebuilds all
// canonical state from the raw inbox with `shiphub reprocess`, and finds the
// same shipments again.
func TestReprocessRebuildsCanonicalState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db"))
	h := startHub(t, cfgPath)
	status, _ := do(t, http.MethodGet, h.URL+"/hooks/acme/courier?"+courierGETExample, courierHeader, "")
	require.Equal(t, http.StatusOK, status)
	status, _ = do(t, http.MethodPost, h.URL+"/hooks/acme/courier", courierJSON,
		`{"order":"ASS123456789","status":"DELIVERED","statustime":"20230718120000","statuscode":"DELIVERED"}`)
	require.Equal(t, http.StatusOK, status)
	status, _ = do(t, http.MethodPost, h.URL+"/hooks/acme/ws", map[string]string{"x-api-key": wsKey}, winkelstraatExample)
	require.Equal(t, http.StatusOK, status)
	before := trackOne(t, h, "ASS123456789", 2)
	require.Equal(t, model.StatusDelivered, before.Status)
	trackOne(t, h, "1Z7E3V556825150AAP", 1)
	feedBefore := feedIDs(t, h)

	refused := exec.Command(binary, "reprocess", "--config", cfgPath)
	refused.Env = append(os.Environ(), "ACME_KEY="+acmeKey, "COURIER_KEY="+courierKey, "SHIPHUB_SECRETS_KEY="+secretsKey)
	out, err := refused.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "reprocess refuses while the hub runs: %s", out)
	require.Equal(t, 1, exit.ExitCode())
	require.Contains(t, string(out), "a hub is running on this database")
	require.Contains(t, string(out), "stop every hub on it before reprocessing")
	require.NotContains(t, string(out), "reprocessing workspaces", "it changed nothing")
	h.stop(t)

	cmd := exec.Command(binary, "reprocess", "--config", cfgPath)
	cmd.Env = append(os.Environ(), "ACME_KEY="+acmeKey, "COURIER_KEY="+courierKey, "SHIPHUB_SECRETS_KEY="+secretsKey)
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "a stopped hub gave its lease up: %s", out)
	require.Contains(t, string(out), "reprocessing workspaces [acme other]")
	require.Contains(t, string(out), "done: 3 messages")
	require.Contains(t, string(out), "0 shipments changed status, 0 are new", "the same mapping changes nothing")

	h = startHub(t, cfgPath)
	after := trackOne(t, h, "ASS123456789", 2)
	require.Equal(t, before.ID, after.ID, "ids merchants stored stay valid")
	require.Equal(t, before.Status, after.Status)
	require.Len(t, after.Events, len(before.Events))
	require.Equal(t, before.Events[0].OccurredAt, after.Events[0].OccurredAt)
	require.Equal(t, before.References, after.References)
	require.Equal(t, model.StatusInTransit, trackOne(t, h, "1Z7E3V556825150AAP", 1).Status)
	require.Equal(t, feedBefore, feedIDs(t, h), "merchants are not sent everything again")
}

// stop ends the hub with SIGTERM, as an operator would, and waits for it.
func (h *hub) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, h.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, h.cmd.Wait(), "the hub stops cleanly")
}
