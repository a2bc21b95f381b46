// Package pipeline wires ingest, features, engine and sink into the
// streaming service, and implements the demo, run and bench pipeline commands.
//
// Data flow: Kafka input topic → ingest.KafkaSource (consumer group, one
// goroutine per partition, batches in offset order) → Handler (decode →
// features.Store.Apply in one Redis round trip → Forecaster → publish to
// the Kafka output topic and the Redis latest-forecast keys, rejects to the
// DLQ, all acknowledged) → offset commit.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/streamcast/streamcast/engine/loss"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"time"
)

// RunMain implements `streamcast run`: the production service against real
// Kafka and Redis.
func RunMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	asJSON := fs.Bool("json", false, "at shutdown, print the run summary (counters, latency, model version, retrains, promotions, rejections, online MAE) as one JSON line on stdout")
	if err := parseFlags(fs, args, stderr,
		"usage: streamcast run [flags]\n\nRuns the streaming forecaster against real Kafka and Redis until SIGINT/SIGTERM.",
		EnvKafkaPassword+"  Kafka SASL password (or --kafka-password-file)",
		EnvRedisPassword+"  Redis AUTH password (or --redis-password-file)"); err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	o := Options{Log: log}
	var stats *RunStats
	if *asJSON {
		stats = NewBoundedRunStats(100_000)
		o.OnAck = stats.OnAck
	}
	p, err := New(ctx, cfg, o)
	if err != nil {
		return err
	}
	start := time.Now()
	err = p.Run(ctx)
	if stats != nil {
		s := stats.Summary(stats.Processed(), time.Since(start))
		s.Model, s.ModelVersion, s.Horizon, s.Redis = p.Model().Name(), p.Model().Version(), cfg.Horizon, strings.Join(cfg.Redis, ",")
		s.addLifecycle(p.Lifecycle())
		b, jerr := json.Marshal(s)
		if jerr != nil {
			return errors.Join(err, jerr)
		}
		fmt.Fprintf(stdout, "%s\n", b)
	}
	return err
}

// harnessFlags registers the flags shared by demo and bench pipeline.
func harnessFlags(fs *flag.FlagSet, h *harness) *string {
	fs.Int64Var(&h.Events, "events", h.Events, "events to replay (0 = unbounded; then --duration is required)")
	fs.DurationVar(&h.Duration, "duration", h.Duration, "stop after this long (0 = when --events are processed)")
	fs.IntVar(&h.Series, "series", h.Series, "number of series (ETTh1: 7 columns, more are time-shifted replicas like etth1-OT-3)")
	fs.Float64Var(&h.Rate, "rate", h.Rate, "events/s produced (0 = as fast as possible)")
	fs.StringVar(&h.Dataset, "dataset", h.Dataset, "dataset: etth1 (bundled, real) or synthetic (seeded)")
	fs.Uint64Var(&h.Seed, "seed", h.Seed, "seed of the synthetic dataset")
	fs.IntVar(&h.Partitions, "partitions", h.Partitions, "partitions of the input topic")
	fs.StringVar(&h.Model, "model", h.Model, "forecasting model: naive, snaive, a model kind (mlp, …: trained on the dataset first unless --model-file), or neural with --model-file")
	fs.StringVar(&h.ModelFile, "model-file", h.ModelFile, "trained network to serve (from `streamcast train`)")
	fs.StringVar(&h.Loss, "loss", "mae", "loss of the network trained first: "+strings.Join(loss.FlagNames(), ", ")+" (mqloss, normal and studentt give prediction intervals)")
	fs.Var(floatList{&h.Levels}, "level", "prediction-interval levels in percent of mqloss/normal/studentt, e.g. 80,90 (default 80,90)")
	fs.IntVar(&h.TrainSteps, "train-steps", 300, "training steps of the network trained first")
	fs.IntVar(&h.Season, "season", h.Season, "seasonal period of seasonal models")
	fs.IntVar(&h.Horizon, "horizon", h.Horizon, "forecast steps per event")
	fs.StringVar(&h.HTTP, "http", h.HTTP, "listen address of /metrics /healthz /readyz /v1/forecast/ (empty = off)")
	fs.IntVar(&h.MaxBatch, "max-batch", h.MaxBatch, "max messages per partition batch")
	fs.DurationVar(&h.MaxWait, "max-wait", DefaultConfig().MaxWait, "max wait to fill a partition batch after its first message")
	fs.StringVar(&h.Compression, "compression", DefaultConfig().Compression, "compression of forecast batches: snappy, lz4, zstd, gzip, none")
	fs.BoolVar(&h.JSON, "json", h.JSON, "print the JSON summary as the last line of stdout")
	h.Lifecycle = defaultLifecycle()
	h.Lifecycle.registerFlags(fs)
	logLevel := "warn"
	fs.StringVar(&logLevel, "log-level", logLevel, "log level: debug, info, warn, error")
	return &logLevel
}

