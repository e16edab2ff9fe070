package courier

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
	"github.com/shiphub/shiphub/internal/provider"
)

func TestParseFileName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		file    string
		want    FileName
		wantErr string
	}{
		{"TheDocumentsExampleIsReadFromBothEnds", "ASK132456798_PICKUP_PLANNED_20230718095503.json",
			FileName{Order: "ASK132456798", StatusCode: "PICKUP_PLANNED", StatusTime: "20230718095503", Ext: "json"}, ""},
		{"AnXMLFileIsRecognised", "ASK132456798_PICKUP_PLANNED_20230718095503.xml",
			FileName{Order: "ASK132456798", StatusCode: "PICKUP_PLANNED", StatusTime: "20230718095503", Ext: "xml"}, ""},
		{"ACodeWithManyUnderscoresStaysWhole", "A1_AN_OPS_FIN_20230718095503.JSON",
			FileName{Order: "A1", StatusCode: "AN_OPS_FIN", StatusTime: "20230718095503", Ext: "json"}, ""},
		{"ACodeWithoutUnderscores", "A1_take_20230718095503.json",
			FileName{Order: "A1", StatusCode: "take", StatusTime: "20230718095503", Ext: "json"}, ""},
		{"ADirectoryPartIsIgnored", "/inbox/A1_take_20230718095503.xml",
			FileName{Order: "A1", StatusCode: "take", StatusTime: "20230718095503", Ext: "xml"}, ""},
		{"AnotherExtensionIsRefused", "A1_take_20230718095503.csv", FileName{}, "extension must be .json or .xml"},
		{"NoExtensionIsRefused", "A1_take_20230718095503", FileName{}, "want order_statuscode_statustime"},
		{"AMissingCodeIsRefused", "A1_20230718095503.json", FileName{}, "want order_statuscode_statustime"},
		{"AnEmptyCodeIsRefused", "A1__20230718095503.json", FileName{}, "want order_statuscode_statustime"},
		{"AnEmptyOrderIsRefused", "_take_20230718095503.json", FileName{}, "want order_statuscode_statustime"},
		{"AnEmptyTimeIsRefused", "A1_take_.json", FileName{}, "want order_statuscode_statustime"},
		{"ABadTimeIsRefused", "A1_take_2023071809.json", FileName{}, "is not YYYYMMDDhhmmss"},
		{"AnImpossibleTimeIsRefused", "A1_take_20231318095503.json", FileName{}, "is not a valid time"},
		{"ControlCharactersAreRefused", "A\x001_take_20230718095503.json", FileName{}, "control characters"},
		{"AVeryLongNameIsRefused", strings.Repeat("A", 300) + "_take_20230718095503.json", FileName{}, "longer than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFileName(tc.file)
			if tc.wantErr != "" {
				require.ErrorIs(t, err, provider.ErrBadInput)
				require.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestAcceptFileUsesTheNameAsFallbackAndTheBodyFirst(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t, Settings{})
	cases := []struct {
		name, file, body  string
		order, code, time string
		contentType       string
	}{
		{"AnEmptyBodySaysWhatTheNameSays", "A1_PICKUP_PLANNED_20230718095503.json", "", "A1", "PICKUP_PLANNED", "20230718095503", ContentTypeJSON},
		{"ABodyWithoutKeysIsCompletedFromTheName", "A1_take_20230718095503.json", `{"statusNL":"Mee met koerier"}`, "A1", "take", "20230718095503", ContentTypeJSON},
		{"TheBodyWinsOverTheName", "A1_take_20230718095503.xml", `<s><order>B2</order><statuscode>AF</statuscode><statustime>20230719000000</statustime></s>`, "B2", "AF", "20230719000000", ContentTypeXML},
		{"ABlankBodyFieldIsFilledFromTheName", "A1_take_20230718095503.xml", `<s order=" "><statuscode/></s>`, "A1", "take", "20230718095503", ContentTypeXML},
		{"AnUnparsableNameIsFineWhenTheBodyIsComplete", "upload-1.json", `{"order":"A1","statuscode":"take","statustime":"20230718095503"}`, "A1", "take", "20230718095503", ContentTypeJSON},
		{"AnUnknownExtensionIsSniffed", "update.txt", ` <s order="A1" statuscode="take" statustime="20230718095503"/>`, "A1", "take", "20230718095503", ContentTypeXML},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, err := c.AcceptFile(tc.file, []byte(tc.body))
			require.NoError(t, err)
			require.Equal(t, tc.contentType, in.ContentType)
			require.Equal(t, tc.body, string(in.Body), "the body is stored as received")
			require.Equal(t, DedupKey(&Message{Order: tc.order, StatusCode: tc.code, StatusTime: tc.time}), in.DedupKey)
			updates, err := shipments(c.Normalize(&model.InboxMessage{ID: 3, Source: model.SourceFTP, Topic: tc.file, ContentType: in.ContentType, Meta: in.Meta, Body: in.Body}))
			require.NoError(t, err)
			require.Equal(t, tc.order, updates[0].ProviderRef)
			require.Equal(t, tc.code, updates[0].Events[0].ProviderCode)
			require.Equal(t, tc.code+"|"+tc.time, updates[0].Events[0].DedupKey)
			require.Equal(t, model.SourceFTP, updates[0].Events[0].Source)
		})
	}
}

