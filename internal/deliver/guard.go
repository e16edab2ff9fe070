package deliver

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/shiphub/shiphub/internal/model"
)

// ErrPrivateAddress means a webhook target is on a loopback, private,
// link-local or metadata address and private networks are not allowed.
var ErrPrivateAddress = errors.New("target address is not public; set outbound.allow_private_networks to allow it")

// dialControl checks the address a connection is about to be made to. It
// runs after DNS resolution, for every address tried, so a name that
// resolves (or is re-bound) to a private address is refused too.
func dialControl(allowPrivate bool) func(network, address string, c syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return fmt.Errorf("checking target %q: %w", address, err)
		}
		ip := net.ParseIP(host)
		if ip == nil || !model.IsPublicIP(ip) {
			return fmt.Errorf("connecting to %s: %w", host, ErrPrivateAddress)
		}
		return nil
	}
}

// CheckURL refuses, early and with a clear message, an endpoint URL whose
// host is literally a private address or localhost. Names that resolve to
// private addresses are refused when connecting (dialControl).
func CheckURL(raw string, allowPrivate bool) error {
	if allowPrivate {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url: %w", err)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("url: %s: %w", host, ErrPrivateAddress)
	}
	if ip := net.ParseIP(host); ip != nil && !model.IsPublicIP(ip) {
		return fmt.Errorf("url: %s: %w", host, ErrPrivateAddress)
	}
	return nil
}
