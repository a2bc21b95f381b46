package pipeline

import (
	"github.com/streamcast/streamcast/features"

	"github.com/prometheus/client_golang/prometheus"
)

// Event results, the values of the "result" label of streamcast_events_total.
const (
	ResultApplied   = "applied"   // state updated and forecast published
	ResultDuplicate = "duplicate" // replayed offset already in the state (no-op)
	ResultLate      = "late"      // event time not after the series' last event (skipped)
	ResultDLQ       = "dlq"       // poison message sent to the dead-letter topic
)

// Metrics are the pipeline's Prometheus metrics. Labels are bounded: no
// series id is ever a label.
type Metrics struct {
	Events        *prometheus.CounterVec // streamcast_events_total{result}
	DLQ           *prometheus.CounterVec // streamcast_dlq_messages_total{reason}
	Forecasts     prometheus.Counter     // streamcast_forecasts_total
	Latency       prometheus.Histogram   // streamcast_event_to_forecast_seconds
	RedisRTT      *prometheus.HistogramVec
	PublishRTT    *prometheus.HistogramVec
	ForecastTime  prometheus.Histogram
	BatchSize     prometheus.Histogram
	Retries       *prometheus.CounterVec // streamcast_batch_retries_total{stage}
	Ready         prometheus.Gauge
	ModelInfo     *prometheus.GaugeVec
	LastProcessed prometheus.Gauge
	// OffsetRegressions is streamcast_offset_regressions_total.
	OffsetRegressions prometheus.Counter
}

// latencyBuckets spans 100µs … ~6.5s (exponential ×2), sub-ms resolution
// matters because most end-to-end latencies are a few ms.
var latencyBuckets = prometheus.ExponentialBuckets(0.0001, 2, 17)

// rttBuckets spans 25µs … ~1.6s.
var rttBuckets = prometheus.ExponentialBuckets(0.000025, 2, 17)

// NewMetrics creates and registers the pipeline metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamcast_events_total",
			Help: "Input messages handled, by result: applied, duplicate, late, dlq.",
		}, []string{"result"}),
		DLQ: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamcast_dlq_messages_total",
			Help: "Messages sent to the dead-letter topic, by reason.",
		}, []string{"reason"}),
		Forecasts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamcast_forecasts_total",
			Help: "Forecasts published and acknowledged (Kafka and Redis).",
		}),
		Latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "streamcast_event_to_forecast_seconds",
			Help:    "Time from the input record's Kafka timestamp to the forecast being acknowledged by Kafka and Redis.",
			Buckets: latencyBuckets,
		}),
		RedisRTT: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "streamcast_redis_roundtrip_seconds",
			Help:    "Redis round-trip time of one pipelined call, by operation (apply = feature state update, latest = latest-forecast write).",
			Buckets: rttBuckets,
		}, []string{"op"}),
		PublishRTT: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "streamcast_kafka_publish_seconds",
			Help:    "Time to have a batch acknowledged by Kafka, by topic kind (forecasts, dlq, late).",
			Buckets: rttBuckets,
		}, []string{"kind"}),
		ForecastTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "streamcast_model_forecast_seconds",
			Help:    "Model time to forecast one batch.",
			Buckets: rttBuckets,
		}),
		BatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "streamcast_batch_messages",
			Help:    "Messages per handled partition batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamcast_transient_errors_total",
			Help: "Transient failures (batch retried without commit), by stage: redis, kafka.",
		}, []string{"stage"}),
		Ready: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "streamcast_ready",
			Help: "1 when the pipeline is ready (partitions assigned, scripts loaded, not stopping).",
		}),
		ModelInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "streamcast_model_info",
			Help: "The model in use (value 1).",
		}, []string{"model", "version"}),
		LastProcessed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "streamcast_last_processed_timestamp_seconds",
			Help: "Unix time at which the last batch was fully acknowledged.",
		}),
		OffsetRegressions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamcast_offset_regressions_total",
			Help: "Events applied although their source offset was at or below the one stored with their series (same topic and partition), because their event time was newer: a replay is never newer, so the input topic was recreated (offsets restart at 0) or its log rewritten.",
		}),
	}
	for _, r := range []string{ResultApplied, ResultDuplicate, ResultLate, ResultDLQ} {
		m.Events.WithLabelValues(r)
	}
	for _, s := range []string{"redis", "kafka"} {
		m.Retries.WithLabelValues(s)
	}
	for _, c := range []prometheus.Collector{m.Events, m.DLQ, m.Forecasts, m.Latency, m.RedisRTT, m.PublishRTT,
		m.ForecastTime, m.BatchSize, m.Retries, m.Ready, m.ModelInfo, m.LastProcessed, m.OffsetRegressions} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// registerStoreMetrics exposes the feature store's cache counters.
func registerStoreMetrics(reg prometheus.Registerer, s *features.Store) error {
	for _, c := range []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "streamcast_state_cache_misses_total",
			Help: "Series whose state had to be read from Redis before their events could be applied (first sight, eviction, or a conflict).",
		}, func() float64 { m, _ := s.CacheStats(); return float64(m) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "streamcast_state_conflicts_total",
			Help: "Events re-sent because the series' state in Redis had changed since it was cached (another writer, e.g. around a rebalance).",
		}, func() float64 { _, c := s.CacheStats(); return float64(c) }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
