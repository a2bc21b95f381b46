package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/registry"
	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/pipeline/lifecycle"
	"github.com/streamcast/streamcast/sink"
)

// LifecycleConfig configures the model lifecycle: the shared model
// registry, online retraining with champion/challenger promotion, online
// evaluation and alerts. Every field has a flag and a STREAMCAST_* variable.
type LifecycleConfig struct {
	// Registry names the model registry in Redis (--registry). With it the
	// network served is the registry's current version (seeded from
	// --model-file when the registry is empty), every promotion is
	// hot-swapped within seconds, and retraining can be enabled. Default:
	// "" (off).
	Registry string
	// RegistryPoll is the polling fallback of the promotion notifications.
	// Default: 2s.
	RegistryPoll time.Duration
	// RegistryKeep is the number of stored versions kept. Default: 20.
	RegistryKeep int
	// InstanceID names this instance in the trainer lease and the version
	// metadata. Default: <hostname>-<pid>-<random>.
	InstanceID string

	// RetrainEvery retrains when this long passed since the group's last
	// training (0: off). RetrainAfter retrains after that many new
	// observations across the group (0: off). RetrainDrift retrains early
	// when the recent step-1 online error exceeds this ratio times the
	// serving version's initial error (0: off; > 1), over
	// RetrainDriftWindow scores (default 200). RetrainMinInterval is the
	// least time between trainings (default 5s).
	RetrainEvery       time.Duration
	RetrainAfter       int64
	RetrainDrift       float64
	RetrainDriftWindow int
	RetrainMinInterval time.Duration
	// RetrainSteps is the number of training steps (default 200);
	// RetrainFromScratch starts from fresh weights instead of the serving
	// model's; RetrainTimeout bounds a training (default 10m);
	// RetrainSeries bounds the series read (default 1000, a seeded sample
	// beyond); RetrainHoldout is the number of recent windows per series
	// held out for the comparison (default 2); RetrainLR is the learning
	// rate (default 1e-3).
	RetrainSteps       int
	RetrainFromScratch bool
	RetrainTimeout     time.Duration
	RetrainSeries      int
	RetrainHoldout     int
	RetrainLR          float64
	// TrainThreads is the training's CPU budget in threads (default 1).
	// TrainIsolation is "process" (default: a child process with
	// GOMAXPROCS = TrainThreads at lower priority) or "inprocess".
	TrainThreads   int
	TrainIsolation string
	// TrainPriority is the CPU priority of the training process: "low"
	// (default: niceness 19 on every thread), "idle" (SCHED_IDLE as well:
	// only otherwise idle CPU) or "normal".
	TrainPriority string
	// PromoteMargin: the challenger must score below (1 − margin) × the
	// serving model (default 0.01) on PromoteMetric (mae or smape,
	// default mae).
	PromoteMargin float64
	PromoteMetric string
	// LeaseTTL is the trainer lease's expiry (default 30s).
	LeaseTTL time.Duration

	// EvalSeries bounds the series the online evaluation tracks (default
	// 10000).
	EvalSeries int
	// AlertTopic and AlertWebhook receive alerts (either or both; empty:
	// none). An alert fires when an observation falls outside the
	// prediction interval of its freshest forecast (models with
	// quantiles; the AlertLevel % interval, default the widest one) or
	// its absolute error exceeds AlertThreshold (0: off).
	AlertTopic     string
	AlertWebhook   string
	AlertThreshold float64
	AlertLevel     float64
	// AlertQueue bounds the alerts waiting per destination (default 1024;
	// more are dropped and counted); AlertAttempts is the delivery
	// attempts per alert (default 5).
	AlertQueue    int
	AlertAttempts int
}

