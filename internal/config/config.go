// Package config loads and validates shiphub's one YAML configuration file.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration of a hub instance.
type Config struct {
	// HTTP is the listener for inbound webhooks, the merchant API and the dashboard.
	HTTP HTTP `yaml:"http"`
	// FTP is the embedded FTP server for courier file uploads; see ftp.go.
	FTP FTP `yaml:"ftp"`
	// Database is "sqlite:PATH" (the default, embedded) or "postgres://…".
	Database string `yaml:"database"`
	// Workspaces are the merchants this hub serves, each isolated from the others.
	Workspaces []Workspace `yaml:"workspaces"`
	// Intake tunes how inbound messages are accepted.
	Intake Intake `yaml:"intake"`
	// Outbound configures merchant webhook delivery.
	Outbound Outbound `yaml:"outbound"`
	// SMTP is where failure alerts are sent from.
	SMTP SMTP `yaml:"smtp"`
	// Retention is how long finished rows are kept; see retention.go.
	Retention Retention `yaml:"retention"`
	// Commands configures the command queue; see commands.go.
	Commands Commands `yaml:"commands"`
	// Dashboard configures the web dashboard at /ui/; see dashboard.go.
	Dashboard Dashboard `yaml:"dashboard"`
	// Log configures logging.
	Log Log `yaml:"log"`
	// SecretsKey encrypts the secrets the hub keeps in its database (merchant
	// endpoint signing secrets, provider credentials): 32 bytes, base64 or
	// hex, usually ${SHIPHUB_SECRETS_KEY}. A hub does not start without it;
	// see secrets.go.
	SecretsKey string `yaml:"secrets_key"`
	// SecretsPreviousKeys are keys that sealed the database before a
	// rotation. What they sealed still opens, and is sealed again with
	// SecretsKey when the hub starts.
	SecretsPreviousKeys []string `yaml:"secrets_previous_keys"`
}

// HTTP configures the HTTP listener.
type HTTP struct {
	// Listen is the address to listen on; default 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// PublicURL is the hub's absolute base URL as others reach it, such as
	// https://hub.example.com. The merchant API's OpenAPI document names it
	// as its server; empty means the host each request came to, which is
	// wrong only behind a proxy that changes the scheme or host.
	PublicURL string `yaml:"public_url"`
}

