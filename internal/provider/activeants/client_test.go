package activeants_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/provider/activeants"
)

func newClient(a *shopAPI, clk *clock) *activeants.Client {
	return &activeants.Client{BaseURL: a.URL(), Username: testUser, Password: testPassword, Now: clk.Now}
}

func TestTokenIsCachedUntilShortlyBeforeItExpires(t *testing.T) {
	t.Parallel()
	clk := newClock()
	a := newShopAPI(t, clk)
	a.set(func(a *shopAPI) { a.expiresIn = 3600 })
	c := newClient(a, clk)
	for range 3 {
		require.NoError(t, c.Status(ctxT(t)))
		_, err := c.Do(ctxT(t), activeants.OpShipmentGet, nil, nil, nil)
		require.NoError(t, err)
	}
	require.Equal(t, 1, a.count("POST /token"), "one token for every request while it is valid")

	// A tenth of its life (at most 5 minutes) before expires_in it is dropped.
	clk.Add(time.Hour - 5*time.Minute - time.Second)
	_, err := c.Do(ctxT(t), activeants.OpShipmentGet, nil, nil, nil)
	require.NoError(t, err)
	require.Equal(t, 1, a.count("POST /token"))
	clk.Add(2 * time.Second)
	_, err = c.Do(ctxT(t), activeants.OpShipmentGet, nil, nil, nil)
	require.NoError(t, err)
	require.Equal(t, 2, a.count("POST /token"), "a new token before the old one expires")

	body := a.requestBodies("POST /token")[0]
	require.Equal(t, "grant_type=password&password=your-secret-is-safe&username=shopapi-user", body, "the document's form")
}

func TestUnauthorizedFetchesANewTokenOnceAndRetries(t *testing.T) {
	t.Parallel()
	clk := newClock()
	a := newShopAPI(t, clk)
	c := newClient(a, clk)
	_, err := c.Do(ctxT(t), activeants.OpShipmentGet, nil, nil, nil)
	require.NoError(t, err)

	a.set(func(a *shopAPI) { a.revoke = true }) // the token is refused in the middle of a sync
	_, err = c.Do(ctxT(t), activeants.OpShipmentGet, nil, nil, nil)
	require.NoError(t, err, "the request is sent again with a new token")
	require.Equal(t, 2, a.count("POST /token"))
	require.Equal(t, 3, a.count("GET /v2/shipment/get"))

	// A 401 that a fresh token does not cure is the answer: no loop.
	a.set(func(a *shopAPI) {
		a.override["GET /v2/shipment/get"] = func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, 401, map[string]string{"message": "Authorization has been denied for this request."})
		}
	})
	_, err = c.Do(ctxT(t), activeants.OpShipmentGet, nil, nil, nil)
	var ae *activeants.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 401, ae.Status)
	require.Equal(t, 3, a.count("POST /token"), "one new token, not more")
	require.Equal(t, 5, a.count("GET /v2/shipment/get"))
}

func TestBadLoginIsALoginErrorThatDoesNotLoop(t *testing.T) {
	t.Parallel()
	clk := newClock()
	a := newShopAPI(t, clk)
	conn, err := activeants.NewWithSettings(activeants.Settings{BaseURL: a.URL(), Username: testUser, Password: "wrong-password"})
	require.NoError(t, err)
	conn.Client().Now = clk.Now

	err = conn.CheckHealth(ctxT(t), nil)
	require.ErrorIs(t, err, activeants.ErrLogin)
	var le *activeants.LoginError
	require.ErrorAs(t, err, &le)
	require.Equal(t, "invalid_grant", le.Code)
	require.Equal(t, "The user name or password is incorrect.", le.Description)
	require.Contains(t, err.Error(), "The user name or password is incorrect.", "the reason GET /connections shows")
	require.NotContains(t, err.Error(), "wrong-password")

	// Every request and health check fails at once until the next scheduled pull.
	for range 5 {
		_, err := conn.Client().Do(ctxT(t), activeants.OpShipmentGet, nil, nil, nil)
		require.ErrorIs(t, err, activeants.ErrLogin)
		require.ErrorIs(t, conn.CheckHealth(ctxT(t), nil), activeants.ErrLogin)
	}
	require.Equal(t, 1, a.count("POST /token"), "a refused login is not asked again and again")
	require.Equal(t, 0, a.count("GET /v2/shipment/get"))

	clk.Add(activeants.DefaultSyncInterval)
	a.set(func(a *shopAPI) { a.password = "wrong-password" }) // the account's password was changed to match
	require.NoError(t, conn.CheckHealth(ctxT(t), nil), "after the backoff the login is tried again")
	require.Equal(t, 2, a.count("POST /token"))
}

func TestNOKIsAnErrorCarryingTheMessage(t *testing.T) {
	t.Parallel()
	clk := newClock()
	a := newShopAPI(t, clk)
	a.set(func(a *shopAPI) {
		a.override["GET /v2/shipment/get"] = func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, 200, envelope("NOK", "Order (5432102) already exists", nil))
		}
		a.override["GET /settings/get"] = func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, 500, []byte("<html>Internal Server Error</html>"))
		}
	})
	c := newClient(a, clk)
	ans, err := c.Do(ctxT(t), activeants.OpShipmentGet, nil, nil, nil)
	var ae *activeants.APIError
	require.ErrorAs(t, err, &ae)
	require.True(t, ae.NOK())
	require.Equal(t, "NOK", ae.MessageCode)
	require.Equal(t, "Order (5432102) already exists", ae.Message)
	require.Contains(t, err.Error(), "Order (5432102) already exists")
	require.NotNil(t, ans, "the answer comes with the error")

	_, err = c.Do(ctxT(t), activeants.OpSettings, nil, nil, nil)
	require.ErrorAs(t, err, &ae)
	require.False(t, ae.NOK())
	require.Equal(t, 500, ae.Status)
	require.Contains(t, ae.Message, "Internal Server Error", "an excerpt of a body that is not the envelope")
}

func TestTokensNeverAppearInErrors(t *testing.T) {
	t.Parallel()
	clk := newClock()
	a := newShopAPI(t, clk)
	c := newClient(a, clk)
	tok, err := c.Token(ctxT(t), "")
	require.NoError(t, err)
	a.set(func(a *shopAPI) {
		a.override["GET /v2/shipment/get"] = func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, []byte("not json "+r.Header.Get("X-Nothing")))
		}
	})
	_, err = c.Do(ctxT(t), activeants.OpShipmentGet, nil, nil, nil)
	require.Error(t, err)
	require.NotContains(t, err.Error(), tok)
	require.NotContains(t, err.Error(), testPassword)

	a.srv.Close() // a network error
	_, err = c.Do(ctxT(t), activeants.OpShipmentGet, nil, nil, nil)
	require.Error(t, err)
	require.NotContains(t, err.Error(), tok)
	require.False(t, errors.Is(err, activeants.ErrLogin))
	require.True(t, strings.Contains(err.Error(), "/v2/shipment/get"), "the error names the call")
}
