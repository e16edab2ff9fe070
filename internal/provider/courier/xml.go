package courier

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/shiphub/shiphub/internal/provider"
)

// ContentTypeXML is stored for FTP/XML files.
const ContentTypeXML = "application/xml"

// MaxXMLBytes caps an XML document the decoder reads; the FTP intake caps
// files lower still. A status update is a few hundred bytes.
const MaxXMLBytes = 4 << 20

// maxXMLDepth bounds nesting: root, field, list item.
const maxXMLDepth = 3

// The courier's document shows no XML layout, so the decoder is liberal:
// any root element, with the JSON field names as its child elements or its
// attributes (matched without regard to case), surrounded by any amount of
// whitespace, in UTF-8 or ISO-8859-1. Lists (signatures, pictures) are either
// repeated elements or one element with an item element per entry:
//
//	<status order="ASK1">
//	  <statuscode>take</statuscode>
//	  <statustime>20230719110649</statustime>
//	  <pictures><picture>https://…/1.jpg</picture></pictures>
//	</status>
//
// A document type declaration (and with it every entity definition) is
// refused outright rather than ignored, so no entity can ever be expanded.

// DecodeXML decodes an FTP/XML body and validates it.
func DecodeXML(body []byte) (*Message, error) {
	return checked(decodeXMLFields(body))
}

// xmlField returns where one named field of a Message goes.
func xmlField(m *Message, name string) (scalar *string, list *[]string) {
	switch strings.ToLower(name) {
	case "order":
		return &m.Order, nil
	case "barcode":
		return &m.Barcode, nil
	case "container":
		return &m.Container, nil
	case "status":
		return &m.Status, nil
	case "statustime":
		return &m.StatusTime, nil
	case "statuscode":
		return &m.StatusCode, nil
	case "statusnl":
		return &m.StatusNL, nil
	case "statusen":
		return &m.StatusEN, nil
	case "statusfr":
		return &m.StatusFR, nil
	case "referentie":
		return &m.Referentie, nil
	case "comment":
		return &m.Comment, nil
	case "oldlead":
		return &m.OldLead, nil
	case "newlead":
		return &m.NewLead, nil
	case "verifier":
		return &m.Verifier, nil
	case "signatures", "signature":
		return nil, &m.Signatures
	case "pictures", "picture":
		return nil, &m.Pictures
	}
	return nil, nil
}

func xmlBad(format string, args ...any) error {
	return fmt.Errorf("%w: decoding courier XML: %s", provider.ErrBadInput, fmt.Sprintf(format, args...))
}

// decodeXMLFields reads the fields of an XML body without validating them.
func decodeXMLFields(body []byte) (*Message, error) {
	if len(body) > MaxXMLBytes {
		return nil, xmlBad("the document exceeds %d bytes", MaxXMLBytes)
	}
	body = bytes.TrimPrefix(body, []byte("\ufeff"))
	if !utf8.Valid(body) && !declaresEncoding(body) {
		// Without a declaration XML must be UTF-8; bytes that are not are
		// taken as ISO-8859-1, which is what such files always turn out to be.
		body = latin1ToUTF8(body)
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	dec.CharsetReader = charsetReader
	m := &Message{}
	set := map[*string]bool{} // scalars given so far
	assign := func(name string, target *string, v string) error {
		if set[target] && strings.TrimSpace(*target) != strings.TrimSpace(v) {
			return xmlBad("%s: given twice with different values", name)
		}
		set[target] = true
		*target = v
		return nil
	}
	var (
		depth    int
		rootSeen bool
		field    string       // the depth-1 element being read
		scalar   *string      // its scalar target, if any
		list     *[]string    // its list target, if any
		text     bytes.Buffer // the text of the element being read
		hasChild bool         // the depth-1 element has child elements
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, xmlBad("%s", strings.TrimPrefix(err.Error(), "XML syntax error "))
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, xmlBad("document type declarations and entities are refused")
		case xml.StartElement:
			depth++
			if depth > maxXMLDepth {
				return nil, xmlBad("elements nest deeper than %d levels", maxXMLDepth)
			}
			switch depth {
			case 1:
				if rootSeen {
					return nil, xmlBad("more than one root element")
				}
				rootSeen = true
				for _, a := range t.Attr {
					if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
						continue
					}
					s, l := xmlField(m, a.Name.Local)
					switch {
					case s != nil:
						if err := assign(a.Name.Local, s, a.Value); err != nil {
							return nil, err
						}
					case l != nil && strings.TrimSpace(a.Value) != "":
						*l = append(*l, strings.TrimSpace(a.Value))
					}
				}
			case 2:
				field, hasChild = t.Name.Local, false
				scalar, list = xmlField(m, field)
				text.Reset()
				for _, a := range t.Attr {
					// <order value="ASK1"/> is read like <order>ASK1</order>.
					if strings.EqualFold(a.Name.Local, "value") {
						text.WriteString(a.Value)
					}
				}
			case 3:
				hasChild = true
				if scalar != nil {
					return nil, xmlBad("%s: want text, got element <%s>", field, t.Name.Local)
				}
				text.Reset()
			}
		case xml.EndElement:
			switch depth {
			case 2:
				v := text.String()
				switch {
				case scalar != nil:
					if err := assign(field, scalar, v); err != nil {
						return nil, err
					}
				case list != nil && !hasChild && strings.TrimSpace(v) != "":
					*list = append(*list, strings.TrimSpace(v))
				}
				scalar, list = nil, nil
			case 3:
				if list != nil && strings.TrimSpace(text.String()) != "" {
					*list = append(*list, strings.TrimSpace(text.String()))
				}
			}
			text.Reset()
			depth--
		case xml.CharData:
			switch {
			case depth >= 2:
				text.Write(t)
			case len(bytes.TrimSpace(t)) > 0 && depth == 0:
				return nil, xmlBad("text outside the root element")
			}
		}
	}
	if !rootSeen {
		return nil, xmlBad("no root element")
	}
	return m, nil
}

// declaresEncoding reports whether the document starts with an XML
// declaration that names an encoding.
func declaresEncoding(body []byte) bool {
	head := body[:min(len(body), 200)]
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	if !bytes.HasPrefix(head, []byte("<?xml")) {
		return false
	}
	end := bytes.Index(head, []byte("?>"))
	return end > 0 && bytes.Contains(head[:end], []byte("encoding"))
}

// charsetReader lets the XML decoder read the encodings the courier's
// systems write besides UTF-8.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1":
		return charmap.ISO8859_1.NewDecoder().Reader(input), nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252.NewDecoder().Reader(input), nil
	case "iso-8859-15", "latin9", "latin-9":
		return charmap.ISO8859_15.NewDecoder().Reader(input), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", label)
}

func latin1ToUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return out
}
