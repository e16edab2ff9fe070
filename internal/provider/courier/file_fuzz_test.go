package courier

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/model"
)

func FuzzParseFileName(f *testing.F) {
	f.Add("ASK132456798_PICKUP_PLANNED_20230718095503.json")
	f.Add("A_AN_OPS_FIN (ANNULATIE OPS + FIN)_cancel_no_mail_20230718095503.xml")
	f.Add("__.json")
	f.Add("a_b_c.xml")
	f.Add("../../etc/passwd")
	f.Fuzz(func(t *testing.T, name string) {
		fn, err := ParseFileName(name)
		if err != nil {
			return
		}
		require.NotEmpty(t, fn.Order)
		require.NotEmpty(t, fn.StatusCode)
		require.Len(t, fn.StatusTime, len(StatusTimeLayout))
		require.Contains(t, []string{"json", "xml"}, fn.Ext)
		require.NotContains(t, fn.Order, "_", "the order is cut at the first underscore")
		require.NotContains(t, fn.Order+fn.StatusCode, "/")
		base := filepath.Base(strings.ReplaceAll(name, "\\", "/"))
		require.True(t, strings.HasPrefix(base, fn.Order+"_"+fn.StatusCode+"_"+fn.StatusTime+"."), "the parts make up the name")
	})
}

// FuzzAcceptFile checks the contract of the file channel for JSON and XML
// alike: what AcceptFile accepts, Normalize normalises into one sane update,
// and bad input is refused with an error, never a panic.
func FuzzAcceptFile(f *testing.F) {
	files, err := filepath.Glob("testdata/files/*")
	require.NoError(f, err)
	for _, p := range files {
		raw, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(filepath.Base(p), raw)
	}
	f.Add("A1_take_20230718095503.xml", []byte(`<!DOCTYPE s [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;">]><s><order>&b;</order></s>`))
	f.Add("A1_take_20230718095503.xml", []byte(`<s><pictures><p>1</p><p>2</p></pictures></s>`))
	f.Add("x.xml", []byte(`<?xml version="1.0" encoding="latin1"?><s order="A" statuscode="c" statustime="20230718095503"/>`))
	f.Add("A1_take_20230718095503.json", []byte(``))
	c := newTestConnector(f, Settings{})
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		in, err := c.AcceptFile(name, body)
		if err != nil {
			return
		}
		require.Regexp(t, timeLedKey, in.DedupKey)
		require.Equal(t, string(body), string(in.Body))
		updates, err := shipments(c.Normalize(&model.InboxMessage{ID: 1, Source: model.SourceFTP, Topic: name, ContentType: in.ContentType, Meta: in.Meta, Body: in.Body}))
		require.NoError(t, err, "AcceptFile acknowledged a file Normalize cannot normalise")
		require.Len(t, updates, 1)
		require.NotEmpty(t, updates[0].ProviderRef)
		require.Len(t, updates[0].Events, 1)
		require.True(t, updates[0].Events[0].Status.Valid())
		require.Equal(t, model.SourceFTP, updates[0].Events[0].Source)
	})
}