// Intake tunes inbound acceptance.
type Intake struct {
	// MaxBodyBytes caps an inbound request body; larger ones get 413. Default 1 MiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// Outbound configures merchant webhook delivery.
type Outbound struct {
	// AllowPrivateNetworks permits webhook targets on loopback and private networks.
	AllowPrivateNetworks bool `yaml:"allow_private_networks"`
	// RetrySchedule is the delay before each delivery attempt.
	RetrySchedule []string `yaml:"retry_schedule"`
	// Timeout bounds one delivery attempt; default 15s.
	Timeout string `yaml:"timeout"`
	// DisableAfter disables an endpoint failing continuously this long; default 120h.
	DisableAfter string `yaml:"disable_after"`
	// SecretGrace is how long a rotated-out endpoint secret still signs; default 24h.
	SecretGrace string `yaml:"secret_grace"`
}

// SMTP configures failure alert e-mail.
type SMTP struct {
	Host    string   `yaml:"host"`
	Port    int      `yaml:"port"`
	From    string   `yaml:"from"`
	AlertTo []string `yaml:"alert_to"`
	// Username and Password authenticate when set.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// TLS is opportunistic (default), mandatory, tls (implicit) or none.
	TLS string `yaml:"tls"`
	// AlertInterval is the least time between two alerts about one endpoint; default 1h.
	AlertInterval string `yaml:"alert_interval"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error; default info.
	Level string `yaml:"level"`
	// Format is text or json; default text.
	Format string `yaml:"format"`
}

// Workspace is one merchant.
type Workspace struct {
	// ID names the workspace in URLs: /hooks/{workspace}/…
	ID string `yaml:"id"`
	// APIKeys are the bearer keys of the merchant API; each sees only this workspace.
	APIKeys []string `yaml:"api_keys"`
	// Connections are the workspace's provider connections.
	Connections []Connection `yaml:"connections"`
	// Endpoints are merchant webhook targets.
	Endpoints []Endpoint `yaml:"endpoints"`
}

// Connection is one connection to a provider. Keys other than id and provider
// are the provider's own settings, validated by the provider's package.
type Connection struct {
	// ID names the connection in URLs: /hooks/{workspace}/{connection}.
	ID string `yaml:"id"`
	// Provider is the registered provider name (courier, winkelstraat, …).
	Provider string `yaml:"provider"`
	// Settings are the remaining, provider-specific keys.
	Settings map[string]any `yaml:",inline"`
}

// Endpoint is a merchant webhook target.
type Endpoint struct {
	URL    string   `yaml:"url"`
	Events []string `yaml:"events"`
	// Description is a note for the merchant.
	Description string `yaml:"description"`
	// Headers are extra headers sent with every delivery.
	Headers map[string]string `yaml:"headers"`
	// Secret is the whsec_ signing secret; empty generates one, kept across restarts.
	Secret string `yaml:"secret"`
}

// Defaults.
const (
	DefaultListen       = "127.0.0.1:8080"
	DefaultDatabase     = "sqlite:./shiphub-data/hub.db"
	DefaultMaxBodyBytes = 1 << 20
)

// DefaultRetrySchedule is the merchant webhook retry schedule.
var DefaultRetrySchedule = []string{"0s", "5s", "5m", "30m", "2h", "5h", "10h", "10h"}

// Load reads, expands, decodes, defaults and validates a configuration file.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cfg, err := Parse(raw, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Expand replaces every ${VAR} with the variable's value. A variable that is
// not set is an error: a missing secret must not silently become "".
func Expand(raw []byte, lookup func(string) (string, bool)) ([]byte, error) {
	var missing []string
	out := envRef.ReplaceAllFunc(raw, func(m []byte) []byte {
		name := string(m[2 : len(m)-1])
		v, ok := lookup(name)
		if !ok {
			missing = append(missing, name)
			return m
		}
		return []byte(v)
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("environment variable %s is not set", strings.Join(missing, ", "))
	}
	return out, nil
}

// Parse decodes a configuration from YAML, expanding ${VAR} in values (not
// in comments or keys) through lookup.
func Parse(raw []byte, lookup func(string) (string, bool)) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("decoding YAML: %w", err)
	}
	if err := expandNode(&root, "", lookup); err != nil {
		return nil, err
	}
	var cfg Config
	if len(root.Content) > 0 {
		expanded, err := yaml.Marshal(&root)
		if err != nil {
			return nil, fmt.Errorf("re-encoding YAML: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(expanded))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, errEOF) {
			return nil, fmt.Errorf("decoding YAML: %w", err)
		}
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// expandNode expands ${VAR} in every scalar value below n; errors name the key.
func expandNode(n *yaml.Node, path string, lookup func(string) (string, bool)) error {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := expandNode(c, path, lookup); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if path != "" {
				key = path + "." + key
			}
			if err := expandNode(n.Content[i+1], key, lookup); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := expandNode(c, fmt.Sprintf("%s[%d]", path, i), lookup); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		out, err := Expand([]byte(n.Value), lookup)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if v := string(out); v != n.Value {
			n.Value = v
			if _, err := strconv.ParseFloat(v, 64); err == nil && n.Style == 0 {
				n.Tag = "!!" + map[bool]string{true: "int", false: "float"}[!strings.ContainsAny(v, ".eE")] // a plain ${PORT}
			} else {
				n.Tag, n.Style = "!!str", yaml.DoubleQuotedStyle
			}
		}
	}
	return nil
}

var errEOF = func() error {
	var v any
	return yaml.NewDecoder(bytes.NewReader(nil)).Decode(&v)
}()

// SetDefaults fills in every unset value with its default.
func (c *Config) SetDefaults() {
	if c.HTTP.Listen == "" {
		c.HTTP.Listen = DefaultListen
	}
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.Intake.MaxBodyBytes == 0 {
		c.Intake.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if len(c.Outbound.RetrySchedule) == 0 {
		c.Outbound.RetrySchedule = DefaultRetrySchedule
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	c.FTP.SetDefaults()
	c.setOutboundDefaults()
	c.Retention.SetDefaults()
	c.Commands.SetDefaults()
	c.Dashboard.SetDefaults()
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Validate checks the configuration's invariants. Its errors name the
// offending key, e.g. "workspaces[0].connections[1].provider: …".
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if !strings.HasPrefix(c.Database, "sqlite:") && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		bad("database", "must start with sqlite: or postgres://")
	}
	errs = append(errs, c.FTP.Validate())
	if c.HTTP.PublicURL != "" {
		if u, err := url.Parse(c.HTTP.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			bad("http.public_url", "must be an absolute http or https URL without credentials, query or fragment, such as https://hub.example.com")
		}
	}
	errs = append(errs, c.Retention.Validate())
	errs = append(errs, c.Commands.Validate())
	errs = append(errs, c.Dashboard.Validate())
	if c.Intake.MaxBodyBytes < 1024 {
		bad("intake.max_body_bytes", "must be at least 1024")
	}
	for i, d := range c.Outbound.RetrySchedule {
		if _, err := time.ParseDuration(d); err != nil {
			bad(fmt.Sprintf("outbound.retry_schedule[%d]", i), "%v", err)
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error")
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "must be text or json")
	}
	seenWS := map[string]bool{}
	seenKey := map[string]string{}
	for i, w := range c.Workspaces {
		wk := fmt.Sprintf("workspaces[%d]", i)
		if !idPattern.MatchString(w.ID) {
			bad(wk+".id", "must be 1-63 lower-case letters, digits, - or _ (got %q)", w.ID)
		}
		if seenWS[w.ID] {
			bad(wk+".id", "duplicate workspace %q", w.ID)
		}
		seenWS[w.ID] = true
		for j, k := range w.APIKeys {
			if len(k) < 16 {
				bad(fmt.Sprintf("%s.api_keys[%d]", wk, j), "must be at least 16 characters")
			}
			if other, dup := seenKey[k]; dup {
				bad(fmt.Sprintf("%s.api_keys[%d]", wk, j), "the same key is used by workspace %q", other)
			}
			seenKey[k] = w.ID
		}
		seenConn := map[string]bool{}
		for j, cn := range w.Connections {
			ck := fmt.Sprintf("%s.connections[%d]", wk, j)
			if !idPattern.MatchString(cn.ID) {
				bad(ck+".id", "must be 1-63 lower-case letters, digits, - or _ (got %q)", cn.ID)
			}
			if seenConn[cn.ID] {
				bad(ck+".id", "duplicate connection %q", cn.ID)
			}
			seenConn[cn.ID] = true
			if cn.Provider == "" {
				bad(ck+".provider", "is required")
			}
		}
	}
	errs = append(errs, c.validateOutbound()...)
	errs = append(errs, c.validateSecrets()...)
	return errors.Join(errs...)
}

// DecodeSettings decodes a connection's provider-specific keys into into,
// refusing unknown keys. Its errors name the offending key.
func (cn *Connection) DecodeSettings(into any) error {
	raw, err := yaml.Marshal(cn.Settings)
	if err != nil {
		return fmt.Errorf("re-encoding settings: %w", err)
	}
	if len(cn.Settings) == 0 {
		raw = []byte("{}")
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return nil
}
