package ftp_test

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	goftp "github.com/jlaffaye/ftp"
	"github.com/stretchr/testify/require"

	"github.com/shiphub/shiphub/internal/config"
	"github.com/shiphub/shiphub/internal/connections"
	"github.com/shiphub/shiphub/internal/intake/ftp"
	"github.com/shiphub/shiphub/internal/pipeline"
	"github.com/shiphub/shiphub/internal/provider/registry"
	"github.com/shiphub/shiphub/internal/store"
	"github.com/shiphub/shiphub/internal/store/postgres"
	"github.com/shiphub/shiphub/internal/store/sqlite"
)

// BenchmarkUploads measures courier files per second through the embedded
// FTP server end to end: upload, parse, commit to the inbox, 226, archive,
// with the pipeline applying them to shipments at the same time. Each
// parallel worker is one courier FTP session (-cpu sets how many).
//
//	go test ./internal/intake/ftp -run '^$' -bench Uploads -cpu 1,4,16
func BenchmarkUploads(b *testing.B) {
	for _, db := range []struct {
		name string
		open func(testing.TB) store.Store
	}{
		{"sqlite", func(tb testing.TB) store.Store { return sqlite.OpenTest(tb) }},
		{"postgres", func(tb testing.TB) store.Store { return postgres.OpenTest(tb) }},
	} {
		b.Run(db.name, func(b *testing.B) { benchmarkUploads(b, db.open(b)) })
	}
}

func benchmarkUploads(b *testing.B, st store.Store) {
	registry.RegisterAll()
	cfg, err := config.Parse([]byte(hubYAML), func(string) (string, bool) { return "", false })
	require.NoError(b, err)
	conns, err := connections.Build(cfg)
	require.NoError(b, err)
	pipe, err := pipeline.New(pipeline.Config{Store: st, Connections: conns, Logger: quiet()})
	require.NoError(b, err)
	pipe.Start(context.Background())
	defer func() { _ = pipe.Stop(context.Background()) }()
	srv, err := ftp.New(ftp.Config{
		Listen: "127.0.0.1:0", DataDir: b.TempDir(), Accounts: ftp.AccountsFrom(conns),
		Inbox: st, Errors: st, Committed: pipe.Notify, Logger: quiet(),
	})
	require.NoError(b, err)
	require.NoError(b, srv.Start(context.Background()))
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Stop(ctx)
	}()

	var seq atomic.Int64
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := goftp.Dial(srv.Addr(), goftp.DialWithTimeout(10*time.Second))
		if err != nil {
			b.Error(err)
			return
		}
		defer func() { _ = c.Quit() }()
		if err := c.Login("acme", "acme-secret"); err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			n := seq.Add(1)
			order := fmt.Sprintf("ASK%09d", n/4)
			code := []string{"PICKUP_PLANNED", "take", "DEPOT_OUT", "DELIVERED"}[n%4]
			stime := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Second).Format("20060102150405")
			body := fmt.Sprintf(`{"order":%q,"statuscode":%q,"statustime":%q,"status":"PROCESSING"}`, order, code, stime)
			if err := c.Stor(order+"_"+code+"_"+stime+".json", bytes.NewReader([]byte(body))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	acked := time.Since(start)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		s, err := st.InboxStats(ctx)
		require.NoError(b, err)
		if s.Pending == 0 {
			break
		}
		select {
		case <-ctx.Done():
			b.Fatal("the pipeline did not catch up")
		case <-time.After(5 * time.Millisecond):
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/acked.Seconds(), "acked_files/s")
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "applied_files/s")
}
