package main

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDemoSaysWhenItsPortIsTaken runs the demo with its HTTP address taken
// (as 8080 is when another program uses it): it still starts, on another
// port; its first line is the dashboard's address, and the next says which
// address was taken and which it uses.
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
	require.Regexp(t, `^dashboard: http://`+regexp.QuoteMeta(hub[1])+`/ui/ .*\n`, out, "the dashboard's address is the first line")
	require.Regexp(t, `^dashboard: [^\n]*\nnote: the HTTP address `+regexp.QuoteMeta(addr)+` is taken \(another program listens on it\); using `+regexp.QuoteMeta(hub[1])+` instead\n`, out)
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

// TestDemoShipsOrdersThroughTheWICSServiceLayer runs the demo and reads its
// final summary of the command path: the shop's products and orders went
// through the merchant API to the WICS simulator's Service Layer, orders
// reached shipped with their tracking through WICS's webhooks, the edges
// showed as they should (one replay by Idempotency-Key, one 409, one order
// WICS refused: rejected, its command dead with WICS's message), the
// subscriptions were made, the budget shows, and WICS never counted more
// than its 150 requests a minute nor had to answer 429, burst included.
func TestDemoShipsOrdersThroughTheWICSServiceLayer(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	err := runDemo(context.Background(), []string{"-listen", "127.0.0.1:0", "-ftp-listen", "127.0.0.1:0",
		"-duration", "10s", "-step", "100ms"}, &stdout, &stderr)
	require.NoError(t, err, "stderr: %s", stderr.String())
	out := stdout.String()
	require.Contains(t, out, "  wics-sl        http://127.0.0.1:", "the banner names the Service Layer simulator")
	_, final, ok := strings.Cut(out, "\nfinal:\n")
	require.True(t, ok, "the demo ends with its final summary:\n%s", out)

	num := func(pattern string) int {
		t.Helper()
		m := regexp.MustCompile(pattern).FindStringSubmatch(final)
		require.NotNil(t, m, "%s in the final summary:\n%s", pattern, final)
		n, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		return n
	}
	require.Equal(t, 1, num(`wics-sl commands \(.*dead (\d+)\)`), "the refused order's command, and no other, is dead")
	require.Zero(t, num(`wics-sl commands \(.*failed (\d+),`), "no command waits for a retry")
	require.Positive(t, num(`wics-sl commands \(.*succeeded (\d+),`))
	shipped := num(`orders \(.*shipped (\d+)`)
	require.Positive(t, shipped, "orders reach shipped")
	require.Positive(t, num(`shipped with tracking (\d+)`), "a shipped order has its shipment")
	require.Equal(t, 1, num(`orders \(.*rejected (\d+)`))
	require.Equal(t, 3, num(`shop placed (\d+) products`))
	// How much of the burst the shop placed in the time depends on the
	// machine; the first four orders (the edges above) it always did.
	require.GreaterOrEqual(t, num(`products, (\d+) orders`), 4)
	require.Equal(t, 1, num(`(\d+) replayed by Idempotency-Key`))
	require.Equal(t, 1, num(`(\d+) refused 409`))
	require.Equal(t, 9, num(`subscriptions (\d+)`), "a subscription per topic at WICS")
	require.Regexp(t, `budget left minute \d+/150, day \d+/20000, blocked_until (-|\S+), violations 0`, final)
	require.Positive(t, num(`reconcile found (\d+)`))
	require.LessOrEqual(t, num(`at most (\d+) in a minute`), 150, "WICS's limit is never exceeded")
	require.Zero(t, num(`(\d+) answered 429`))
	require.Regexp(t, `refused by WICS: DEMO-\w+-0004 rejected \(command dead: refused by the provider: Item NO-SUCH-ITEM does not exist\.\)`, final)
	require.Regexp(t, `webhooks lost: DEMO-\w+-0003 \w+`, final)
	require.NotContains(t, final, "problem:")
}
