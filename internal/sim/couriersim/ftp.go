package couriersim

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"time"

	goftp "github.com/jlaffaye/ftp"
)

// MethodFTP is the Send method that uploads an update as a file.
const MethodFTP = "FTP"

// FTPTarget is the FTP server the courier uploads its files to, with the
// login the customer gave it (FTP/JSON and FTP/XML in the document).
type FTPTarget struct {
	// Addr is host:port of the server.
	Addr string
	// User and Password log in.
	User, Password string
	// Format is "json", "xml", or "" for both, chosen per order.
	Format string
	// Dir is the directory to upload to; default the login directory.
	Dir string
	// TLS switches to TLS with AUTH TLS; InsecureSkipVerify accepts any
	// certificate (a test server's).
	TLS, InsecureSkipVerify bool
}

func (f *FTPTarget) validate() error {
	var errs []error
	if f.Addr == "" {
		errs = append(errs, errors.New("ftp.addr: is required"))
	}
	if f.User == "" {
		errs = append(errs, errors.New("ftp.user: is required"))
	}
	switch f.Format {
	case "", "json", "xml":
	default:
		errs = append(errs, fmt.Errorf("ftp.format: must be json, xml or empty, not %q", f.Format))
	}
	return errors.Join(errs...)
}

// FileName is the document's name of u's file: order_statuscode_statustime.ext.
func FileName(u Update, ext string) string {
	return u.Order + "_" + u.StatusCode + "_" + u.StatusTime + "." + ext
}

// xmlMessage is the FTP/XML layout. The document shows none; this one uses
// the JSON field names as elements of a root element, the obvious reading.
type xmlMessage struct {
	XMLName    xml.Name `xml:"statusupdate"`
	Order      string   `xml:"order"`
	Barcode    string   `xml:"barcode"`
	Container  string   `xml:"container"`
	Status     string   `xml:"status"`
	StatusTime string   `xml:"statustime"`
	StatusCode string   `xml:"statuscode"`
	StatusNL   string   `xml:"statusNL"`
	StatusEN   string   `xml:"statusEN"`
	StatusFR   string   `xml:"statusFR"`
	Referentie string   `xml:"referentie"`
	Comment    string   `xml:"comment"`
	OldLead    string   `xml:"oldlead"`
	NewLead    string   `xml:"newlead"`
	Verifier   string   `xml:"verifier"`
	Signatures string   `xml:"signatures"`
	Pictures   string   `xml:"pictures"`
}

// XMLBody is the FTP/XML file for u.
func XMLBody(u Update) []byte {
	b, err := xml.MarshalIndent(xmlMessage{
		Order: u.Order, Barcode: u.Barcode, Container: u.Container, Status: u.Status,
		StatusTime: u.StatusTime, StatusCode: u.StatusCode, StatusNL: u.StatusNL,
		StatusEN: u.StatusEN, StatusFR: u.StatusFR, Referentie: u.Referentie, Comment: u.Comment,
	}, "", "  ")
	if err != nil { // strings only: cannot happen
		panic("couriersim: encoding update: " + err.Error())
	}
	return append([]byte(xml.Header), append(b, '\n')...)
}

// upload stores u as a file; the server's 226 is the acknowledgement.
func (s *Sim) upload(ctx context.Context, u Update) error {
	f := s.cfg.FTP
	format := f.Format
	if format == "" {
		format = "json"
		if crc32.ChecksumIEEE([]byte(u.Order))%2 == 1 {
			format = "xml"
		}
	}
	body := PostBody(u)
	if format == "xml" {
		body = XMLBody(u)
	}
	name := FileName(u, format)
	if f.Dir != "" {
		name = strings.TrimSuffix(f.Dir, "/") + "/" + name
	}
	c, err := s.ftpConn(ctx)
	if err != nil {
		return err
	}
	if err := c.Stor(name, bytes.NewReader(body)); err != nil {
		_ = c.Quit() // the session's state is unknown after a failure
		return fmt.Errorf("uploading %s: %w", name, err)
	}
	select {
	case s.ftpConns <- c:
	default:
		_ = c.Quit()
	}
	return nil
}

// ftpConn takes an idle session or logs in a new one.
func (s *Sim) ftpConn(ctx context.Context) (*goftp.ServerConn, error) {
	select {
	case c := <-s.ftpConns:
		return c, nil
	default:
	}
	f := s.cfg.FTP
	opts := []goftp.DialOption{goftp.DialWithContext(ctx), goftp.DialWithTimeout(10 * time.Second)}
	if f.TLS {
		opts = append(opts, goftp.DialWithExplicitTLS(&tls.Config{InsecureSkipVerify: f.InsecureSkipVerify})) //nolint:gosec // opt-in, for test servers
	}
	c, err := goftp.Dial(f.Addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", f.Addr, err)
	}
	if err := c.Login(f.User, f.Password); err != nil {
		_ = c.Quit()
		return nil, fmt.Errorf("logging in to %s: %w", f.Addr, err)
	}
	return c, nil
}

// Close logs out the idle FTP sessions.
func (s *Sim) Close() {
	for {
		select {
		case c := <-s.ftpConns:
			_ = c.Quit()
		default:
			return
		}
	}
}
