package server

import (
	"github.com/shiphub/shiphub/internal/deliver"
	"github.com/shiphub/shiphub/internal/intake"
)

// unretriedAlerter is the operator alerting of 5xx answers to providers
// that do not retry (the courier): the SMTP alerting of the configuration,
// or nil without one. An invalid smtp section is reported by buildWebhooks,
// which builds the same mailer.
func (s *Server) unretriedAlerter() intake.Alerter {
	mc, ok := s.cfg.MailConfig()
	if !ok {
		return nil
	}
	mailer, err := deliver.NewMailer(mc)
	if err != nil {
		return nil
	}
	return intake.MailAlerter{Mailer: mailer}
}
