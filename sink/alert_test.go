package sink

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func testAlert(series string) Alert {
	return Alert{Series: series, TS: t0, Observed: 10, Expected: 4, Interval: &Interval{Lo: 3, Hi: 5}, Step: 1,
		Origin: t0.Add(-time.Hour), Model: "mlp", ModelVersion: "3-0badf00d", Reason: AlertOutsideInterval}
}

func runAlertSink(t *testing.T, cfg AlertSinkConfig) (*AlertSink, *AlertMetrics, func()) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewAlertMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewAlertSink(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return s, m, func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAlertWebhookDeliversPayload(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		b, _ := io.ReadAll(r.Body)
		var a map[string]any
		if err := json.Unmarshal(b, &a); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
		mu.Lock()
		got = append(got, a)
		mu.Unlock()
	}))
	defer srv.Close()
	s, m, stop := runAlertSink(t, AlertSinkConfig{Webhook: srv.URL})
	defer stop()
	if !s.Fire(testAlert("meter-1")) {
		t.Fatal("Fire dropped the alert")
	}
	waitUntil(t, "delivery", func() bool { return s.Counts()["webhook"].Sent == 1 })
	mu.Lock()
	defer mu.Unlock()
	a := got[0]
	want := map[string]any{"id": "meter-1/2026-11-26T05:00:00Z", "series": "meter-1", "ts": "2026-11-26T05:00:00Z",
		"observed": 10.0, "expected": 4.0, "step": 1.0, "model": "mlp", "model_version": "3-0badf00d", "reason": "outside_interval"}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("%s = %v, want %v", k, a[k], v)
		}
	}
	if iv, _ := a["interval"].(map[string]any); iv["lo"] != 3.0 || iv["hi"] != 5.0 {
		t.Errorf("interval %v", a["interval"])
	}
	if v := testutil.ToFloat64(m.Alerts.WithLabelValues("webhook", "sent")); v != 1 {
		t.Errorf("sent metric %v", v)
	}
}

func TestAlertWebhookRetriesWithBackoff(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	s, m, stop := runAlertSink(t, AlertSinkConfig{Webhook: srv.URL, BackoffMin: time.Millisecond, BackoffMax: 4 * time.Millisecond})
	defer stop()
	s.Fire(testAlert("a"))
	waitUntil(t, "delivery after two 503s", func() bool { return s.Counts()["webhook"].Sent == 1 })
	if c := s.Counts()["webhook"]; c.Retries != 2 || c.Failed != 0 || calls.Load() != 3 {
		t.Fatalf("counts %+v after %d calls", c, calls.Load())
	}
	if v := testutil.ToFloat64(m.Retries.WithLabelValues("webhook")); v != 2 {
		t.Errorf("retries metric %v", v)
	}
}

func TestAlertWebhookPermanentStatusIsNotRetried(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	s, _, stop := runAlertSink(t, AlertSinkConfig{Webhook: srv.URL, BackoffMin: time.Millisecond})
	defer stop()
	s.Fire(testAlert("a"))
	waitUntil(t, "failure", func() bool { return s.Counts()["webhook"].Failed == 1 })
	if calls.Load() != 1 {
		t.Fatalf("%d calls for a 400", calls.Load())
	}
}

// A dead webhook never blocks Fire: deliveries fail after MaxAttempts and
// the overflow of the bounded queue is dropped, both counted.
func TestAlertWebhookDownNeverBlocks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	url := srv.URL
	srv.Close() // connection refused from now on
	s, m, stop := runAlertSink(t, AlertSinkConfig{Webhook: url, QueueSize: 4, MaxAttempts: 3,
		BackoffMin: time.Millisecond, BackoffMax: 2 * time.Millisecond})
	start := time.Now()
	fired := 0
	for i := range 200 {
		if s.Fire(testAlert("s" + string(rune('a'+i%26)))) {
			fired++
		}
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("200 Fire calls took %v", d)
	}
	waitUntil(t, "queued alerts fail", func() bool {
		c := s.Counts()["webhook"]
		return c.Failed == int64(fired)
	})
	stop()
	c := s.Counts()["webhook"]
	if c.Sent != 0 || c.Dropped != int64(200-fired) || c.Dropped == 0 || c.Retries != 2*c.Failed {
		t.Fatalf("counts %+v (fired %d)", c, fired)
	}
	if v := testutil.ToFloat64(m.Alerts.WithLabelValues("webhook", "dropped")); v != float64(c.Dropped) {
		t.Errorf("dropped metric %v", v)
	}
}

func TestAlertKafkaTopic(t *testing.T) {
	brokers := newKafka(t, "alerts")
	s, _, stop := runAlertSink(t, AlertSinkConfig{Brokers: brokers, Topic: "alerts"})
	defer stop()
	s.Fire(testAlert("meter-9"))
	waitUntil(t, "kafka delivery", func() bool { return s.Counts()["kafka"].Sent == 1 })
	msgs := readAll(t, brokers, "alerts")
	if len(msgs) != 1 || string(msgs[0].Key) != "meter-9" {
		t.Fatalf("messages %v", msgs)
	}
	var a Alert
	if err := json.Unmarshal(msgs[0].Value, &a); err != nil || a.Series != "meter-9" || a.Reason != AlertOutsideInterval || a.ModelVersion != "3-0badf00d" {
		t.Fatalf("alert %+v %v", a, err)
	}
}

func TestAlertSinkConfigValidate(t *testing.T) {
	for _, c := range []AlertSinkConfig{{}, {Webhook: "ftp://x"}, {Topic: "a"}, {Webhook: "http://x", QueueSize: -1}} {
		if c.Validate() == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}