func TestAcceptFileRefusesBadFiles(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t, Settings{})
	cases := []struct {
		name, file, body, reason string
	}{
		{"BrokenJSON", "A1_take_20230718095503.json", `{"order":`, "decoding courier JSON"},
		{"BrokenXML", "A1_take_20230718095503.xml", `<s><order>A1</s>`, "decoding courier XML"},
		{"ADoctypeIsRefused", "A1_take_20230718095503.xml", `<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x "boom">]><s><order>&x;</order></s>`, "document type declarations and entities are refused"},
		{"AnExternalEntityIsRefused", "A1_take_20230718095503.xml", `<!DOCTYPE s SYSTEM "file:///etc/passwd"><s/>`, "refused"},
		{"AnUndeclaredEntityIsRefused", "A1_take_20230718095503.xml", `<s><order>&x;</order></s>`, "decoding courier XML"},
		{"AnUnknownEncodingIsRefused", "A1_take_20230718095503.xml", `<?xml version="1.0" encoding="EBCDIC"?><s/>`, "decoding courier XML"},
		{"TwoRootsAreRefused", "A1_take_20230718095503.xml", `<s/><t/>`, "decoding courier XML"},
		{"AnElementWhereTextBelongsIsRefused", "A1_take_20230718095503.xml", `<s><order><id>1</id></order></s>`, "order: want text"},
		{"DeepNestingIsRefused", "x.xml", `<a><b><c><d>1</d></c></b></a>`, "nest deeper"},
		{"BadNameAndIncompleteBody", "hello.json", `{"order":"A1"}`, "statuscode: is required"},
		{"ABadTimeInTheBodyWins", "A1_take_20230718095503.json", `{"statustime":"yesterday"}`, "statustime"},
		{"NeitherJSONNorXML", "notes.txt", "hello", "neither JSON nor XML"},
		{"AnEmptyXMLFile", "A1_take_20230718095503.xml", "", "no root element"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.AcceptFile(tc.file, []byte(tc.body))
			require.ErrorIs(t, err, provider.ErrBadInput)
			require.Contains(t, err.Error(), tc.reason)
		})
	}
}

// TestAFileAndAPushOfOneUpdateAreOneMessage checks that the courier sending
// the same update by URL/POST and by FTP is deduplicated at the inbox.
func TestAFileAndAPushOfOneUpdateAreOneMessage(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t, Settings{})
	body, err := os.ReadFile("testdata/requests/document_post.json")
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, "/hooks/acme/courier", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	push, err := c.Accept(r, "", body)
	require.NoError(t, err)
	for _, f := range []string{"ASK132456798_take_20230719110649.json", "ASK132456798_take_20230719110649.xml"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "files", f))
		require.NoError(t, err)
		file, err := c.AcceptFile(f, raw)
		require.NoError(t, err)
		require.Equal(t, push.DedupKey, file.DedupKey, f)
	}
}

