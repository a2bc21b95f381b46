package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/streamcast/streamcast/ingest"
)

// Alert reasons.
const (
	// AlertOutsideInterval: the observation fell outside the prediction
	// interval of its forecast.
	AlertOutsideInterval = "outside_interval"
	// AlertThreshold: |observed − expected| exceeded the configured threshold.
	AlertThreshold = "threshold"
)

// Interval is a prediction interval.
type Interval struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// Alert reports an observation its forecast did not expect. The JSON is
//
//	{"id":"meter-17/2026-11-26T06:00:00Z","series":"meter-17","ts":"2026-11-26T06:00:00Z",
//	 "observed":180.2,"expected":123.4,"interval":{"lo":110.1,"hi":136.0},"step":1,
//	 "origin_ts":"2026-11-26T05:00:00Z","model":"mlp","model_version":"3-8f3a2c1d",
//	 "reason":"outside_interval"}
//
// with "threshold" instead of (or besides) "interval" for threshold alerts.
// The id (series and observation time) lets receivers de-duplicate
// retried deliveries.
type Alert struct {
	ID       string    `json:"id"`
	Series   string    `json:"series"`
	TS       time.Time `json:"ts"`
	Observed float64   `json:"observed"`
	Expected float64   `json:"expected"`
	Interval *Interval `json:"interval,omitempty"`
	// Threshold is the absolute-error threshold that was exceeded.
	Threshold float64 `json:"threshold,omitempty"`
	// Step is how many steps ahead the forecast was issued (1 = the
	// freshest possible).
	Step         int       `json:"step"`
	Origin       time.Time `json:"origin_ts"`
	Model        string    `json:"model"`
	ModelVersion string    `json:"model_version"`
	Reason       string    `json:"reason"`
}

// AlertSinkConfig configures an AlertSink: a webhook, a Kafka topic, or
// both (each with its own queue and worker, so one failing destination
// does not hold up the other). Zero values take the defaults.
type AlertSinkConfig struct {
	// Webhook is the URL alerts are POSTed to, one JSON object per request
	// (empty: none).
	Webhook string
	// Brokers and Topic name the Kafka alerts topic (empty Topic: none);
	// key = series. Transport carries TLS/SASL (nil: plain).
	Brokers   []string
	Topic     string
	Transport *kafka.Transport
	// QueueSize bounds the alerts waiting per destination (default 1024);
	// Fire drops (and counts) alerts beyond it instead of blocking.
	QueueSize int
	// MaxAttempts is how often a delivery is tried before it is counted
	// as failed (default 5).
	MaxAttempts int
	// BackoffMin and BackoffMax bound the exponential backoff between
	// attempts (defaults 100ms and 5s; full jitter from a seeded source).
	BackoffMin, BackoffMax time.Duration
	// Timeout bounds one attempt (default 5s).
	Timeout time.Duration
	// Seed drives the backoff jitter (default 1).
	Seed uint64
	// Client sends webhook requests (default: a client with Timeout).
	Client *http.Client
	// Logger receives delivery failures (default: discard).
	Logger *slog.Logger
}

// Validate reports invalid settings.
func (c *AlertSinkConfig) Validate() error {
	if c.Webhook == "" && c.Topic == "" {
		return errors.New("sink: AlertSinkConfig needs a Webhook or a Topic")
	}
	if c.Webhook != "" {
		u, err := url.Parse(c.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("sink: alert webhook %q must be an http(s) URL", c.Webhook)
		}
	}
	if c.Topic != "" && len(c.Brokers) == 0 {
		return errors.New("sink: alert topic needs Brokers")
	}
	if c.QueueSize < 0 || c.MaxAttempts < 0 || c.BackoffMin < 0 || c.BackoffMax < 0 || c.Timeout < 0 {
		return errors.New("sink: AlertSinkConfig sizes and durations must be >= 0")
	}
	return nil
}

func (c AlertSinkConfig) withDefaults() AlertSinkConfig {
	if c.QueueSize == 0 {
		c.QueueSize = 1024
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 5
	}
	if c.BackoffMin == 0 {
		c.BackoffMin = 100 * time.Millisecond
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = 5 * time.Second
	}
	c.BackoffMax = max(c.BackoffMax, c.BackoffMin)
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: c.Timeout}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// AlertMetrics count alert deliveries per destination ("webhook", "kafka").
type AlertMetrics struct {
	// Alerts counts outcomes: result = sent, failed (all attempts used or
	// a permanent error), dropped (queue full or shut down).
	Alerts *prometheus.CounterVec
	// Retries counts repeated attempts.
	Retries *prometheus.CounterVec
}

// NewAlertMetrics registers the alert metrics on reg.
func NewAlertMetrics(reg prometheus.Registerer) (*AlertMetrics, error) {
	m := &AlertMetrics{
		Alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamcast_alerts_total",
			Help: "Alerts by destination and outcome (sent, failed, dropped)."}, []string{"sink", "result"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamcast_alert_retries_total",
			Help: "Repeated alert delivery attempts by destination."}, []string{"sink"}),
	}
	for _, c := range []prometheus.Collector{m.Alerts, m.Retries} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// AlertSink delivers alerts in the background: Fire never blocks the
// stream; each destination has a bounded queue and a worker that retries
// with capped exponential backoff. Run the workers with Run.
type AlertSink struct {
	cfg     AlertSinkConfig
	dests   []*alertDest
	m       *AlertMetrics
	closers []func() error
}