// DemoMain implements `streamcast demo`: the real pipeline against an
// in-process Kafka (kfake) and Redis (miniredis, or --redis), replaying the
// bundled ETTh1 dataset.
func DemoMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	h := &harness{
		Name: "demo", Events: 20000, Series: 7, Rate: 1000, Dataset: "etth1", Seed: 1, Partitions: 6,
		Model: "snaive", Season: 24, Horizon: 24, HTTP: "127.0.0.1:0", MaxBatch: 1000, Progress: true,
	}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	logLevel := harnessFlags(fs, h)
	fs.StringVar(&h.Redis, "redis", h.Redis, "use this real Redis (host:port) instead of the in-process miniredis")
	if err := parseFlags(fs, args, stderr, "usage: streamcast demo [flags]\n\n"+
		"Starts an in-process Kafka (kfake) and Redis (miniredis), replays the bundled ETTh1 dataset\n"+
		"(Zhou et al., Informer, AAAI 2021; CC BY-ND 4.0) into the input topic and runs the real pipeline."); err != nil {
		return err
	}
	return runHarnessCommand(ctx, h, *logLevel, stdout, stderr)
}

// BenchMain implements `streamcast bench pipeline`: the demo harness with a
// real Redis, 1000 series and the input topic preloaded before the measured
// phase at --rate 0 (max throughput), or produced live at --rate R (latency).
func BenchMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	h := &harness{
		Name: "bench", Events: 200000, Series: 1000, Dataset: "etth1", Seed: 1, Partitions: 6,
		Model: "snaive", Season: 24, Horizon: 24, MaxBatch: 1000, Redis: "127.0.0.1:6379", Progress: true,
	}
	fs := flag.NewFlagSet("bench pipeline", flag.ContinueOnError)
	logLevel := harnessFlags(fs, h)
	fs.StringVar(&h.Redis, "redis", h.Redis, "real Redis to use (host:port); keys use a unique prefix and are deleted afterwards")
	cpuProfile := ""
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the measured run to this file")
	memProfile := ""
	fs.StringVar(&memProfile, "memprofile", "", "write an allocation profile (pprof, allocs) of the run to this file")
	if err := parseFlags(fs, args, stderr, "usage: streamcast bench pipeline [flags]\n\n"+
		"End-to-end throughput (--rate 0: the input topic is preloaded first, then consumed as fast as possible)\n"+
		"and latency (--rate R: produced live at R events/s) with an in-process Kafka and a real Redis."); err != nil {
		return err
	}
	if strings.TrimSpace(h.Redis) == "" {
		return errConfigf("--redis is required for bench pipeline")
	}
	h.Preload = h.Rate == 0 && h.Events > 0
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if memProfile != "" {
		f, err := os.Create(memProfile)
		if err != nil {
			return fmt.Errorf("--memprofile: %w", err)
		}
		defer f.Close()
		defer func() { _ = pprof.Lookup("allocs").WriteTo(f, 0) }()
	}
	return runHarnessCommand(ctx, h, *logLevel, stdout, stderr)
}

func runHarnessCommand(ctx context.Context, h *harness, logLevel string, stdout, stderr io.Writer) error {
	switch logLevel {
	case "debug", "info", "warn", "error":
	default:
		return errConfigf("--log-level %q is not debug, info, warn or error", logLevel)
	}
	log := slog.New(quietIdleFetches{newLogger(stderr, logLevel, "text").Handler()})
	t := time.Now()
	out, err := h.run(ctx, stderr, log)
	if err != nil {
		return err
	}
	log.Debug("harness finished", "wall", time.Since(t))
	return printSummary(stdout, stderr, out, h.JSON)
}

// newLogger builds the slog logger for the given level and format.
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// quietIdleFetches is a slog.Handler for the demo and the benchmark that
// demotes one benign kafka-go message to debug: on an idle partition the
// reader's long-poll deadline (MaxWait) can expire just before the broker's
// empty answer arrives, which kafka-go logs as "i/o timeout" and then simply
// fetches again. With few series over several partitions (the demo's 7
// series on 6 partitions) some partitions are always idle. `run` logs it
// unchanged.
type quietIdleFetches struct{ slog.Handler }

func (q quietIdleFetches) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelError && strings.Contains(r.Message, "i/o timeout") && strings.Contains(r.Message, "the kafka reader got an unknown error reading partition") {
		if !q.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		nr := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
		r.Attrs(func(a slog.Attr) bool { nr.AddAttrs(a); return true })
		r = nr
	}
	return q.Handler.Handle(ctx, r)
}

func (q quietIdleFetches) WithAttrs(as []slog.Attr) slog.Handler {
	return quietIdleFetches{q.Handler.WithAttrs(as)}
}

func (q quietIdleFetches) WithGroup(name string) slog.Handler {
	return quietIdleFetches{q.Handler.WithGroup(name)}
}
