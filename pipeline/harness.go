package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"

	"github.com/streamcast/streamcast/pipeline/devkafka"
)

// harness runs the real pipeline against an in-process Kafka (kfake) and
// either an in-process Redis (miniredis) or a real one, with a producer
// replaying a dataset. It backs `demo` and `bench pipeline`.
type harness struct {
	Events     int64         // events to produce (0 = unbounded, needs Duration)
	Duration   time.Duration // stop after this long (0 = until Events are processed)
	Series     int
	Rate       float64 // events/s, 0 = as fast as possible
	Dataset    string
	Seed       uint64
	Partitions int
	Redis      string // "" = embedded miniredis
	Model      string
	ModelFile  string    // network to serve; "" with a model kind: train one first
	Loss       string    // loss of the trained demo network
	Levels     []float64 // its prediction-interval levels
	TrainSteps int       // its training steps
	Season     int
	Horizon    int
	HTTP       string
	MaxBatch   int
	MaxWait    time.Duration // batch fill wait; 0 = the pipeline default
	// Compression of the forecast topic ("" = the pipeline default)
	Compression string
	Preload     bool // produce everything before starting the pipeline (rate 0 only)
	JSON        bool
	Progress    bool
	Name        string // "demo" or "bench"
	// Lifecycle configures the registry, retraining and alerts; a
	// retraining flag without --registry uses the registry "demo".
	Lifecycle LifecycleConfig
}

type runOutcome struct {
	Summary Summary
	HTTP    string
}

func (h *harness) validate() error {
	var errs []string
	if h.Events < 0 {
		errs = append(errs, fmt.Sprintf("--events %d must be >= 0", h.Events))
	}
	if h.Events == 0 && h.Duration <= 0 {
		errs = append(errs, "give --events > 0 or a --duration")
	}
	if h.Duration < 0 {
		errs = append(errs, "--duration must be >= 0")
	}
	if h.Series < 1 || h.Series > 1_000_000 {
		errs = append(errs, fmt.Sprintf("--series %d must be in [1, 1000000]", h.Series))
	}
	if h.Rate < 0 {
		errs = append(errs, fmt.Sprintf("--rate %v must be >= 0", h.Rate))
	}
	if h.Partitions < 1 || h.Partitions > 1024 {
		errs = append(errs, fmt.Sprintf("--partitions %d must be in [1, 1024]", h.Partitions))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrConfig, strings.Join(errs, "; "))
	}
	return nil
}

const (
	harnessIn  = "observations"
	harnessOut = "forecasts"
	harnessDLQ = "observations.dlq"
)

