package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

type failedPage struct {
	Data []struct {
		ID         int64  `json:"id"`
		Connection string `json:"connection"`
		Failure    string `json:"failure"`
		Excerpt    string `json:"excerpt"`
	} `json:"data"`
	NextCursor string `json:"next_cursor"`
}

// TestAMessageTheHubCannotStoreIsListedAndRetriedWhileTheHubRuns sends the
// courier's document example with a NUL byte in its order number, which the
// intake accepts and the database cannot index. The hub keeps applying
// other messages, lists the failed one for the merchant, and retries it on
// request, with the hub running.
func TestAMessageTheHubCannotStoreIsListedAndRetriedWhileTheHubRuns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := startHub(t, writeConfig(t, dir, "sqlite:"+filepath.Join(dir, "hub.db")))

	bad := strings.Replace(courierPOSTExample, `"order":"ASK132456798"`, `"order":"ASK\u0000132456798"`, 1)
	require.NotEqual(t, courierPOSTExample, bad)
	status, body := do(t, http.MethodPost, h.URL+"/hooks/acme/courier", courierJSON, bad)
	require.Equal(t, http.StatusOK, status, "%s", body)

	var page failedPage
	eventually(t, 10*time.Second, "the message is listed as failed", func() bool {
		page = failedPage{}
		return apiGet(t, h, acmeKey, "/api/v1/inbox/failed", &page) == http.StatusOK && len(page.Data) == 1
	})
	require.Equal(t, "courier", page.Data[0].Connection)
	require.Contains(t, page.Data[0].Failure, "NUL byte")
	require.Contains(t, page.Data[0].Excerpt, `"statuscode":"take"`)
	var other failedPage
	require.Equal(t, http.StatusOK, apiGet(t, h, otherKey, "/api/v1/inbox/failed", &other))
	require.Empty(t, other.Data, "another workspace does not see it")

	status, body = do(t, http.MethodPost, h.URL+"/hooks/acme/courier", courierJSON, courierPOSTExample)
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.Equal(t, model.StatusInTransit, trackOne(t, h, "ASK132456798", 1).Status, "the hub goes on applying")

	id := page.Data[0].ID
	auth := map[string]string{"Authorization": "Bearer " + acmeKey}
	status, body = do(t, http.MethodPost, fmt.Sprintf("%s/api/v1/inbox/%d/retry", h.URL, id), auth, "")
	require.Equal(t, http.StatusAccepted, status, "%s", body)
	eventually(t, 10*time.Second, "the retried message fails again, with the same mapping", func() bool {
		page = failedPage{}
		return apiGet(t, h, acmeKey, "/api/v1/inbox/failed", &page) == http.StatusOK && len(page.Data) == 1
	})
	require.Equal(t, id, page.Data[0].ID)

	status, body = do(t, http.MethodPost, h.URL+"/api/v1/inbox/failed/retry?connection=courier", auth, "")
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.JSONEq(t, `{"retried":1}`, string(body))
	status, body = do(t, http.MethodPost, fmt.Sprintf("%s/api/v1/inbox/%d/retry", h.URL, id), map[string]string{"Authorization": "Bearer " + otherKey}, "")
	require.Equal(t, http.StatusNotFound, status, "another workspace cannot retry it: %s", body)
}
