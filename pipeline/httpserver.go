package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Readiness tracks whether the pipeline may receive traffic: ready once
// every check passes, and permanently not ready once stopping began.
type Readiness struct {
	stopping atomic.Bool
	checks   []func() (bool, string)
	gauge    prometheus.Gauge
}

// NewReadiness returns a Readiness that is ready when all checks pass.
// Each check returns ok and, when not ok, a short reason.
func NewReadiness(gauge prometheus.Gauge, checks ...func() (bool, string)) *Readiness {
	return &Readiness{checks: checks, gauge: gauge}
}

// Stopping marks the pipeline as shutting down; Ready is false from now on.
func (r *Readiness) Stopping() {
	r.stopping.Store(true)
	if r.gauge != nil {
		r.gauge.Set(0)
	}
}

// Ready reports readiness and, when not ready, why.
func (r *Readiness) Ready() (bool, string) {
	if r.stopping.Load() {
		return false, "stopping"
	}
	for _, c := range r.checks {
		if ok, why := c(); !ok {
			if r.gauge != nil {
				r.gauge.Set(0)
			}
			return false, why
		}
	}
	if r.gauge != nil {
		r.gauge.Set(1)
	}
	return true, ""
}

// HTTPServer serves the read-only operational endpoints:
//
//	GET /metrics               Prometheus metrics
//	GET /healthz               200 while the process runs (no dependency checks)
//	GET /readyz                200 when ready, 503 with the reason otherwise
//	GET /v1/forecast/{series}  latest forecast of a series (when forecasts != nil)
type HTTPServer struct {
	srv *http.Server
	ln  net.Listener
	log *slog.Logger
}

// NewHTTPServer binds addr immediately (so a busy port fails at start-up)
// and returns the server; call Run to serve.
func NewHTTPServer(addr string, gatherer prometheus.Gatherer, ready *Readiness, forecasts http.Handler, log *slog.Logger) (*HTTPServer, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if ok, why := ready.Ready(); !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready:", why)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	if forecasts != nil {
		mux.Handle("/v1/forecast/", forecasts)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http listen %s: %w", addr, err)
	}
	return &HTTPServer{
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second},
		ln:  ln,
		log: log,
	}, nil
}

// Addr is the bound address (useful with port 0).
func (s *HTTPServer) Addr() string { return s.ln.Addr().String() }

// Run serves until ctx ends, then shuts down within 2 s.
func (s *HTTPServer) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	s.log.Info("http server listening", "addr", s.Addr())
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}