// run executes the harness; progress lines go to stderr.
func (h *harness) run(ctx context.Context, stderr io.Writer, log *slog.Logger) (*runOutcome, error) {
	if err := h.validate(); err != nil {
		return nil, err
	}
	ds, err := NewDataset(h.Dataset, h.Series, h.Seed)
	if err != nil {
		return nil, err
	}
	modelFile, cleanupModel, err := h.prepareModel(ctx, ds, stderr)
	if err != nil {
		return nil, err
	}
	defer cleanupModel()
	topics := []string{harnessIn, harnessOut, harnessDLQ}
	if h.Lifecycle.AlertTopic != "" {
		topics = append(topics, h.Lifecycle.AlertTopic)
	}
	kc, err := devkafka.Start(devkafka.Options{Partitions: h.Partitions, Topics: topics})
	if err != nil {
		return nil, err
	}
	defer kc.Close()

	cfg := DefaultConfig()
	cfg.Brokers = kc.Addrs()
	cfg.InputTopic, cfg.OutputTopic, cfg.DLQTopic = harnessIn, harnessOut, harnessDLQ
	cfg.Group = "streamcast-" + h.Name
	cfg.Model, cfg.Season, cfg.Horizon, cfg.ModelFile = h.Model, h.Season, h.Horizon, modelFile
	cfg.HTTP = h.HTTP
	cfg.MaxBatch = h.MaxBatch
	if h.MaxWait > 0 {
		cfg.MaxWait = h.MaxWait
	}
	if h.Compression != "" {
		cfg.Compression = h.Compression
	}
	cfg.Lifecycle = h.Lifecycle
	if cfg.Lifecycle.retrains() && cfg.Lifecycle.Registry == "" {
		cfg.Lifecycle.Registry = "demo"
	}
	cfg.ShutdownTimeout = 10 * time.Second
	cfg.SessionTimeout = 6 * time.Second
	var rdb redis.UniversalClient
	redisDesc := ""
	if h.Redis == "" {
		mr, err := miniredis.Run()
		if err != nil {
			return nil, fmt.Errorf("starting miniredis: %w", err)
		}
		defer mr.Close()
		cfg.Redis = []string{mr.Addr()}
		redisDesc = "miniredis (in-process)"
	} else {
		cfg.Redis = []string{h.Redis}
		// A unique prefix keeps runs apart; keys are deleted at the end.
		cfg.KeyPrefix = fmt.Sprintf("sc%s-%d-%d", h.Name, os.Getpid(), time.Now().UnixNano())
		redisDesc = h.Redis
	}
	if rdb, err = NewRedis(ctx, &cfg); err != nil {
		return nil, err
	}
	defer rdb.Close()
	if h.Redis != "" {
		defer func() {
			if n, err := deleteByPrefix(context.Background(), rdb, cfg.KeyPrefix+":"); err != nil {
				log.Warn("cleaning up redis keys", "prefix", cfg.KeyPrefix, "err", err)
			} else {
				log.Debug("redis keys deleted", "n", n)
			}
		}()
	}

	prod := &producer{brokers: kc.Addrs(), ds: ds, total: h.Events, rate: h.Rate}
	if h.Preload {
		t := time.Now()
		if err := prod.run(ctx, 0); err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "%s: preloaded %d events into %s (%d partitions) in %.2fs\n", h.Name, prod.produced.Load(), harnessIn, h.Partitions, time.Since(t).Seconds())
	}

	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p, err := New(pctx, cfg, Options{Log: log, Redis: rdb})
	if err != nil {
		return nil, err
	}
	out := &runOutcome{HTTP: p.HTTPAddr()}
	if out.HTTP != "" && h.Progress {
		fmt.Fprintf(stderr, "%s: metrics http://%s/metrics, latest forecast http://%s/v1/forecast/%s\n", h.Name, out.HTTP, out.HTTP, firstSeries(ds))
	}
	stats := NewRunStats() // the clock starts here: the streaming phase only
	p.handler.OnAck = stats.OnAck
	if rt := p.Retrainer(); rt != nil {
		p.handler.OnAck = func(r *BatchReport) { stats.OnAckRetraining(r, rt.Training()) }
	}
	start := time.Now()
	runDone := make(chan error, 1)
	go func() { runDone <- p.Run(pctx) }()
	prodDone := make(chan error, 1)
	if !h.Preload {
		go func() { prodDone <- prod.run(pctx, h.Duration) }()
	} else {
		prodDone <- nil
	}

	// At --duration the producer stops (prod.run honours it); what it
	// produced is then drained, for at most drainMax.
	const drainMax = 30 * time.Second
	var deadline <-chan time.Time
	if h.Duration > 0 {
		deadline = time.After(h.Duration + drainMax)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	var prodErr error
	prodFinished := false
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-runDone:
			return nil, fmt.Errorf("pipeline stopped early: %w", err)
		case prodErr = <-prodDone:
			prodFinished = true
			prodDone = nil
			if prodErr != nil && !errors.Is(prodErr, context.Canceled) {
				cancel()
				<-runDone
				return nil, prodErr
			}
		case <-deadline:
			log.Warn("stopping before every produced event was processed", "produced", prod.produced.Load(), "processed", stats.Processed())
			break loop
		case <-tick.C:
			if h.Progress {
				pr := stats.Snapshot()
				fmt.Fprintf(stderr, "%s %5.1fs  events %8d  %8.0f ev/s  forecasts %8d  latency p50 %6.2f ms p99 %6.2f ms  online MAE %.4f  dlq %d late %d",
					h.Name, pr.Elapsed.Seconds(), pr.Processed, pr.Rate, pr.Forecasts, pr.P50, pr.P99, pr.MAE, pr.DLQ, pr.Late)
				if cfg.Lifecycle.Registry != "" {
					ls := p.Lifecycle()
					fmt.Fprintf(stderr, "  model %s@%s  retrains %d promoted %d rejected %d", p.Model().Name(), p.Model().Version(), ls.Retrains, ls.Promotions, ls.Rejections)
				}
				fmt.Fprintln(stderr)
			}
		case <-poll.C:
			if prodFinished && stats.Processed() >= prod.produced.Load() {
				break loop
			}
		}
	}
	elapsed := time.Since(start)
	cancel()
	if err := <-runDone; err != nil {
		return nil, fmt.Errorf("pipeline shutdown: %w", err)
	}
	out.Summary = stats.Summary(prod.produced.Load(), elapsed)
	out.Summary.Model, out.Summary.ModelVersion = p.Model().Name(), p.Model().Version()
	out.Summary.addLifecycle(p.Lifecycle())
	out.Summary.Horizon, out.Summary.Series, out.Summary.Partitions = h.Horizon, h.Series, h.Partitions
	out.Summary.Dataset, out.Summary.Redis, out.Summary.RatePerS = ds.Name(), redisDesc, h.Rate
	return out, nil
}

func firstSeries(ds Dataset) string { s, _, _ := ds.Event(0); return s }

// producer writes the dataset's events to the input topic, keyed by series.
type producer struct {
	brokers  []string
	ds       Dataset
	total    int64 // 0 = unbounded
	rate     float64
	produced atomic.Int64
}

