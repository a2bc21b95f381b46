package ingest

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// sourceMetrics are the KafkaSource's Prometheus metrics. Partition is the
// only label (bounded by the topic's partition count).
type sourceMetrics struct {
	lag          *prometheus.GaugeVec
	assigned     prometheus.Gauge
	batches      prometheus.Counter
	messages     prometheus.Counter
	retries      prometheus.Counter
	commitErrors prometheus.Counter
	generations  prometheus.Counter
	groupErrors  prometheus.Counter
	handleTime   prometheus.Histogram
}

func newSourceMetrics(reg prometheus.Registerer) (*sourceMetrics, error) {
	m := &sourceMetrics{
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "streamcast_ingest_consumer_lag_messages",
			Help: "Messages between the last committed offset and the partition's high watermark, per assigned partition.",
		}, []string{"partition"}),
		assigned: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "streamcast_ingest_assigned_partitions",
			Help: "Partitions currently assigned to this consumer.",
		}),
		batches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamcast_ingest_batches_total",
			Help: "Batches handled successfully (each is then committed).",
		}),
		messages: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamcast_ingest_messages_total",
			Help: "Messages handled successfully (then committed).",
		}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamcast_ingest_batch_retries_total",
			Help: "Batch attempts that failed with a transient error and were retried.",
		}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamcast_ingest_commit_errors_total",
			Help: "Failed offset commits.",
		}),
		generations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamcast_ingest_group_generations_total",
			Help: "Consumer group generations joined (1 + rebalances).",
		}),
		groupErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "streamcast_ingest_group_errors_total",
			Help: "Errors joining or syncing the consumer group.",
		}),
		handleTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "streamcast_ingest_batch_handle_duration_seconds",
			Help:    "Time spent in the batch handler per attempt.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	m.lag = registerAs(reg, m.lag, &errs)
	m.assigned = registerAs(reg, m.assigned, &errs)
	m.batches = registerAs(reg, m.batches, &errs)
	m.messages = registerAs(reg, m.messages, &errs)
	m.retries = registerAs(reg, m.retries, &errs)
	m.commitErrors = registerAs(reg, m.commitErrors, &errs)
	m.generations = registerAs(reg, m.generations, &errs)
	m.groupErrors = registerAs(reg, m.groupErrors, &errs)
	m.handleTime = registerAs(reg, m.handleTime, &errs)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("ingest: register metrics: %w", err)
	}
	return m, nil
}

// registerAs registers c, or returns the collector of the same type already
// registered under its name (two sources sharing a registry share metrics).
func registerAs[T prometheus.Collector](reg prometheus.Registerer, c T, errs *[]error) T {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(T); ok {
				return existing
			}
		}
		*errs = append(*errs, err)
	}
	return c
}
