package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"regexp"
	runpprof "runtime/pprof"
	"sync"
	"time"
)

// debugServer is serve's opt-in profiling listener (--debug-listen): the
// standard /debug/pprof handlers, and /debug/cpuprofile, which a benchmark
// uses to take one CPU profile per phase of a run. It listens on its own
// address, never on the public one, and only when asked to.
type debugServer struct {
	dir string // where /debug/cpuprofile writes its profiles

	mu  sync.Mutex
	cur *os.File // the profile being written, if any
}

var profileName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// startDebug listens on addr and serves the profiling handlers until the
// returned stop is called.
func startDebug(addr, dir string, log *slog.Logger) (net.Addr, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("debug listener: %w", err)
	}
	d := &debugServer{dir: dir}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("POST /debug/cpuprofile", d.cpuProfile)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("debug listener stopped", slog.Any("err", err))
		}
	}()
	return ln.Addr(), func() {
		_ = srv.Close()
		d.stop()
	}, nil
}

// cpuProfile stops the CPU profile being written, if any, and with
// ?name=NAME starts a new one in DIR/NAME.pprof.
func (d *debugServer) cpuProfile(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name != "" && !profileName.MatchString(name) {
		http.Error(w, "name: letters, digits, - and _ only", http.StatusBadRequest)
		return
	}
	d.stop()
	if name == "" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if d.dir == "" {
		http.Error(w, "serve has no --profile-dir", http.StatusConflict)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := os.Create(filepath.Join(d.dir, name+".pprof"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if err := runpprof.StartCPUProfile(f); err != nil {
		f.Close()
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	d.cur = f
	_, _ = io.WriteString(w, f.Name()+"\n")
}

func (d *debugServer) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cur == nil {
		return
	}
	runpprof.StopCPUProfile()
	_ = d.cur.Close()
	d.cur = nil
}