// TestGoldenFiles normalises every file in testdata/files as the FTP intake
// would commit it and compares with testdata/golden/files.
func TestGoldenFiles(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/files/*")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 6)
	c := newTestConnector(t, Settings{})
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			in, err := c.AcceptFile(name, raw)
			require.NoError(t, err)
			updates, err := shipments(c.Normalize(&model.InboxMessage{
				ID: 42, Workspace: "acme", Connection: "courier", Provider: "courier",
				Source: model.SourceFTP, Topic: name, DedupKey: in.DedupKey,
				ContentType: in.ContentType, Meta: in.Meta, Body: in.Body,
			}))
			require.NoError(t, err)
			checkGolden(t, filepath.Join("testdata", "golden", "files", name+".golden.json"), goldenCase{in.DedupKey, in.ContentType, in.Meta, updates})
		})
	}
}

func TestTheJSONAndXMLOfTheDocumentsExampleNormaliseAlike(t *testing.T) {
	t.Parallel()
	c := newTestConnector(t, Settings{})
	var got [][]model.ShipmentUpdate
	for _, f := range []string{"ASK132456798_take_20230719110649.json", "ASK132456798_take_20230719110649.xml"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "files", f))
		require.NoError(t, err)
		in, err := c.AcceptFile(f, raw)
		require.NoError(t, err)
		u, err := shipments(c.Normalize(&model.InboxMessage{ID: 1, Source: model.SourceFTP, ContentType: in.ContentType, Meta: in.Meta, Body: in.Body}))
		require.NoError(t, err)
		got = append(got, u)
	}
	require.Equal(t, got[0], got[1])
}

func TestXMLReadsLatin1(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body string
	}{
		{"DeclaredISO88591", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><s order=\"A1\" statuscode=\"AF\" statustime=\"20230718095503\" statusFR=\"Livr\xe9\"/>"},
		{"DeclaredWindows1252", "<?xml version='1.0' encoding='windows-1252'?><s order=\"A1\" statuscode=\"AF\" statustime=\"20230718095503\" statusFR=\"Livr\xe9\"/>"},
		{"UndeclaredButNotUTF8", "<s order=\"A1\" statuscode=\"AF\" statustime=\"20230718095503\" statusFR=\"Livr\xe9\"/>"},
		{"UTF8WithABOM", "\ufeff<s order=\"A1\" statuscode=\"AF\" statustime=\"20230718095503\" statusFR=\"Livr\u00e9\"/>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := DecodeXML([]byte(tc.body))
			require.NoError(t, err)
			require.Equal(t, "Livré", m.StatusFR)
		})
	}
}

func TestFTPPollSettings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		yaml    string
		want    *provider.FTPRemote
		wantErr string
	}{
		{"DefaultsAreApplied", "ftp_poll: {host: ftp.example, user: u, password: p}\n",
			&provider.FTPRemote{Host: "ftp.example", Port: 21, User: "u", Password: "p", Path: "/", Interval: time.Minute, After: "delete", Timeout: 30 * time.Second, StableAfter: 5 * time.Second}, ""},
		{"EveryKeyIsDecoded", "ftp_poll: {host: h, port: 2121, user: u, password: p, path: /out, tls: true, interval: 30s, after: move, move_to: /done, timeout: 5s, stable_after: 10s}\n",
			&provider.FTPRemote{Host: "h", Port: 2121, User: "u", Password: "p", Path: "/out", TLS: true, Interval: 30 * time.Second, After: "move", MoveTo: "/done", Timeout: 5 * time.Second, StableAfter: 10 * time.Second}, ""},
		{"AHostIsRequired", "ftp_poll: {user: u}\n", nil, "ftp_poll.host: is required"},
		{"MoveNeedsATarget", "ftp_poll: {host: h, user: u, after: move}\n", nil, "ftp_poll.move_to: is required"},
		{"MovingIntoTheSameDirectoryIsRefused", "ftp_poll: {host: h, user: u, path: /a, after: move, move_to: /a/}\n", nil, "ftp_poll.move_to: must differ"},
		{"AnUnknownAfterIsRefused", "ftp_poll: {host: h, user: u, after: keep}\n", nil, "ftp_poll.after"},
		{"AnUnknownKeyIsRefused", "ftp_poll: {host: h, user: u, passwd: p}\n", nil, "passwd"},
		{"ATooShortIntervalIsRefused", "ftp_poll: {host: h, user: u, interval: 10ms}\n", nil, "ftp_poll.interval"},
		{"ATooShortStabilityWaitIsRefused", "ftp_poll: {host: h, user: u, stable_after: 100ms}\n", nil, "ftp_poll.stable_after"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conn, err := New(yamlConnection(tc.yaml))
			if tc.wantErr != "" {
				require.Error(t, err)
				require.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, conn.(*Connector).FTPPoll())
		})
	}
}

// TestXMLThatGivesAFieldTwiceIsRefused: two different status codes in one
// file would make one of them a guess.
func TestXMLThatGivesAFieldTwiceIsRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, err string
	}{
		{"TwoElements", `<s><order>A</order><statuscode>take</statuscode><statuscode>DELIVERED</statuscode><statustime>20230717094743</statustime></s>`, "statuscode: given twice"},
		{"AnAttributeAndAnElement", `<s order="A"><order>B</order><statuscode>take</statuscode><statustime>20230717094743</statustime></s>`, "order: given twice"},
		{"TheSameValueTwiceIsFine", `<s order="A"><order> A </order><statuscode>take</statuscode><statustime>20230717094743</statustime></s>`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := DecodeXML([]byte(tc.body))
			if tc.err == "" {
				require.NoError(t, err)
				require.Equal(t, "A", m.Order)
				return
			}
			require.ErrorIs(t, err, provider.ErrBadInput)
			require.ErrorContains(t, err, tc.err)
		})
	}
}
