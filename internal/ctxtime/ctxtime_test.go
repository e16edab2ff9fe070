package ctxtime

import (
	"context"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	if !Sleep(ctx, time.Millisecond) {
		t.Fatal("Sleep with a live context reported false")
	}
	if !Sleep(ctx, 0) {
		t.Fatal("Sleep(0) with a live context reported false")
	}
	cancel()
	start := time.Now()
	if Sleep(ctx, time.Hour) {
		t.Fatal("Sleep with an ended context reported true")
	}
	if time.Since(start) > time.Second {
		t.Fatal("Sleep did not return when the context ended")
	}
	if Sleep(ctx, 0) {
		t.Fatal("Sleep(0) with an ended context reported true")
	}
}