func defaultLifecycle() LifecycleConfig {
	return LifecycleConfig{RegistryPoll: 2 * time.Second, RegistryKeep: 20, RetrainDriftWindow: 200, RetrainMinInterval: 5 * time.Second,
		RetrainSteps: 200, RetrainTimeout: 10 * time.Minute, RetrainSeries: 1000, RetrainHoldout: 2, RetrainLR: 1e-3,
		TrainThreads: 1, TrainIsolation: "process", TrainPriority: "low", PromoteMargin: 0.01, PromoteMetric: "mae", LeaseTTL: 30 * time.Second,
		EvalSeries: 10_000, AlertQueue: 1024, AlertAttempts: 5}
}

// retrains reports whether a retraining trigger is configured.
func (l *LifecycleConfig) retrains() bool {
	return l.RetrainEvery > 0 || l.RetrainAfter > 0 || l.RetrainDrift > 0
}

func (l *LifecycleConfig) registerFlags(fs *flag.FlagSet) {
	fs.StringVar(&l.Registry, "registry", l.Registry, "model registry name in Redis: serve its current version, hot-swap promotions, retrain into it (empty = off)")
	fs.DurationVar(&l.RegistryPoll, "registry-poll", l.RegistryPoll, "polling fallback of the registry's promotion notifications")
	fs.IntVar(&l.RegistryKeep, "registry-keep", l.RegistryKeep, "stored model versions kept (the current one and recent rollback targets are always kept)")
	fs.StringVar(&l.InstanceID, "instance-id", l.InstanceID, "this instance's name in the trainer lease and version metadata (default host-pid-random)")
	fs.DurationVar(&l.RetrainEvery, "retrain-every", l.RetrainEvery, "retrain when this long passed since the group's last training (0 = off)")
	fs.Int64Var(&l.RetrainAfter, "retrain-after", l.RetrainAfter, "retrain after this many new observations across the group (0 = off)")
	fs.Float64Var(&l.RetrainDrift, "retrain-drift", l.RetrainDrift, "retrain early when the recent 1-step online MAE exceeds this ratio (> 1) times the serving version's initial one (0 = off)")
	fs.IntVar(&l.RetrainDriftWindow, "retrain-drift-window", l.RetrainDriftWindow, "scores in the drift detector's baseline and recent windows")
	fs.DurationVar(&l.RetrainMinInterval, "retrain-min-interval", l.RetrainMinInterval, "least time between two trainings of the group")
	fs.IntVar(&l.RetrainSteps, "retrain-steps", l.RetrainSteps, "training steps of a retrain")
	fs.BoolVar(&l.RetrainFromScratch, "retrain-from-scratch", l.RetrainFromScratch, "retrain from fresh weights instead of warm-starting from the serving model")
	fs.DurationVar(&l.RetrainTimeout, "retrain-timeout", l.RetrainTimeout, "a training that takes longer is rejected")
	fs.IntVar(&l.RetrainSeries, "retrain-series", l.RetrainSeries, "series read per retrain (a seeded sample when there are more)")
	fs.IntVar(&l.RetrainHoldout, "retrain-holdout", l.RetrainHoldout, "most recent windows per series held out to compare challenger and serving model")
	fs.Float64Var(&l.RetrainLR, "retrain-lr", l.RetrainLR, "learning rate of a retrain")
	fs.IntVar(&l.TrainThreads, "train-threads", l.TrainThreads, "CPU threads of a background training (GOMAXPROCS of the training process)")
	fs.StringVar(&l.TrainIsolation, "train-isolation", l.TrainIsolation, "process (a child process at lower priority) or inprocess")
	fs.StringVar(&l.TrainPriority, "train-priority", l.TrainPriority, "CPU priority of the training process: low (nice 19), idle (SCHED_IDLE: idle CPU only) or normal")
	fs.Float64Var(&l.PromoteMargin, "promote-margin", l.PromoteMargin, "relative improvement over the serving model a challenger needs to be promoted")
	fs.StringVar(&l.PromoteMetric, "promote-metric", l.PromoteMetric, "hold-out metric of the comparison: mae or smape")
	fs.DurationVar(&l.LeaseTTL, "lease-ttl", l.LeaseTTL, "expiry of the trainer lease (renewed every third of it while training)")
	fs.IntVar(&l.EvalSeries, "eval-series", l.EvalSeries, "series tracked by the online evaluation (memory ≈ 8·h·(h+2) bytes each)")
	fs.StringVar(&l.AlertTopic, "alert-topic", l.AlertTopic, "Kafka topic receiving alerts (empty = none)")
	fs.StringVar(&l.AlertWebhook, "alert-webhook", l.AlertWebhook, "http(s) URL alerts are POSTed to (empty = none)")
	fs.Float64Var(&l.AlertThreshold, "alert-threshold", l.AlertThreshold, "alert when |observed - forecast| exceeds this (0 = off)")
	fs.Float64Var(&l.AlertLevel, "alert-level", l.AlertLevel, "prediction-interval level in percent that alerts use (0 = the widest the model gives)")
	fs.IntVar(&l.AlertQueue, "alert-queue", l.AlertQueue, "alerts waiting per destination before new ones are dropped (counted)")
	fs.IntVar(&l.AlertAttempts, "alert-attempts", l.AlertAttempts, "delivery attempts per alert (backoff between them)")
}

