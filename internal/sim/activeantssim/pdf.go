package activeantssim

import (
	"bytes"
	"fmt"
	"strings"
)

// ReturnLabelPDF is a small, valid one-page PDF (4x6 inch, a label's size)
// naming the return package number and the order: what GET
// v2/returnlabel/get/{id} sends Base64 in result.data. Its cross-reference
// table has the objects' true offsets, so strict readers open it.
func ReturnLabelPDF(packageNumber, externalOrderNumber string) []byte {
	content := fmt.Sprintf("BT /F1 18 Tf 24 380 Td (RETURN LABEL) Tj ET\n"+
		"BT /F1 12 Tf 24 350 Td (Active Ants Retouren, Postbus 1000, 4200 AA Gorinchem NL) Tj ET\n"+
		"BT /F1 14 Tf 24 300 Td (%s) Tj ET\n"+
		"BT /F1 10 Tf 24 280 Td (Order %s) Tj ET\n", pdfText(packageNumber), pdfText(externalOrderNumber))
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

// pdfText keeps printable ASCII and escapes what a PDF string must.
func pdfText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}
