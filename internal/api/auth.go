package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// securityScheme is the OpenAPI name of the bearer key scheme. Operations
// that list it in their Security are authenticated by the middleware.
const securityScheme = "bearer"

// keyring finds the workspace of a bearer key. It keeps only SHA-256 sums
// of the keys: comparing fixed-length sums makes the comparison's time
// independent of the presented key's length, and every key is compared on
// every request, so timing reveals neither a key nor which one matched.
type keyring struct {
	sums       [][sha256.Size]byte
	workspaces []string
}

func newKeyring(keys []Key) keyring {
	k := keyring{
		sums:       make([][sha256.Size]byte, len(keys)),
		workspaces: make([]string, len(keys)),
	}
	for i, key := range keys {
		k.sums[i] = sha256.Sum256([]byte(key.Secret))
		k.workspaces[i] = key.Workspace
	}
	return k
}

// lookup returns the workspace the token belongs to, or false.
func (k keyring) lookup(token string) (string, bool) {
	sum := sha256.Sum256([]byte(token))
	match := -1
	for i := range k.sums {
		eq := subtle.ConstantTimeCompare(sum[:], k.sums[i][:])
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if match < 0 {
		return "", false
	}
	return k.workspaces[match], true
}

// bearerToken extracts the token of an "Authorization: Bearer <token>"
// header; the scheme is case-insensitive (RFC 9110).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

type workspaceKey struct{}

// workspaceFrom returns the workspace the request was authenticated for.
// Handlers only run behind authenticate, so it is always set there.
func workspaceFrom(ctx context.Context) string {
	ws, _ := ctx.Value(workspaceKey{}).(string)
	return ws
}

// authenticate is the huma middleware that admits requests to secured
// operations only with a valid key, and records the key's workspace in the
// request context for the handlers.
func (a *API) authenticate(ctx huma.Context, next func(huma.Context)) {
	if op := ctx.Operation(); op == nil || len(op.Security) == 0 {
		next(ctx)
		return
	}
	token, ok := bearerToken(ctx.Header("Authorization"))
	if !ok {
		a.unauthorized(ctx, "a bearer API key is required: send Authorization: Bearer <key>")
		return
	}
	ws, ok := a.keys.lookup(token)
	if !ok {
		a.unauthorized(ctx, "the API key is not valid")
		return
	}
	next(huma.WithValue(ctx, workspaceKey{}, ws))
}

func (a *API) unauthorized(ctx huma.Context, detail string) {
	ctx.SetHeader("WWW-Authenticate", "Bearer")
	_ = huma.WriteErr(a.humaAP, ctx, http.StatusUnauthorized, detail)
}

// Keyring finds the workspace a key belongs to, comparing in constant time
// like the API's own authentication. The dashboard signs in with it.
type Keyring struct{ k keyring }

// NewKeyring builds a keyring of the given keys.
func NewKeyring(keys []Key) *Keyring { return &Keyring{k: newKeyring(keys)} }

// Lookup returns the workspace of the key, or false.
func (k *Keyring) Lookup(key string) (string, bool) { return k.k.lookup(key) }
