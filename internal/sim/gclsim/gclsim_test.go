package gclsim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/sim/gclsim"
)

func TestSimulatorAnswers(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)
	sim, err := gclsim.New(gclsim.Config{APIKey: "key", Step: time.Hour, Now: func() time.Time { return now }})
	require.NoError(t, err)
	get := func(number, key string) (int, map[string]any) {
		req := httptest.NewRequest(http.MethodGet, "/v1/tracking/"+number, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, req)
		body, _ := io.ReadAll(rec.Body)
		var v map[string]any
		require.NoError(t, json.Unmarshal(body, &v), "%s", body)
		return rec.Code, v
	}
	code, _ := get("TRK1", "wrong")
	require.Equal(t, http.StatusUnauthorized, code)
	code, v := get("NOTFOUND1", "key")
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, "TRACKING_DETAILS_NOT_FOUND", v["code"])
	code, v = get(gclsim.DocumentNumber, "key")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "EXMPL0001234", v["shortUid"])
	require.Len(t, v["checkpoints"], 7)

	_, v = get("TRK1", "key")
	require.Len(t, v["checkpoints"], 1, "a journey starts with one checkpoint")
	now = now.Add(2 * time.Hour)
	_, v = get("TRK1", "key")
	require.Len(t, v["checkpoints"], 3, "and grows one a step")
	now = now.Add(100 * time.Hour)
	_, v = get("TRK1", "key")
	require.Len(t, v["checkpoints"], sim.JourneyLength("TRK1"))
	first := v["checkpoints"].([]any)[0].(map[string]any)
	require.Contains(t, []any{"delivered", "returned"}, first["statusUid"], "newest first, ending terminal")

	code, _ = get("FAIL1", "key")
	require.Equal(t, http.StatusServiceUnavailable, code)
	code, _ = get("FAIL1", "key")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, 2, sim.RequestsFor("FAIL1"))
	require.Equal(t, 8, sim.Requests())
}
