package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/ingest"
	"github.com/streamcast/streamcast/pipeline/lifecycle"
	"github.com/streamcast/streamcast/sink"
)

// Options inject dependencies; zero values mean "build from Config".
type Options struct {
	// Log receives structured logs (default: discard).
	Log *slog.Logger
	// Registry receives the metrics and is served on /metrics (default: a
	// new registry with the Go and process collectors).
	Registry *prometheus.Registry
	// Redis, if set, is used instead of a client built from Config; the
	// pipeline does not close it.
	Redis redis.UniversalClient
	// OnAck is called after each acknowledged batch (see Handler.OnAck).
	OnAck func(*BatchReport)
	// Wrap, if set, wraps the forecast publishers before use (kind is
	// "kafka" or "redis"); tests use it to inject faults.
	Wrap func(kind string, p Publisher) Publisher
}

// Pipeline is the running service: a Kafka consumer group whose batches go
// through Handler, plus the HTTP endpoints. Build it with New and run it
// with Run.
type Pipeline struct {
	cfg      Config
	log      *slog.Logger
	reg      *prometheus.Registry
	metrics  *Metrics
	rdb      redis.UniversalClient
	ownRedis bool
	inputs   NeuralInputs // per-step message variables and static attributes of networks
	handler  *Handler
	source   *ingest.KafkaSource
	out      *sink.KafkaSink
	dlq      *ingest.DeadLetter
	late     *ingest.DeadLetter // nil without --late-topic
	http     *HTTPServer
	ready    *Readiness
	model    forecast.Forecaster
	lc       *lifecycleParts
}

