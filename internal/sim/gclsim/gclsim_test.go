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

// TestSimulatorAnswersErrorsWithAnyStatus checks the error answers the
// document leaves without a status: OOPS numbers get an error object with
// 200, and ErrorStatus moves every error object to one status.
func TestSimulatorAnswersErrorsWithAnyStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		cfg         gclsim.Config
		number, key string
		wantStatus  int
		wantCode    string
	}{
		{"OopsIs200", gclsim.Config{}, "OOPS-1", "key", http.StatusOK, "INTERNAL_ERROR"},
		{"NotFoundIs404ByDefault", gclsim.Config{}, "NOTFOUND-1", "key", http.StatusNotFound, "TRACKING_DETAILS_NOT_FOUND"},
		{"NotFoundOn200", gclsim.Config{ErrorStatus: 200}, "NOTFOUND-1", "key", http.StatusOK, "TRACKING_DETAILS_NOT_FOUND"},
		{"DownOn200", gclsim.Config{ErrorStatus: 200}, "DOWN-1", "key", http.StatusOK, "INTERNAL_ERROR"},
		{"WrongKeyOn200", gclsim.Config{ErrorStatus: 200}, "TRK-1", "wrong", http.StatusOK, "UNAUTHORIZED"},
		{"OwnAuthHeader", gclsim.Config{AuthHeader: "X-Api-Key", AuthScheme: "none"}, "NOTFOUND-1", "key", http.StatusNotFound, "TRACKING_DETAILS_NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.cfg.APIKey = "key"
			sim, err := gclsim.New(tt.cfg)
			require.NoError(t, err)
			req := httptest.NewRequest(http.MethodGet, "/v1/tracking/"+tt.number, nil)
			if tt.cfg.AuthHeader != "" {
				req.Header.Set(tt.cfg.AuthHeader, tt.key)
			} else {
				req.Header.Set("Authorization", "Bearer "+tt.key)
			}
			rec := httptest.NewRecorder()
			sim.ServeHTTP(rec, req)
			require.Equal(t, tt.wantStatus, rec.Code)
			var v map[string]any
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &v))
			require.Equal(t, tt.wantCode, v["code"])
			require.Contains(t, v, "details")
		})
	}
}

func TestBadCheckpointJourneys(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)
	sim, err := gclsim.New(gclsim.Config{APIKey: "key", Step: time.Hour})
	require.NoError(t, err)
	r := sim.Final("BADCP-1", start)
	oldest := r.Checkpoints[len(r.Checkpoints)-1]
	_, err = time.Parse(time.RFC3339, oldest.CreatedAt)
	require.Error(t, err, "the first checkpoint's createdAt is not RFC 3339")
	for _, cp := range r.Checkpoints[:len(r.Checkpoints)-1] {
		_, err := time.Parse(time.RFC3339, cp.CreatedAt)
		require.NoError(t, err, "the others are")
	}
}