func (l *LifecycleConfig) validate(c *Config, bad func(string, ...any)) {
	if l.Registry != "" {
		if err := (registry.Config{Name: l.Registry}).Validate(); err != nil {
			bad("--registry: %v", err)
		}
		if !isNeuralKind(c.Model) {
			bad("--registry serves networks: use --model neural (or a model kind such as mlp), not %s", c.Model)
		}
	}
	if l.retrains() && l.Registry == "" {
		bad("--retrain-every/--retrain-after/--retrain-drift need --registry")
	}
	rc := lifecycle.RetrainConfig{Every: l.RetrainEvery, After: l.RetrainAfter, DriftRatio: l.RetrainDrift, DriftWindow: l.RetrainDriftWindow,
		MinInterval: l.RetrainMinInterval, Steps: l.RetrainSteps, Timeout: l.RetrainTimeout, MaxSeries: l.RetrainSeries,
		Holdout: l.RetrainHoldout, Margin: l.PromoteMargin, Metric: l.PromoteMetric, LeaseTTL: l.LeaseTTL, Keep: l.RegistryKeep, Owner: "x"}
	if err := rc.Validate(); err != nil {
		bad("retraining: %v", err)
	}
	if l.RetrainSteps < 1 || l.RetrainHoldout < 1 || l.RetrainSeries < 1 || l.RegistryKeep < 1 {
		bad("--retrain-steps, --retrain-holdout, --retrain-series and --registry-keep must be >= 1")
	}
	if !(l.RetrainLR > 0) || math.IsInf(l.RetrainLR, 0) {
		bad("--retrain-lr: %v must be > 0", l.RetrainLR)
	}
	if l.TrainThreads < 1 {
		bad("--train-threads: %d must be >= 1", l.TrainThreads)
	}
	if l.TrainIsolation != "process" && l.TrainIsolation != "inprocess" {
		bad("--train-isolation: %q must be process or inprocess", l.TrainIsolation)
	}
	if l.TrainPriority != "low" && l.TrainPriority != "idle" && l.TrainPriority != "normal" {
		bad("--train-priority: %q must be low, idle or normal", l.TrainPriority)
	}
	if l.RegistryPoll <= 0 || l.LeaseTTL < time.Second && l.retrains() {
		bad("--registry-poll must be > 0 and --lease-ttl >= 1s")
	}
	if l.EvalSeries < 1 {
		bad("--eval-series: %d must be >= 1", l.EvalSeries)
	}
	if l.AlertTopic != "" {
		if err := validTopic(l.AlertTopic); err != nil {
			bad("--alert-topic: %v", err)
		} else if l.AlertTopic == c.InputTopic || l.AlertTopic == c.OutputTopic {
			bad("--alert-topic %q must differ from the input and output topics", l.AlertTopic)
		}
	}
	if l.AlertWebhook != "" {
		ac := sink.AlertSinkConfig{Webhook: l.AlertWebhook}
		if err := ac.Validate(); err != nil {
			bad("--alert-webhook: %v", err)
		}
	}
	if l.AlertThreshold < 0 || math.IsNaN(l.AlertThreshold) || l.AlertLevel < 0 || l.AlertLevel >= 100 {
		bad("--alert-threshold must be >= 0 and --alert-level in [0, 100)")
	}
	if l.AlertQueue < 1 || l.AlertAttempts < 1 {
		bad("--alert-queue and --alert-attempts must be >= 1")
	}
}