// New validates cfg, checks the brokers (and credentials) and Redis, loads
// the feature script and builds every component. Errors are start-up
// errors: the caller should exit non-zero.
func New(ctx context.Context, cfg Config, o Options) (_ *Pipeline, err error) {
	if err := cfg.LoadSecrets(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	p := &Pipeline{cfg: cfg, log: log, reg: reg}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	sctx, cancel := context.WithTimeout(ctx, cfg.StartupTimeout)
	defer cancel()

	p.inputs.StepExog = cfg.StepExog
	if cfg.StaticFile != "" {
		if p.inputs.Static, err = ingest.LoadStatic(cfg.StaticFile, ingest.LoadOptions{}); err != nil {
			return nil, fmt.Errorf("%w: --static-file: %w", ErrConfig, err)
		}
	}
	var model forecast.Forecaster
	if cfg.Lifecycle.Registry != "" {
		// served from the registry, read once Redis is connected
	} else if isNeuralKind(cfg.Model) {
		nm, err := loadNeural(cfg.Model, cfg.ModelFile, cfg.Freq, p.inputs)
		if err != nil {
			return nil, fmt.Errorf("%w: --model-file: %w", ErrConfig, err)
		}
		if cfg.Horizon > nm.Horizon() {
			return nil, fmt.Errorf("%w: --horizon %d exceeds the %d steps %s was trained for", ErrConfig, cfg.Horizon, nm.Horizon(), cfg.ModelFile)
		}
		model = nm
	} else if model, err = forecast.New(cfg.Model, forecast.Options{Season: cfg.Season}); err != nil {
		return nil, fmt.Errorf("%w: --model: %w", ErrConfig, err)
	}
	if model != nil && model.InputSize() > cfg.History {
		return nil, fmt.Errorf("%w: model %s needs %d values (its input window plus the span of its derived inputs) but --history is %d", ErrConfig, cfg.Model, model.InputSize(), cfg.History)
	}

	kc, err := NewKafkaClients(&cfg)
	if err != nil {
		return nil, err
	}
	if err := kc.Check(sctx, cfg.topics()...); err != nil {
		return nil, err
	}

	if o.Redis != nil {
		p.rdb = o.Redis
	} else {
		if p.rdb, err = NewRedis(sctx, &cfg); err != nil {
			return nil, err
		}
		p.ownRedis = true
	}
	var lc lifecycleParts
	if cfg.Lifecycle.Registry != "" {
		var f forecast.Forecaster
		var cur int64
		if lc.reg, f, cur, err = registryModel(sctx, &cfg, p.rdb, p.inputs); err != nil {
			return nil, err
		}
		if lc.swap, err = lifecycle.NewSwap(f, fitsConfig(&cfg)); err != nil {
			return nil, fmt.Errorf("%w: registry %q: %w", ErrConfig, cfg.Lifecycle.Registry, err)
		}
		model = lc.swap
		lc.current = cur
	}
	p.model = model
	store, err := features.NewStoreWithOptions(p.rdb, featuresConfig(&cfg), features.StoreOptions{CacheSeries: cfg.StateCache})
	if err != nil {
		return nil, fmt.Errorf("feature store: %w", err)
	}
	if err := store.Load(sctx); err != nil {
		return nil, fmt.Errorf("loading the feature script into Redis: %w", err)
	}

	if p.metrics, err = NewMetrics(reg); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if err := registerStoreMetrics(reg, store); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	p.metrics.ModelInfo.WithLabelValues(model.Name(), model.Version()).Set(1)
	if p.lc, err = p.buildLifecycle(&cfg, lc, store, kc, log); err != nil {
		return nil, err
	}

	codec, _ := parseCompression(cfg.Compression) // checked by Validate
	p.out, err = sink.NewKafkaSink(sink.KafkaSinkConfig{Brokers: cfg.Brokers, Topic: cfg.OutputTopic, Transport: kc.NewTransport(), Logger: log,
		Compression: codec, DisableCompression: codec == 0,
		// Publish hands over a whole batch at once: partial per-partition
		// batches need not wait long for more.
		BatchTimeout: 500 * time.Microsecond})
	if err != nil {
		return nil, fmt.Errorf("forecast sink: %w", err)
	}
	latest, err := sink.NewRedisLatest(p.rdb, cfg.KeyPrefix)
	if err != nil {
		return nil, fmt.Errorf("latest-forecast store: %w", err)
	}
	p.dlq, err = ingest.NewDeadLetter(ingest.DeadLetterConfig{Brokers: cfg.Brokers, Topic: cfg.dlqTopic(), Transport: kc.NewTransport(), Logger: log, BatchTimeout: 500 * time.Microsecond})
	if err != nil {
		return nil, fmt.Errorf("dead-letter sender: %w", err)
	}
	var late DeadLetterSender
	if cfg.LateTopic != "" {
		if p.late, err = ingest.NewDeadLetter(ingest.DeadLetterConfig{Brokers: cfg.Brokers, Topic: cfg.LateTopic, Transport: kc.NewTransport(), Logger: log, BatchTimeout: 500 * time.Microsecond}); err != nil {
			return nil, fmt.Errorf("late-event sender: %w", err)
		}
		late = p.late
	}
	var out, lat Publisher = p.out, latest
	if o.Wrap != nil {
		out, lat = o.Wrap("kafka", out), o.Wrap("redis", lat)
	}
	p.handler = &Handler{
		Codec: &ingest.JSONCodec{}, Store: store, Model: model, Horizon: cfg.Horizon, Freq: cfg.Freq,
		Out: out, Latest: lat, DLQ: p.dlq, Late: late, Metrics: p.metrics, Log: log, OnAck: o.OnAck,
		observe: p.lc.observe,
	}
	p.source, err = ingest.NewKafkaSource(ingest.SourceConfig{
		Brokers: cfg.Brokers, Topic: cfg.InputTopic, GroupID: cfg.Group, Dialer: kc.Dialer(),
		MaxBatch: cfg.MaxBatch, MaxWait: cfg.MaxWait, CommitInterval: cfg.CommitInterval,
		SessionTimeout: cfg.SessionTimeout, HeartbeatInterval: cfg.HeartbeatInterval, RebalanceTimeout: cfg.RebalanceTimeout,
		RetryMin: cfg.RetryMin, RetryMax: cfg.RetryMax,
		// In-flight batches may finish within the shutdown budget, leaving
		// a little for closing writers and clients.
		DrainTimeout: cfg.ShutdownTimeout * 4 / 5,
	}, p.handler, log, reg)
	if err != nil {
		return nil, fmt.Errorf("kafka source: %w", err)
	}
	p.ready = NewReadiness(p.metrics.Ready, func() (bool, string) {
		if !p.source.Ready() {
			return false, "partitions not assigned yet"
		}
		return true, ""
	})
	if cfg.HTTP != "" {
		if p.http, err = NewHTTPServer(cfg.HTTP, reg, p.ready, sink.ForecastHandler(latest, log), log); err != nil {
			return nil, err
		}
	}
	log.Info("pipeline ready to start", "config", cfg.String(), "model", model.Name(), "model_version", model.Version())
	return p, nil
}

// HTTPAddr is the bound address of the HTTP server ("" if disabled).
func (p *Pipeline) HTTPAddr() string {
	if p.http == nil {
		return ""
	}
	return p.http.Addr()
}

// Model is the forecaster in use.
func (p *Pipeline) Model() forecast.Forecaster { return p.model }

// Ready reports readiness (as /readyz does).
func (p *Pipeline) Ready() bool { ok, _ := p.ready.Ready(); return ok }

// Registry is the metrics registry.
func (p *Pipeline) Registry() *prometheus.Registry { return p.reg }

// ErrShutdownTimeout is returned when the graceful drain exceeds
// Config.ShutdownTimeout.
var ErrShutdownTimeout = errors.New("graceful shutdown deadline exceeded")

// Run consumes until ctx ends or a component fails. Shutdown order:
// readiness false → the source stops fetching, finishes the in-flight
// batches (state written, forecasts and DLQ acked) and commits → writers
// closed → Redis closed → HTTP stopped, all within Config.ShutdownTimeout.
// A nil return means a clean shutdown.
func (p *Pipeline) Run(ctx context.Context) error {
	httpCtx, stopHTTP := context.WithCancel(context.Background())
	httpDone := make(chan error, 1)
	if p.http != nil {
		go func() { httpDone <- p.http.Run(httpCtx) }()
	} else {
		httpDone <- nil
	}
	lcCtx, stopLC := context.WithCancel(context.Background())
	lcDone := p.lc.start(lcCtx, p.log)
	srcCtx, stopSrc := context.WithCancel(context.Background())
	defer stopSrc()
	srcDone := make(chan error, 1)
	go func() { srcDone <- p.source.Run(srcCtx) }()

	var runErr error
	select {
	case runErr = <-srcDone:
		p.ready.Stopping()
		if runErr != nil {
			p.log.Error("source failed", "err", runErr)
			runErr = fmt.Errorf("kafka source: %w", runErr)
		}
	case <-ctx.Done():
		p.ready.Stopping()
		p.log.Info("shutting down: draining in-flight batches", "deadline", p.cfg.ShutdownTimeout)
		stopSrc()
		select {
		case err := <-srcDone:
			if err != nil && !errors.Is(err, context.Canceled) {
				runErr = fmt.Errorf("kafka source: %w", err)
			}
		case <-time.After(p.cfg.ShutdownTimeout):
			runErr = fmt.Errorf("%w (%v)", ErrShutdownTimeout, p.cfg.ShutdownTimeout)
		}
	}
	// The source has drained: stop retraining, following the registry and
	// delivering alerts (alerts still queued are counted as dropped).
	stopLC()
	<-lcDone
	if err := p.close(); err != nil && runErr == nil {
		runErr = err
	}
	stopHTTP()
	if err := <-httpDone; err != nil && runErr == nil {
		runErr = err
	}
	p.log.Info("pipeline stopped", "err", runErr)
	return runErr
}

// close releases writers and clients; safe on a partly built Pipeline.
func (p *Pipeline) close() error {
	var errs []error
	if p.out != nil {
		errs = append(errs, p.out.Close())
		p.out = nil
	}
	if p.dlq != nil {
		errs = append(errs, p.dlq.Close())
		p.dlq = nil
	}
	if p.late != nil {
		errs = append(errs, p.late.Close())
		p.late = nil
	}
	if p.ownRedis && p.rdb != nil {
		errs = append(errs, p.rdb.Close())
		p.rdb = nil
	}
	return errors.Join(errs...)
}

// featuresConfig is the feature-store configuration for cfg: the features
// defaults with cfg's history length and key prefix; windows and lags
// longer than the history are dropped.
func featuresConfig(cfg *Config) features.Config {
	f := features.DefaultConfig()
	f.History = cfg.History
	f.KeyPrefix = cfg.KeyPrefix
	f.StepExog = cfg.StepExog
	keep := func(xs []int) []int {
		var out []int
		for _, x := range xs {
			if x <= f.History {
				out = append(out, x)
			}
		}
		return out
	}
	f.Windows, f.Lags = keep(f.Windows), keep(f.Lags)
	return f
}
