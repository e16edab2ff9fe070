package main

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDemoSaysWhenItsPortIsTaken runs the demo with its HTTP address taken
// (as 8080 is when another program uses it): it still starts, on another
// port, and its first line says which address was taken and which it uses.
func TestDemoSaysWhenItsPortIsTaken(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	addr := taken.Addr().String()

	var stdout, stderr bytes.Buffer
	err = runDemo(context.Background(), []string{"-listen", addr, "-ftp-listen", "127.0.0.1:0", "-duration", "500ms"}, &stdout, &stderr)
	require.NoError(t, err, "stderr: %s", stderr.String())
	out := stdout.String()

	hub := regexp.MustCompile(`(?m)^  hub +http://(127\.0\.0\.1:\d+)$`).FindStringSubmatch(out)
	require.NotNil(t, hub, "the demo prints its address:\n%s", out)
	require.NotEqual(t, addr, hub[1], "the demo did not take the busy port")
	require.Regexp(t, `^note: the HTTP address `+regexp.QuoteMeta(addr)+` is taken \(another program listens on it\); using `+regexp.QuoteMeta(hub[1])+` instead\n`, out)
	require.NotContains(t, out, "the FTP address", "a free FTP address gets no note")
}

func TestListenAddrKeepsAFreeAddress(t *testing.T) {
	t.Parallel()
	// A port that was free a moment ago is used as asked, with no reason to note.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	got, busy := listenAddr(addr)
	require.NoError(t, busy)
	require.Equal(t, addr, got)
}
