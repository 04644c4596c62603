package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigil-project/vigil/internal/ledger"
)

type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	logins   *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry, s *Server) *metrics {
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_http_requests_total", Help: "HTTP requests by part of the site, method and status code.",
		}, []string{"part", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "vigil_http_request_duration_seconds", Help: "Time to answer HTTP requests, by part of the site.",
			Buckets: prometheus.DefBuckets,
		}, []string{"part"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_logins_total", Help: "Browser sign-in attempts by result.",
		}, []string{"result"}),
	}
	reg.MustRegister(m.requests, m.duration, m.logins,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vigil_ledger_checkpoint_size", Help: "Entries covered by the latest published checkpoint.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return float64(s.logStatus(ctx).Size)
	}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vigil_ledger_pending_events", Help: "Committed events not yet appended to the log.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		c, err := ledger.Count(ctx, s.deps.DB)
		if err != nil {
			return -1
		}
		return float64(c.Pending)
	}))
	if s.deps.Witnesses != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "vigil_ledger_checkpoint_witnessed", Help: "1 if the latest published checkpoint carries the witness cosignatures the policy requires, else 0.",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if raw, err := s.deps.Log.ReadCheckpoint(ctx); err == nil && s.deps.Witnesses.Satisfied(raw) {
				return 1
			}
			return 0
		}))
	}
	if s.deps.Writer != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "vigil_ledger_unpublished_entries",
			Help: "Entries appended to the log that no published checkpoint covers yet; it grows while the witnesses do not cosign.",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			st := s.logStatus(ctx)
			if next := s.deps.Writer.Stats().NextIndex; st.Available && next > st.Size {
				return float64(next - st.Size)
			}
			return 0
		}))
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "vigil_ledger_appended_total", Help: "Events appended to the log by this process.",
		}, func() float64 { return float64(s.deps.Writer.Stats().Appended) }))
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "vigil_ledger_writer_failures_total", Help: "Batches the ledger writer failed to append.",
		}, func() float64 { return float64(s.deps.Writer.Stats().Failures) }))
	}
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// part names the part of the site a path is in, keeping label values few.
func part(path string) string {
	for _, p := range []string{"/api/", "/log/", "/static/", "/admin/", "/assemblies", "/oversight/"} {
		if strings.HasPrefix(path, p) {
			return strings.Trim(p, "/")
		}
	}
	switch path {
	case "/healthz", "/readyz", "/metrics":
		return "probe"
	}
	return "pages"
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		p := part(r.URL.Path)
		m.requests.WithLabelValues(p, r.Method, strconv.Itoa(sw.code)).Inc()
		m.duration.WithLabelValues(p).Observe(time.Since(start).Seconds())
	})
}