func (l *LifecycleConfig) instanceID() string {
	if l.InstanceID != "" {
		return l.InstanceID
	}
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	l.InstanceID = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	return l.InstanceID
}

// lifecycleParts are the running lifecycle components of a Pipeline:
// the evaluator always, the others when configured.
type lifecycleParts struct {
	reg       *registry.Registry
	current   int64 // version served at start
	swap      *lifecycle.Swap
	follower  *registry.Watcher
	retrainer *lifecycle.Retrainer
	eval      *lifecycle.Evaluator
	alerts    *sink.AlertSink
	drift     *lifecycle.Drift
}

// buildLifecycle creates the evaluator, the alert sink, the registry
// follower and the retrainer, and registers their metrics.
func (p *Pipeline) buildLifecycle(cfg *Config, lc lifecycleParts, store *features.Store, kc *KafkaClients, log *slog.Logger) (*lifecycleParts, error) {
	l := &cfg.Lifecycle
	em, err := lifecycle.NewEvalMetrics(p.reg)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if l.AlertTopic != "" || l.AlertWebhook != "" {
		am, err := sink.NewAlertMetrics(p.reg)
		if err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
		ac := sink.AlertSinkConfig{Webhook: l.AlertWebhook, Topic: l.AlertTopic, Brokers: cfg.Brokers, QueueSize: l.AlertQueue,
			MaxAttempts: l.AlertAttempts, Logger: log}
		if l.AlertTopic != "" {
			ac.Transport = kc.NewTransport()
		}
		if lc.alerts, err = sink.NewAlertSink(ac, am); err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
	}
	var alerter lifecycle.Alerter
	if lc.alerts != nil {
		alerter = lc.alerts
	}
	ec := lifecycle.EvalConfig{Horizon: cfg.Horizon, Freq: cfg.Freq, MaxSeries: l.EvalSeries, AlertThreshold: l.AlertThreshold,
		Interval: alertInterval(l.AlertLevel)}
	if lc.eval, err = lifecycle.NewEvaluator(ec, em, alerter); err != nil {
		return nil, err
	}
	if lc.reg == nil {
		return &lc, nil
	}

	var follower *registry.Watcher
	swaps, err := registerRegistryMetrics(p.reg, func() float64 { return float64(follower.Errors()) })
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if l.RetrainDrift > 0 {
		lc.drift = lifecycle.NewDrift(l.RetrainDriftWindow, l.RetrainDrift)
		lc.drift.SetVersion(lc.swap.Version())
		lc.eval.FeedDrift(lc.drift)
	}
	info := p.metrics.ModelInfo
	lc.follower = lifecycle.NewFollower(lc.reg, lc.swap, serveFunc(cfg, p.inputs), l.RegistryPoll, func(old, cur forecast.Forecaster, m registry.Meta) {
		info.Reset()
		info.WithLabelValues(cur.Name(), cur.Version()).Set(1)
		swaps.Inc()
		if lc.drift != nil {
			lc.drift.SetVersion(cur.Version())
		}
		log.Info("serving a new model version", "model", cur.Name(), "version", cur.Version(), "previous", old.Version(),
			"parent", m.Parent, "note", m.Note)
	}, log)
	lc.follower.MarkApplied(lc.current)
	follower = lc.follower
	if !l.retrains() {
		return &lc, nil
	}
	rm, err := lifecycle.NewRetrainMetrics(p.reg)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	var fitter lifecycle.Fitter = lifecycle.InProcess{}
	if l.TrainIsolation == "process" {
		pf := &lifecycle.ProcessFitter{Threads: l.TrainThreads, Idle: l.TrainPriority == "idle"}
		if l.TrainPriority == "normal" {
			pf.Nice = -1
		}
		fitter = pf
	}
	rc := lifecycle.RetrainConfig{Every: l.RetrainEvery, After: l.RetrainAfter, DriftRatio: l.RetrainDrift, DriftWindow: l.RetrainDriftWindow,
		MinInterval: l.RetrainMinInterval, Steps: l.RetrainSteps, FromScratch: l.RetrainFromScratch, LearningRate: l.RetrainLR,
		Timeout: l.RetrainTimeout, Margin: l.PromoteMargin, Metric: l.PromoteMetric, Holdout: l.RetrainHoldout, MaxSeries: l.RetrainSeries,
		Owner: l.instanceID(), LeaseTTL: l.LeaseTTL, Keep: l.RegistryKeep}
	lc.retrainer, err = lifecycle.NewRetrainer(rc, lifecycle.Deps{Registry: lc.reg, Data: &lifecycle.RedisHistories{Store: store, Redis: p.rdb},
		Fitter: fitter, Serve: serveFunc(cfg, p.inputs), Inputs: p.inputs, Metrics: rm, Drift: lc.drift, Log: log})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return &lc, nil
}

