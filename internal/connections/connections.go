// Package connections builds the configured provider connectors of every
// workspace and finds them by workspace and connection id.
package connections

import (
	"errors"
	"fmt"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/provider"
)

// Conn is one built connection.
type Conn struct {
	Workspace string
	ID        string
	Provider  string
	Connector provider.Connector
}

// Set holds every connection of a configuration. It is read-only after Build
// and safe for concurrent use.
type Set struct {
	byKey map[[2]string]*Conn
	all   []*Conn
}

// Build constructs every connection's connector through the provider
// registry. Errors name the offending key, e.g.
// "workspaces[0].connections[1].timezone: …".
func Build(cfg *config.Config) (*Set, error) {
	s := &Set{byKey: map[[2]string]*Conn{}}
	var errs []error
	for i, w := range cfg.Workspaces {
		for j := range w.Connections {
			cn := &w.Connections[j]
			key := fmt.Sprintf("workspaces[%d].connections[%d]", i, j)
			info, ok := provider.Lookup(cn.Provider)
			if !ok {
				errs = append(errs, fmt.Errorf("%s.provider: unknown provider %q (known: %v)", key, cn.Provider, provider.Names()))
				continue
			}
			connector, err := info.New(provider.Connection{Workspace: w.ID, ID: cn.ID, Decode: cn.DecodeSettings})
			if err != nil {
				errs = append(errs, fmt.Errorf("%s (%s): %w", key, cn.Provider, err))
				continue
			}
			c := &Conn{Workspace: w.ID, ID: cn.ID, Provider: cn.Provider, Connector: connector}
			s.byKey[[2]string{w.ID, cn.ID}] = c
			s.all = append(s.all, c)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Lookup finds a connection.
func (s *Set) Lookup(workspace, connection string) (*Conn, bool) {
	c, ok := s.byKey[[2]string{workspace, connection}]
	return c, ok
}

// All lists every connection in configuration order.
func (s *Set) All() []*Conn { return s.all }
