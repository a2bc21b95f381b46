package lifecycle

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamcast/streamcast/engine/registry"
)

// StepBucket is the metric label of step ahead k: "1", "2", "3", then
// "4-6", "7-12", "13-24", "25-48", "49-96", "97+" — a handful of values
// whatever the horizon, so label cardinality stays bounded.
func StepBucket(k int) string {
	switch {
	case k <= 3:
		return strconv.Itoa(k)
	case k <= 6:
		return "4-6"
	case k <= 12:
		return "7-12"
	case k <= 24:
		return "13-24"
	case k <= 48:
		return "25-48"
	case k <= 96:
		return "49-96"
	}
	return "97+"
}

// EvalMetrics are the online-evaluation metrics. Labels are only
// step_bucket (StepBucket) and model_version (the evaluator's most recent
// MaxVersions versions), never a series.
type EvalMetrics struct {
	// AbsErrorSum and Scored give the online MAE of a bucket and version:
	// rate(streamcast_online_abs_error_total[5m]) / rate(streamcast_online_scored_total[5m]).
	AbsErrorSum *prometheus.CounterVec
	Scored      *prometheus.CounterVec
	// MAE is the cumulative MAE of the bucket and version since it was
	// first seen (a convenience for dashboards).
	MAE *prometheus.GaugeVec
	// Evicted counts series forgotten to respect MaxSeries.
	Evicted prometheus.Counter

	mu  sync.Mutex
	cum map[[2]string][2]float64 // (version, bucket) → (abs sum, n)
}

// NewEvalMetrics registers the metrics on reg.
func NewEvalMetrics(reg prometheus.Registerer) (*EvalMetrics, error) {
	m := &EvalMetrics{
		AbsErrorSum: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamcast_online_abs_error_total",
			Help: "Sum of |observed - forecast| of scored forecasts, by step-ahead bucket and model version."}, []string{"step_bucket", "model_version"}),
		Scored: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamcast_online_scored_total",
			Help: "Forecasts scored against the observation of their target time, by step-ahead bucket and model version."}, []string{"step_bucket", "model_version"}),
		MAE: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "streamcast_online_mae",
			Help: "Online MAE since the model version was first seen, by step-ahead bucket."}, []string{"step_bucket", "model_version"}),
		Evicted: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamcast_online_series_evicted_total",
			Help: "Series whose pending forecasts were forgotten to bound the evaluator's memory."}),
		cum: map[[2]string][2]float64{},
	}
	for _, c := range []prometheus.Collector{m.AbsErrorSum, m.Scored, m.MAE, m.Evicted} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *EvalMetrics) add(vs *versionStats, step int, abs float64, n int64) {
	b := StepBucket(step)
	m.AbsErrorSum.WithLabelValues(b, vs.version).Add(abs)
	m.Scored.WithLabelValues(b, vs.version).Add(float64(n))
	m.mu.Lock()
	key := [2]string{vs.version, b}
	c := m.cum[key]
	c[0] += abs
	c[1] += float64(n)
	m.cum[key] = c
	m.mu.Unlock()
	m.MAE.WithLabelValues(b, vs.version).Set(c[0] / c[1])
}

// forget removes a retired version's label values.
func (m *EvalMetrics) forget(version string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for key := range m.cum {
		if key[0] == version {
			delete(m.cum, key)
		}
	}
	l := prometheus.Labels{"model_version": version}
	m.AbsErrorSum.DeletePartialMatch(l)
	m.Scored.DeletePartialMatch(l)
	m.MAE.DeletePartialMatch(l)
}

// RetrainMetrics are the retrainer's metrics.
type RetrainMetrics struct {
	// Retrains counts trainings run, by trigger (every, after, drift, manual).
	Retrains *prometheus.CounterVec
	// Promotions counts promoted challengers.
	Promotions prometheus.Counter
	// Rejections counts challengers not promoted, by reason (worse,
	// diverged, exploding, timeout, conflict, error).
	Rejections *prometheus.CounterVec
	// Skipped counts rounds that did not train, by reason (lease_busy,
	// not_due, no_model, no_data, stopped, error).
	Skipped *prometheus.CounterVec
	// Duration is the duration of rounds that trained.
	Duration prometheus.Histogram
	// Score holds the last comparison: metric (mae, smape) × model
	// (champion, challenger).
	Score *prometheus.GaugeVec
}

// NewRetrainMetrics registers the retrainer's metrics on reg.
func NewRetrainMetrics(reg prometheus.Registerer) (*RetrainMetrics, error) {
	m := &RetrainMetrics{
		Retrains: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamcast_retrains_total",
			Help: "Background trainings run by this instance, by trigger."}, []string{"trigger"}),
		Promotions: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamcast_promotions_total",
			Help: "Challengers promoted to serving by this instance."}),
		Rejections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamcast_rejections_total",
			Help: "Challengers not promoted, by reason."}, []string{"reason"}),
		Skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "streamcast_retrain_skipped_total",
			Help: "Retraining rounds that did not train, by reason."}, []string{"reason"}),
		Duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "streamcast_retrain_duration_seconds",
			Help: "Duration of retraining rounds (data, training, evaluation, promotion).", Buckets: prometheus.ExponentialBuckets(0.1, 2, 14)}),
		Score: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "streamcast_retrain_holdout_score",
			Help: "Hold-out score of the last champion/challenger comparison."}, []string{"metric", "model"}),
	}
	for _, c := range []prometheus.Collector{m.Retrains, m.Promotions, m.Rejections, m.Skipped, m.Duration, m.Score} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *RetrainMetrics) observe(trigger string, out Outcome) {
	switch out.Result {
	case "promoted":
		m.Retrains.WithLabelValues(trigger).Inc()
		m.Promotions.Inc()
		m.Duration.Observe(out.Duration.Seconds())
	case "rejected":
		m.Retrains.WithLabelValues(trigger).Inc()
		m.Rejections.WithLabelValues(out.Reason).Inc()
		m.Duration.Observe(out.Duration.Seconds())
	default:
		m.Skipped.WithLabelValues(out.Reason).Inc()
	}
}

func (m *RetrainMetrics) last(s *registry.Scores) {
	m.Score.WithLabelValues("mae", "champion").Set(s.ParentMAE)
	m.Score.WithLabelValues("mae", "challenger").Set(s.MAE)
	m.Score.WithLabelValues("smape", "champion").Set(s.ParentSMAPE)
	m.Score.WithLabelValues("smape", "challenger").Set(s.SMAPE)
}
