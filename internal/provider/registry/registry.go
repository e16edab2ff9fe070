// Package registry is the one list of providers shiphub ships with. Adding a
// provider is one package under internal/provider and one line here.
package registry

import (
	"sync"

	"github.com/shiphub/shiphub/internal/provider"
	"github.com/shiphub/shiphub/internal/provider/activeants"
	"github.com/shiphub/shiphub/internal/provider/courier"
	"github.com/shiphub/shiphub/internal/provider/gcl"
	"github.com/shiphub/shiphub/internal/provider/wics"
	"github.com/shiphub/shiphub/internal/provider/winkelstraat"
)

var once sync.Once

// RegisterAll registers every built-in provider. It is safe to call more than once.
func RegisterAll() {
	once.Do(func() {
		provider.Register(courier.Info)
		provider.Register(winkelstraat.Info)
		provider.Register(gcl.Info)
		provider.Register(wics.Info)
		provider.Register(activeants.Info)
	})
}
