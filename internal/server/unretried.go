package server

import (
	"github.com/shiphub/shiphub/internal/deliver"
	"github.com/shiphub/shiphub/internal/intake"
)

// unretriedParts is the counting and alerting of messages refused to a
// provider that does not retry (the courier), shared by the HTTP and FTP
// intake so that an operator gets one alert per connection per interval.
type unretriedParts struct {
	unretriedRec *intake.Unretried
}

// unretried returns the instance's recorder, building it on first use with
// the configuration's SMTP alerting (none without an smtp section; an
// invalid one is reported by buildWebhooks, which builds the same mailer).
func (s *Server) unretried() *intake.Unretried {
	if s.unretriedRec != nil {
		return s.unretriedRec
	}
	cfg := intake.UnretriedConfig{Metrics: s.Metrics, Interval: s.cfg.DeliverConfig().AlertInterval, Logger: s.log}
	if mc, ok := s.cfg.MailConfig(); ok {
		if mailer, err := deliver.NewMailer(mc); err == nil {
			cfg.Alerter = intake.MailAlerter{Mailer: mailer}
		}
	}
	s.unretriedRec = intake.NewUnretried(cfg)
	return s.unretriedRec
}