// run produces until total events are written, ctx ends, or d (if > 0)
// elapsed; at rate > 0 it paces in 5 ms slices.
func (p *producer) run(ctx context.Context, d time.Duration) error {
	// kafka-go allocates BatchSize messages for every batch it opens, so a
	// paced producer (a few messages per partition per 5 ms slice) uses
	// small batches; otherwise it would allocate ~160 KB per message
	// batch and its garbage collection would disturb the measured pipeline.
	batchSize := 1000
	if p.rate > 0 {
		batchSize = 64
	}
	w := &kafka.Writer{
		Addr: kafka.TCP(p.brokers...), Topic: harnessIn, Balancer: &kafka.Hash{},
		RequiredAcks: kafka.RequireAll, BatchSize: batchSize, BatchTimeout: 200 * time.Microsecond, BatchBytes: 4 << 20,
		Transport: &kafka.Transport{},
	}
	defer w.Close()
	start := time.Now()
	msgs := make([]kafka.Message, 0, 5000)
	var buf []byte
	for k := int64(0); ; {
		if p.total > 0 && k >= p.total {
			return nil
		}
		if ctx.Err() != nil || (d > 0 && time.Since(start) >= d) {
			return nil
		}
		n := int64(5000)
		if p.rate > 0 {
			due := int64(p.rate*time.Since(start).Seconds()) - k
			if due <= 0 {
				time.Sleep(time.Millisecond)
				continue
			}
			n = min(n, due)
		}
		if p.total > 0 {
			n = min(n, p.total-k)
		}
		msgs, buf = msgs[:0], buf[:0]
		offs := make([]int, 0, n)
		for i := int64(0); i < n; i++ {
			s, ts, v := p.ds.Event(k + i)
			offs = append(offs, len(buf))
			buf = EncodeEvent(buf, s, ts, v)
			msgs = append(msgs, kafka.Message{Key: []byte(s)})
		}
		offs = append(offs, len(buf))
		for i := range msgs {
			msgs[i].Value = buf[offs[i]:offs[i+1]:offs[i+1]]
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("producer: %w", err)
		}
		k += n
		p.produced.Store(k)
	}
}

// deleteByPrefix deletes every key starting with prefix (SCAN + UNLINK),
// never FLUSHDB: other users may share the Redis.
func deleteByPrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) (int, error) {
	n := 0
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			return n, err
		}
		if len(keys) > 0 {
			if err := rdb.Unlink(ctx, keys...).Err(); err != nil {
				return n, err
			}
			n += len(keys)
		}
		if cursor = next; cursor == 0 {
			return n, nil
		}
	}
}

// printSummary writes the human summary to w and, with asJSON, the JSON
// summary as the last line of stdout.
func printSummary(stdout, stderr io.Writer, o *runOutcome, asJSON bool) error {
	s := o.Summary
	w := stdout
	if asJSON {
		w = stderr
	}
	fmt.Fprintf(w, "\nsummary: %d events in, %d applied, %d late, %d duplicate, %d dlq; %d forecasts out\n",
		s.EventsIn, s.EventsApplied, s.EventsLate, s.EventsDup, s.DLQ, s.ForecastsOut)
	fmt.Fprintf(w, "         %.0f events/s over %.2fs; event→forecast-acked latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		s.EventsPerS, s.Seconds, s.Latency.P50, s.Latency.P99, s.Latency.Max)
	fmt.Fprintf(w, "         model %s@%s horizon %d; online 1-step MAE %.4f (naive last-value %.4f) over %d forecasts\n",
		s.Model, s.ModelVersion, s.Horizon, s.MAE, s.MAENaive, s.MAEScored)
	fmt.Fprintf(w, "         dataset %s, %d series, %d partitions, redis %s\n", s.Dataset, s.Series, s.Partitions, s.Redis)
	if n := len(s.OnlineMAESteps); n > 0 {
		fmt.Fprintf(w, "         online MAE by step ahead: +1 %.4f … +%d %.4f over %d scored forecasts\n", s.OnlineMAESteps[0], n, s.OnlineMAESteps[n-1], s.OnlineScored)
	}
	if lt, li := s.LatencyTraining, s.LatencyIdle; lt != nil {
		fmt.Fprintf(w, "         latency while training: p50 %.2f ms, p99 %.2f ms over %d events; otherwise p50 %.2f ms, p99 %.2f ms over %d\n",
			lt.P50, lt.P99, lt.N, li.P50, li.P99, li.N)
	}
	if s.Retrains+s.ModelSwaps > 0 {
		fmt.Fprintf(w, "         model lifecycle: %d retrains, %d promotions, %d rejections, %d versions hot-swapped\n", s.Retrains, s.Promotions, s.Rejections, s.ModelSwaps)
	}
	for name, c := range s.Alerts {
		fmt.Fprintf(w, "         alerts to %s: %d sent, %d failed, %d dropped, %d retries\n", name, c.Sent, c.Failed, c.Dropped, c.Retries)
	}
	if asJSON {
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	return nil
}