// registerRegistryMetrics registers the swap counter and the reload-error
// counter (read from errs) on reg.
func registerRegistryMetrics(reg prometheus.Registerer, errs func() float64) (prometheus.Counter, error) {
	swaps := prometheus.NewCounter(prometheus.CounterOpts{Name: "streamcast_model_swaps_total",
		Help: "Registry versions hot-swapped into serving."})
	reloadErrs := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "streamcast_model_reload_errors_total",
		Help: "Failed attempts to load and install the registry's current version (retried)."}, errs)
	for _, c := range []prometheus.Collector{swaps, reloadErrs} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return swaps, nil
}

// observe is the Handler's per-batch hook.
func (lc *lifecycleParts) observe(r *BatchReport) {
	lc.eval.ObserveBatch(r.Applied, r.Forecasts)
	if lc.retrainer != nil {
		lc.retrainer.Observed(len(r.Applied))
	}
}

// start runs the background components until ctx ends; the channel is
// closed when all have returned.
func (lc *lifecycleParts) start(ctx context.Context, log *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range []interface {
		Run(context.Context) error
	}{nilIfNone(lc.follower), nilIfNone(lc.retrainer), nilIfNone(lc.alerts)} {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Run(ctx); err != nil {
				log.Error("lifecycle component stopped", "err", err)
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	return done
}

// nilIfNone turns typed nil pointers into untyped nil interfaces.
func nilIfNone[T any](p *T) interface{ Run(context.Context) error } {
	if p == nil {
		return nil
	}
	if r, ok := any(p).(interface{ Run(context.Context) error }); ok {
		return r
	}
	return nil
}

// LifecycleStats summarises the model lifecycle of a pipeline.
type LifecycleStats struct {
	// Retrains, Promotions and Rejections are this instance's.
	Retrains, Promotions, Rejections int64
	// Swaps counts versions hot-swapped into serving.
	Swaps int64
	// Online is the progressive evaluation so far.
	Online lifecycle.EvalReport
	// Alerts are the delivery counts per destination.
	Alerts map[string]sink.AlertCounts
}

// Lifecycle returns the lifecycle counters.
func (p *Pipeline) Lifecycle() LifecycleStats {
	var s LifecycleStats
	lc := p.lc
	if lc == nil {
		return s
	}
	if lc.retrainer != nil {
		s.Retrains, s.Promotions, s.Rejections = lc.retrainer.Counts()
	}
	if lc.swap != nil {
		s.Swaps = lc.swap.Swaps()
	}
	s.Online = lc.eval.Report()
	if lc.alerts != nil {
		s.Alerts = lc.alerts.Counts()
	}
	return s
}

// Retrainer returns the retrainer (nil when retraining is off).
func (p *Pipeline) Retrainer() *lifecycle.Retrainer { return p.lc.retrainer }

// serveFunc builds the serving adapter of a registry version.
func serveFunc(cfg *Config, in NeuralInputs) lifecycle.ServeFunc {
	return func(m model.Model, version string) (forecast.Forecaster, error) {
		return NewNeural(m, version, cfg.Freq, in)
	}
}

// fitsConfig vets a model for the stream: it must forecast the horizon
// from the stored history.
func fitsConfig(cfg *Config) func(forecast.Forecaster) error {
	return func(f forecast.Forecaster) error {
		if f.InputSize() > cfg.History {
			return fmt.Errorf("needs %d values of history but --history is %d", f.InputSize(), cfg.History)
		}
		if n, ok := f.(interface{ Horizon() int }); ok && n.Horizon() < cfg.Horizon {
			return fmt.Errorf("was trained for h=%d, --horizon is %d", n.Horizon(), cfg.Horizon)
		}
		return nil
	}
}

// registryModel opens the registry, seeds it from --model-file when it is
// empty, and returns the serving form of its current version.
func registryModel(ctx context.Context, cfg *Config, rdb redis.UniversalClient, in NeuralInputs) (*registry.Registry, forecast.Forecaster, int64, error) {
	l := &cfg.Lifecycle
	reg, err := registry.New(rdb, registry.Config{KeyPrefix: cfg.KeyPrefix, Name: l.Registry})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%w: --registry: %w", ErrConfig, err)
	}
	if cfg.ModelFile != "" {
		blob, err := os.ReadFile(cfg.ModelFile)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("%w: --model-file: %w", ErrConfig, err)
		}
		if _, _, err := lifecycle.SeedRegistry(ctx, reg, blob, "seeded from "+cfg.ModelFile, l.instanceID()); err != nil {
			return nil, nil, 0, err
		}
	}
	cur, err := reg.Current(ctx)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, nil, 0, fmt.Errorf("%w: registry %q is empty: give --model-file to seed it (or streamcast model push)", ErrConfig, l.Registry)
	}
	if err != nil {
		return nil, nil, 0, err
	}
	ld, meta, err := reg.Load(ctx, cur)
	if err != nil {
		return nil, nil, 0, err
	}
	if cfg.Model != model.ForecasterName && cfg.Model != ld.Model.Kind() {
		return nil, nil, 0, fmt.Errorf("%w: --model %s, but registry %q serves a %s model", ErrConfig, cfg.Model, l.Registry, ld.Model.Kind())
	}
	f, err := serveFunc(cfg, in)(ld.Model, meta.VersionString())
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%w: registry %q version %d: %w", ErrConfig, l.Registry, cur, err)
	}
	return reg, f, cur, nil
}

// alertInterval returns the Evaluator's interval function for level
// percent (0: the widest interval, from the lowest and highest quantile).
func alertInterval(level float64) func(f *sink.Forecast, k int) (float64, float64, bool) {
	return func(f *sink.Forecast, k int) (float64, float64, bool) {
		qs := f.Quantiles
		if len(qs) < 2 || k > len(f.Horizon) || len(f.Horizon[k-1].Q) != len(qs) {
			return 0, 0, false
		}
		q := f.Horizon[k-1].Q
		if level == 0 {
			return q[0], q[len(q)-1], true
		}
		lo, hi := -1, -1
		a := (1 - level/100) / 2
		for i, x := range qs {
			if math.Abs(x-a) < 1e-9 {
				lo = i
			}
			if math.Abs(x-(1-a)) < 1e-9 {
				hi = i
			}
		}
		if lo < 0 || hi < 0 {
			return 0, 0, false
		}
		return q[lo], q[hi], true
	}
}
