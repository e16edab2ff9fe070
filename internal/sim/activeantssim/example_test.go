package activeantssim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/sim/activeantssim"
)

// Example starts a simulator on loopback, logs in, places an order, lets
// warehouse time pass until it has shipped, and reads the shipment.
func Example() {
	sim, err := activeantssim.New(activeantssim.Config{
		Username: "shopapi-user", Password: "your-secret-is-safe", Seed: 1,
		Speed: -1, // warehouse time moves only with Advance
	})
	if err != nil {
		panic(err)
	}
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer sim.Close()

	resp, err := http.PostForm(base+"/token", url.Values{"grant_type": {"password"}, "username": {"shopapi-user"}, "password": {"your-secret-is-safe"}})
	if err != nil {
		panic(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()

	call := func(method, path, body string) (code int, env struct {
		MessageCode string          `json:"messageCode"`
		Message     string          `json:"message"`
		Result      json.RawMessage `json:"result"`
	}) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		_ = json.NewDecoder(resp.Body).Decode(&env)
		return resp.StatusCode, env
	}

	st := sim.Settings()
	order := fmt.Sprintf(`{"externalOrderNumber":"WEB-1","paymentMethodId":1,"languageId":%d,"orderTypeId":%d,
		"deliveryAddressLastName":"Jansen","deliveryAddressStreet":"Kerkstraat","deliveryAddressHouseNumber":12,
		"deliveryAddressPostalCode":"1017 GC","deliveryAddressCountryIso":"NL","orderItems":[{"sku":%q,"quantity":1}]}`,
		st.Languages[0].ID, st.OrderTypes[0].ID, sim.Products()[0].SKU)
	code, env := call(http.MethodPost, "/order/add", order)
	fmt.Println(code, env.MessageCode, env.Message)
	_, env = call(http.MethodPost, "/order/add", order)
	fmt.Println(env.MessageCode, env.Message)

	sim.Advance(4 * time.Hour)
	_, env = call(http.MethodGet, "/v2/shipment/get", "")
	fmt.Println(env.Message)
	synced, unsynced := sim.ShipmentCounts()
	fmt.Println("synced", synced, "unsynced", unsynced)
	// Output:
	// 200 OK Order has been successfully added.
	// NOK Order with external order number (WEB-1) already exists.
	// Found 1 shipments that match your criteria.
	// synced 0 unsynced 1
}
