// Package clienttest holds the Go client that oapi-codegen generates from
// the merchant API's OpenAPI document (client.gen.go), and the tests that
// call a real hub with it and check real webhook deliveries against the
// document and with the official Standard Webhooks library. It exists to
// show that the contract holds for the tools merchants use.
package clienttest
