package deliver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// Alert kinds.
const (
	// AlertFailing: an endpoint that was delivering started failing.
	AlertFailing = "failing"
	// AlertDisabled: the hub stopped delivering to an endpoint.
	AlertDisabled = "disabled"
)

// Alert tells the operator about an endpoint that needs attention: a
// failing endpoint is a blind spot for the merchant until someone notices.
type Alert struct {
	Kind       string
	Workspace  string
	EndpointID int64
	URL        string
	// Since is when the endpoint started failing.
	Since time.Time
	// Reason says why it was disabled, or what the last attempt got.
	Reason string
}

// Alerter sends operator alerts. The worker limits them to one per
// endpoint per interval before calling it.
type Alerter interface {
	Alert(ctx context.Context, a Alert) error
}

// MailConfig configures alert e-mail over SMTP.
type MailConfig struct {
	// Host and Port of the SMTP server; Port defaults to 587.
	Host string
	Port int
	// Username and Password, when set, authenticate (PLAIN/LOGIN as offered).
	Username string
	Password string
	// From is the sender address; To the operators' addresses.
	From string
	To   []string
	// TLS is opportunistic (STARTTLS when offered; the default), mandatory
	// (STARTTLS required), tls (implicit TLS, port 465) or none.
	TLS string
	// Timeout bounds one send; default 30s.
	Timeout time.Duration
}

// Validate checks the configuration.
func (c MailConfig) Validate() error {
	var errs []error
	if c.Host == "" {
		errs = append(errs, errors.New("smtp: host is required"))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("smtp: port %d out of range", c.Port))
	}
	if c.From == "" {
		errs = append(errs, errors.New("smtp: from is required"))
	}
	if len(c.To) == 0 {
		errs = append(errs, errors.New("smtp: alert_to needs at least one address"))
	}
	switch c.TLS {
	case "", "opportunistic", "mandatory", "tls", "none":
	default:
		errs = append(errs, fmt.Errorf("smtp: tls must be opportunistic, mandatory, tls or none, not %q", c.TLS))
	}
	return errors.Join(errs...)
}

// Mailer sends alerts as e-mail.
type Mailer struct {
	cfg MailConfig
}

var _ Alerter = (*Mailer)(nil)

// NewMailer builds a mailer from a valid configuration.
func NewMailer(cfg MailConfig) (*Mailer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Mailer{cfg: cfg}, nil
}

// Alert sends one alert e-mail to every operator address.
func (m *Mailer) Alert(ctx context.Context, a Alert) error {
	subject, body := alertText(a)
	return m.Send(ctx, subject, body)
}

// Send sends one plain-text e-mail to every operator address. Other parts
// of the hub alert through it too (the intake's unretried failures).
func (m *Mailer) Send(ctx context.Context, subject, body string) error {
	opts := []mail.Option{mail.WithPort(m.cfg.Port), mail.WithTimeout(m.cfg.Timeout)}
	switch m.cfg.TLS {
	case "", "opportunistic":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case "mandatory":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if m.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(m.cfg.Username), mail.WithPassword(m.cfg.Password))
	}
	client, err := mail.NewClient(m.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("preparing the alert mail client: %w", err)
	}
	msg := mail.NewMsg()
	if err := msg.From(m.cfg.From); err != nil {
		return fmt.Errorf("alert mail sender %q: %w", m.cfg.From, err)
	}
	if err := msg.To(m.cfg.To...); err != nil {
		return fmt.Errorf("alert mail recipients: %w", err)
	}
	msg.Subject(subject)
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, body)
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("sending the alert mail through %s:%d: %w", m.cfg.Host, m.cfg.Port, err)
	}
	return nil
}

// alertText is the subject and body of an alert e-mail.
func alertText(a Alert) (string, string) {
	var b strings.Builder
	var subject string
	switch a.Kind {
	case AlertDisabled:
		subject = fmt.Sprintf("[shiphub] webhook endpoint %d of %s was disabled", a.EndpointID, a.Workspace)
		fmt.Fprintf(&b, "shiphub stopped delivering webhooks to endpoint %d of workspace %s.\n\n", a.EndpointID, a.Workspace)
	default:
		subject = fmt.Sprintf("[shiphub] webhook endpoint %d of %s is failing", a.EndpointID, a.Workspace)
		fmt.Fprintf(&b, "Webhook deliveries to endpoint %d of workspace %s are failing. shiphub keeps retrying on its schedule.\n\n", a.EndpointID, a.Workspace)
	}
	fmt.Fprintf(&b, "URL:      %s\n", a.URL)
	if !a.Since.IsZero() {
		fmt.Fprintf(&b, "Failing since: %s\n", a.Since.UTC().Format(time.RFC3339))
	}
	if a.Reason != "" {
		fmt.Fprintf(&b, "Reason:   %s\n", a.Reason)
	}
	b.WriteString("\nSee GET /api/v1/deliveries?status=failed for dead letters, and POST /api/v1/endpoints/{id}/recover to enable the endpoint again and re-send them.\n")
	b.WriteString("At most one alert per endpoint per hour is sent.\n")
	return subject, b.String()
}
