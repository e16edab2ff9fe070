package api

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/store"
)

// ProductInput is a product for POST /products: the canonical product
// request and the connection whose provider is to keep it.
type ProductInput struct {
	Connection string `json:"connection" minLength:"1" doc:"The id of the connection (in the configuration) whose provider keeps the product."`
	model.ProductRequest
}

// ProductCommand is the answer of POST /products.
type ProductCommand struct {
	Product *model.Product `json:"product" doc:"The product as the hub holds it; the provider's own fields follow from its answer."`
	Command *model.Command `json:"command" doc:"The command that creates or updates the product at the provider."`
}

type createProductInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"A key of the client's choosing that makes the request safe to repeat."`
	RawBody        []byte
}

// Resolve checks the Idempotency-Key.
func (in *createProductInput) Resolve(huma.Context) []error {
	return checkIdempotencyKey(in.IdempotencyKey)
}

// maxBarcodes and maxAttributes bound a product request.
const (
	maxBarcodes   = 100
	maxAttributes = 200
)

func (a *API) registerProductCommands() {
	registerCreate(a, huma.Operation{
		OperationID: "create-product",
		Method:      http.MethodPost,
		Path:        "/products",
		Summary:     "Create or update a product",
		Description: "Queues the command that creates the product at the connection's provider, or updates it when the " +
			"connection has the SKU already (an update is not a conflict), and answers 202 with the product and the command. " +
			"Invalid content is refused (422) with every invalid field named, and nothing is queued. A change the provider " +
			"forbids in the product's present state, as the hub knows it, is refused (409) before anything is sent (Active Ants: " +
			"the barcode may change only while the product is out of stock). " + idempotencyDoc,
		Tags: []string{"Products"},
		Errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity,
			http.StatusServiceUnavailable},
	}, reflect.TypeFor[ProductInput](), a.createProduct)
}

// validateProductRequest checks a product request: a SKU and a name,
// barcodes that are not blank, attributes with names.
func validateProductRequest(r *model.ProductRequest) provider.FieldErrors {
	var c fieldCheck
	c.reference("sku", r.SKU)
	if r.Name == "" {
		c.add("name", r.Name, "is required")
	} else {
		c.text("name", r.Name)
	}
	if len(r.Barcodes) > maxBarcodes {
		c.add("barcodes", len(r.Barcodes), "must have at most %d barcodes", maxBarcodes)
	}
	for i, b := range r.Barcodes {
		if i < maxBarcodes {
			c.reference(fmt.Sprintf("barcodes[%d]", i), b)
		}
	}
	if len(r.Attributes) > maxAttributes {
		c.add("attributes", len(r.Attributes), "must have at most %d attributes", maxAttributes)
	}
	for _, k := range slices.Sorted(maps.Keys(r.Attributes)) {
		if k == "" {
			c.add("attributes", k, "must not have an attribute without a name")
			continue
		}
		c.text("attributes."+k, r.Attributes[k])
	}
	return c.errs
}

func (a *API) createProduct(ctx context.Context, in *createProductInput) (*body[ProductCommand], error) {
	ws := workspaceFrom(ctx)
	if a.queue == nil {
		return nil, errNoCommands
	}
	var req ProductInput
	if err := decodeBody(in.RawBody, &req); err != nil {
		return nil, err
	}
	fe := validateProductRequest(&req.ProductRequest)
	prep, err := a.prepare(ws, req.Connection, model.CommandProductUpsert, req.ProductRequest, fe)
	if err != nil {
		return nil, err
	}
	conn, cmd, now := prep.conn, prep.cmd, prep.now
	if err := a.precheck(ctx, prep.sender, cmd); err != nil {
		return nil, err
	}
	hash := requestHash(cmd.Kind, conn.ID, 0, req.ProductRequest)
	// An existing SKU is an update of its product; a new one is created
	// with the command. Two first requests for one SKU at once: the second
	// finds the first's product on its second try.
	var res *store.SubmitResult
	for try := 0; ; try++ {
		existing, err := a.productBySKU(ctx, ws, conn.ID, req.SKU)
		if err != nil {
			return nil, err
		}
		sub := submission(cmd, in.IdempotencyKey, hash, now)
		if existing != nil {
			sub.SubjectID = existing.ID
		} else {
			sub.Product = newProduct(cmd, &req.ProductRequest, now)
		}
		res, err = a.queue.Submit(ctx, sub)
		if errors.Is(err, store.ErrDuplicateReference) && existing == nil && try == 0 {
			continue
		}
		if err != nil {
			return nil, a.submitError(ctx, ws, "submitting a product", err)
		}
		break
	}
	p, err := a.store.GetProduct(ctx, ws, res.SubjectID)
	if errors.Is(err, store.ErrNotFound) {
		p = newProduct(cmd, &req.ProductRequest, now)
		p.ID = res.SubjectID
	} else if err != nil {
		return nil, a.storeError(ctx, ws, "reading a submitted product back", err)
	}
	if p.Barcodes == nil {
		p.Barcodes = []string{}
	}
	return &body[ProductCommand]{Body: ProductCommand{Product: p, Command: res.Command}}, nil
}

// productBySKU finds the connection's product of a SKU, or nil.
func (a *API) productBySKU(ctx context.Context, ws, conn, sku string) (*model.Product, error) {
	list, err := a.store.ListProducts(ctx, store.ProductFilter{Workspace: ws, Connection: conn, SKU: sku, Limit: 1})
	if err != nil {
		return nil, a.storeError(ctx, ws, "looking a product up by SKU", err)
	}
	for _, p := range list {
		if p.Workspace == ws && p.Connection == conn && p.SKU == sku {
			return p, nil
		}
	}
	return nil, nil
}

// newProduct is the product a product.upsert of a new SKU creates.
func newProduct(cmd *model.Command, r *model.ProductRequest, now time.Time) *model.Product {
	barcodes := slices.Clone(r.Barcodes)
	slices.Sort(barcodes)
	barcodes = slices.Compact(barcodes)
	if barcodes == nil {
		barcodes = []string{}
	}
	return &model.Product{
		Resource: model.Resource{Workspace: cmd.Workspace, Connection: cmd.Connection, Provider: cmd.Provider,
			CreatedAt: now, UpdatedAt: now},
		SKU: r.SKU, Name: r.Name, Barcodes: barcodes, Attributes: r.Attributes,
	}
}
