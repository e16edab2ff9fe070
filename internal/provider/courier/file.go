package courier

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

// MetaFile is the inbox message meta key holding the name of the file an
// FTP update arrived in. Normalize reads the name again: fields the body
// lacks are taken from it.
const MetaFile = "file"

// FileName is what the name of an FTP file says:
// order_statuscode_statustime.json or .xml.
type FileName struct {
	Order      string
	StatusCode string
	StatusTime string
	// Ext is the lower-case extension without its dot: json or xml.
	Ext string
}

// fileExtensions are the courier's file types: FTP/JSON and FTP/XML.
var fileExtensions = []string{"json", "xml"}

// FileExtensions lists the extensions of the courier's files, json and xml:
// the FTP poller takes only those.
func (c *Connector) FileExtensions() []string { return append([]string(nil), fileExtensions...) }

// maxFileNameLen bounds a file name; FTP servers allow 255 bytes.
const maxFileNameLen = 255

// ParseFileName parses a courier file name. Status codes contain
// underscores (PICKUP_PLANNED, AN_OPS_FIN), so the name is read from both
// ends: the order up to the first underscore, the time after the last, the
// code in between. Any directory part is ignored.
func ParseFileName(name string) (FileName, error) {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if len(base) > maxFileNameLen {
		return FileName{}, fmt.Errorf("%w: file name: longer than %d bytes", provider.ErrBadInput, maxFileNameLen)
	}
	dot := strings.LastIndexByte(base, '.')
	if dot < 0 {
		return FileName{}, fmt.Errorf("%w: file name %q: want order_statuscode_statustime.json or .xml", provider.ErrBadInput, base)
	}
	fn := FileName{Ext: strings.ToLower(base[dot+1:])}
	if !provider.HasFileExtension(base, fileExtensions) {
		return FileName{}, fmt.Errorf("%w: file name %q: the extension must be .json or .xml", provider.ErrBadInput, base)
	}
	stem := base[:dot]
	first, last := strings.IndexByte(stem, '_'), strings.LastIndexByte(stem, '_')
	if first <= 0 || last <= first+1 || last == len(stem)-1 {
		return FileName{}, fmt.Errorf("%w: file name %q: want order_statuscode_statustime.%s", provider.ErrBadInput, base, fn.Ext)
	}
	fn.Order, fn.StatusCode, fn.StatusTime = stem[:first], stem[first+1:last], stem[last+1:]
	if _, err := parseStatusTime(fn.StatusTime, time.UTC); err != nil {
		return FileName{}, fmt.Errorf("file name %q: %w", base, err)
	}
	for _, part := range []string{fn.Order, fn.StatusCode} {
		if strings.TrimSpace(part) != part || strings.ContainsFunc(part, isControl) {
			return FileName{}, fmt.Errorf("%w: file name %q: spaces around or control characters in %q", provider.ErrBadInput, base, part)
		}
	}
	return fn, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// AcceptFile validates one FTP/JSON or FTP/XML file and returns the raw
// message to commit: the body exactly as received, with the file name in
// Meta so that Normalize can fall back on it. The dedup key is the one the
// same update has through URL/GET or URL/POST, so a file and a push of one
// update are one message.
func (c *Connector) AcceptFile(name string, body []byte) (provider.Inbound, error) {
	msg, contentType, err := decodeFile(name, body)
	if err != nil {
		return provider.Inbound{}, err
	}
	return provider.Inbound{
		DedupKey:    DedupKey(msg),
		ContentType: contentType,
		Body:        append([]byte{}, body...), // never nil: an empty file is a message too
		Meta:        map[string]string{MetaFile: path.Base(name)},
	}, nil
}

// decodeFile decodes a file's body by its extension (or, failing that, its
// first byte) and completes it from the file name. The body wins where the
// two disagree; the name only fills what the body lacks. A name that does
// not parse is no error when the body is complete.
func decodeFile(name string, body []byte) (*Message, string, error) {
	fn, nameErr := ParseFileName(name)
	ext := fn.Ext
	if nameErr != nil {
		ext = strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n\ufeff")
	if ext != "json" && ext != "xml" {
		switch {
		case bytes.HasPrefix(trimmed, []byte("{")):
			ext = "json"
		case bytes.HasPrefix(trimmed, []byte("<")):
			ext = "xml"
		default:
			return nil, "", fmt.Errorf("%w: file %q is neither JSON nor XML", provider.ErrBadInput, path.Base(name))
		}
	}
	var (
		m           *Message
		contentType string
		err         error
	)
	if ext == "xml" {
		contentType = ContentTypeXML
		m, err = decodeXMLFields(body)
	} else {
		contentType = ContentTypeJSON
		if len(trimmed) == 0 {
			m = &Message{} // an empty file says only what its name says
		} else {
			m, err = decodeJSONFields(body)
		}
	}
	if err != nil {
		return nil, "", err
	}
	if nameErr == nil {
		fill(&m.Order, fn.Order)
		fill(&m.StatusCode, fn.StatusCode)
		fill(&m.StatusTime, fn.StatusTime)
	}
	m.clean()
	if err := m.Validate(); err != nil {
		if nameErr != nil {
			return nil, "", fmt.Errorf("%w (and %v)", err, nameErr)
		}
		return nil, "", err
	}
	return m, contentType, nil
}

func fill(field *string, fallback string) {
	if strings.TrimSpace(*field) == "" {
		*field = fallback
	}
}

// decodeInbox decodes a committed message: a file's with its name as
// fallback, any other by its content type.
func decodeInbox(m *model.InboxMessage) (*Message, error) {
	if name := m.Meta[MetaFile]; name != "" {
		msg, _, err := decodeFile(name, m.Body)
		return msg, err
	}
	return Decode(m.ContentType, m.Body)
}

func isXML(mediaType string) bool {
	return mediaType == ContentTypeXML || mediaType == "text/xml" || strings.HasSuffix(mediaType, "+xml")
}

// FTPPoll returns the FTP server to poll for this connection's files, or nil.
func (c *Connector) FTPPoll() *provider.FTPRemote { return c.settings.FTPPoll }

// FTPLogin returns the credentials the courier logs in to shiphub's FTP
// server with; an empty user means the connection does not upload.
func (c *Connector) FTPLogin() (user, password string) {
	return c.settings.FTPUser, c.settings.FTPPassword
}