type alertDest struct {
	name string
	q    chan Alert
	send func(ctx context.Context, a *Alert, body []byte) error
	// counts, also kept without metrics (for the run summary and tests)
	sent, failed, dropped, retries int64
	mu                             sync.Mutex
}

// permanent marks delivery errors that retrying cannot fix.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// NewAlertSink builds a sink; m may be nil.
func NewAlertSink(cfg AlertSinkConfig, m *AlertMetrics) (*AlertSink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	s := &AlertSink{cfg: c, m: m}
	if c.Webhook != "" {
		s.dests = append(s.dests, &alertDest{name: "webhook", q: make(chan Alert, c.QueueSize), send: s.postWebhook})
	}
	if c.Topic != "" {
		tr := c.Transport
		if tr == nil {
			tr = &kafka.Transport{}
		}
		w := &kafka.Writer{Addr: kafka.TCP(c.Brokers...), Topic: c.Topic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
			MaxAttempts: 1, WriteTimeout: c.Timeout, BatchTimeout: time.Millisecond, Transport: tr}
		s.dests = append(s.dests, &alertDest{name: "kafka", q: make(chan Alert, c.QueueSize), send: func(ctx context.Context, a *Alert, body []byte) error {
			err := w.WriteMessages(ctx, kafka.Message{Key: []byte(a.Series), Value: body})
			if ingest.ClassifyKafkaError(err) == ingest.ClassPermanent {
				return permanent{err}
			}
			return err
		}})
		s.closers = append(s.closers, w.Close)
	}
	return s, nil
}

// Fire queues a for every destination and reports whether every queue
// took it; a full queue drops the alert for that destination (counted).
func (s *AlertSink) Fire(a Alert) bool {
	if a.ID == "" {
		a.ID = a.Series + "/" + a.TS.UTC().Format(time.RFC3339Nano)
	}
	ok := true
	for _, d := range s.dests {
		select {
		case d.q <- a:
		default:
			ok = false
			s.count(d, "dropped")
		}
	}
	return ok
}

// AlertCounts are one destination's delivery counts.
type AlertCounts struct {
	Sent, Failed, Dropped, Retries int64
}

// Counts returns the delivery counts per destination name.
func (s *AlertSink) Counts() map[string]AlertCounts {
	out := map[string]AlertCounts{}
	for _, d := range s.dests {
		d.mu.Lock()
		out[d.name] = AlertCounts{Sent: d.sent, Failed: d.failed, Dropped: d.dropped, Retries: d.retries}
		d.mu.Unlock()
	}
	return out
}

func (s *AlertSink) count(d *alertDest, result string) {
	d.mu.Lock()
	switch result {
	case "sent":
		d.sent++
	case "failed":
		d.failed++
	case "dropped":
		d.dropped++
	case "retry":
		d.retries++
	}
	d.mu.Unlock()
	if s.m == nil {
		return
	}
	if result == "retry" {
		s.m.Retries.WithLabelValues(d.name).Inc()
		return
	}
	s.m.Alerts.WithLabelValues(d.name, result).Inc()
}

// Run delivers queued alerts until ctx ends; alerts still queued then are
// counted as dropped. It closes the Kafka writer before returning.
func (s *AlertSink) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i, d := range s.dests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.work(ctx, d, rand.New(rand.NewPCG(s.cfg.Seed, uint64(i))))
		}()
	}
	wg.Wait()
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

func (s *AlertSink) work(ctx context.Context, d *alertDest, rng *rand.Rand) {
	for {
		select {
		case <-ctx.Done():
			for {
				select {
				case <-d.q:
					s.count(d, "dropped")
				default:
					return
				}
			}
		case a := <-d.q:
			s.deliver(ctx, d, &a, rng)
		}
	}
}

func (s *AlertSink) deliver(ctx context.Context, d *alertDest, a *Alert, rng *rand.Rand) {
	body, err := json.Marshal(a)
	if err != nil { // only non-finite numbers; never retried
		s.cfg.Logger.Error("alert not encodable", "sink", d.name, "series", a.Series, "err", err)
		s.count(d, "failed")
		return
	}
	backoff := s.cfg.BackoffMin
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		err = d.send(actx, a, body)
		cancel()
		if err == nil {
			s.count(d, "sent")
			return
		}
		var p permanent
		if errors.As(err, &p) || attempt >= s.cfg.MaxAttempts || ctx.Err() != nil {
			s.cfg.Logger.Warn("alert delivery failed", "sink", d.name, "series", a.Series, "attempts", attempt, "err", err)
			s.count(d, "failed")
			return
		}
		s.count(d, "retry")
		wait := time.Duration(rng.Int64N(int64(backoff)) + 1) // full jitter
		select {
		case <-ctx.Done():
			s.count(d, "failed")
			return
		case <-time.After(wait):
		}
		backoff = min(2*backoff, s.cfg.BackoffMax)
	}
}

// postWebhook POSTs one alert. 2xx is success; 408, 429 and 5xx are
// retried; other statuses are permanent failures.
func (s *AlertSink) postWebhook(ctx context.Context, _ *Alert, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Webhook, bytes.NewReader(body))
	if err != nil {
		return permanent{err}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return errors.New("webhook: HTTP " + strconv.Itoa(resp.StatusCode))
	}
	return permanent{errors.New("webhook: HTTP " + strconv.Itoa(resp.StatusCode))}
}
