package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/registry"
	"github.com/streamcast/streamcast/engine/train"
)

// RetrainConfig configures a Retrainer. Zero values take the defaults.
type RetrainConfig struct {
	// Every retrains when this long has passed since the group's last
	// training attempt (0: off).
	Every time.Duration
	// After retrains when the group applied this many observations since
	// the data of the last attempt was read (0: off).
	After int64
	// DriftRatio retrains early when this instance's recent online error
	// (step 1, last DriftWindow scores) exceeds DriftRatio × the error of
	// the serving version's first DriftWindow scores (0: off).
	DriftRatio  float64
	DriftWindow int // default 200
	// MinInterval is the least time between two attempts of the group,
	// whatever triggers them (default 5s).
	MinInterval time.Duration
	// Tick is how often triggers are checked (default 1s).
	Tick time.Duration

	// Steps is the number of training steps of a retrain (default 200).
	Steps int
	// FromScratch retrains from fresh weights instead of warm-starting
	// from the serving model.
	FromScratch bool
	// LearningRate, BatchSize, WindowsBatchSize: engine/train's (defaults
	// 1e-3, 32, 256).
	LearningRate     float64
	BatchSize        int
	WindowsBatchSize int
	// GradClipNorm clips gradients (default 0: off).
	GradClipNorm float64
	// MaxGradNorm and MaxLossRatio reject a training whose gradient norm or
	// loss explodes (defaults 1e6 and 1e3, negative: no limit; see
	// FitRequest).
	MaxGradNorm  float64
	MaxLossRatio float64
	// Timeout bounds one training (default 10m); a training that exceeds it
	// is rejected.
	Timeout time.Duration

	// Margin: the challenger is promoted only if its score (Metric) is
	// below (1 − Margin) × the champion's on the same windows (default
	// 0.01; negative values allow a slightly worse challenger).
	Margin float64
	// Metric is "mae" (default) or "smape".
	Metric string
	// Holdout is the number of most recent windows per series held out for
	// the comparison (default 1).
	Holdout int
	// MaxSeries bounds the series read per retrain; more are sampled with
	// Seed (default 1000).
	MaxSeries int
	// Seed drives sampling and training (default 1).
	Seed uint64

	// Owner identifies this instance in the lease and the metadata
	// (required, unique per process).
	Owner string
	// LeaseTTL is the trainer lease's time to live (default 30s); it is
	// renewed every LeaseTTL/3 while training.
	LeaseTTL time.Duration
	// Keep is the number of stored versions kept by pruning after a
	// promotion (default 20).
	Keep int
}

// Validate reports invalid settings.
func (c RetrainConfig) Validate() error {
	switch {
	case c.Every < 0 || c.After < 0 || c.MinInterval < 0 || c.Tick < 0 || c.Timeout < 0 || c.LeaseTTL < 0:
		return errors.New("lifecycle: retrain durations and counts must be >= 0")
	case c.DriftRatio < 0 || math.IsNaN(c.DriftRatio) || (c.DriftRatio > 0 && c.DriftRatio <= 1):
		return fmt.Errorf("lifecycle: drift ratio %g must be 0 (off) or > 1", c.DriftRatio)
	case c.Steps < 0 || c.BatchSize < 0 || c.Holdout < 0 || c.MaxSeries < 0 || c.DriftWindow < 0 || c.Keep < 0:
		return errors.New("lifecycle: retrain steps, sizes and counts must be >= 0")
	case c.Margin >= 1 || math.IsNaN(c.Margin):
		return fmt.Errorf("lifecycle: promote margin %g must be < 1", c.Margin)
	case c.Metric != "" && c.Metric != "mae" && c.Metric != "smape":
		return fmt.Errorf("lifecycle: promote metric %q must be mae or smape", c.Metric)
	case c.Owner == "":
		return errors.New("lifecycle: RetrainConfig.Owner is required")
	case c.LeaseTTL > 0 && c.LeaseTTL < 30*time.Millisecond:
		return errors.New("lifecycle: lease ttl must be >= 30ms")
	}
	return nil
}

func (c RetrainConfig) withDefaults() RetrainConfig {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.DriftWindow, 200)
	def(&c.Steps, 200)
	def(&c.BatchSize, 32)
	def(&c.WindowsBatchSize, 256)
	def(&c.Holdout, 1)
	def(&c.MaxSeries, 1000)
	def(&c.Keep, 20)
	if c.MinInterval == 0 {
		c.MinInterval = 5 * time.Second
	}
	if c.Tick == 0 {
		c.Tick = time.Second
	}
	if c.LearningRate == 0 {
		c.LearningRate = 1e-3
	}
	if c.MaxGradNorm == 0 {
		c.MaxGradNorm = 1e6
	}
	if c.MaxLossRatio == 0 {
		c.MaxLossRatio = 1e3
	}
	c.MaxGradNorm, c.MaxLossRatio = max(c.MaxGradNorm, 0), max(c.MaxLossRatio, 0)
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Minute
	}
	if c.Margin == 0 {
		c.Margin = 0.01
	}
	if c.Metric == "" {
		c.Metric = "mae"
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = 30 * time.Second
	}
	return c
}

// Outcome of one retraining round.
type Outcome struct {
	// Result is "promoted", "rejected", or "skipped".
	Result string
	// Reason: for rejected, "worse", "diverged", "exploding", "timeout",
	// "conflict" or "error"; for skipped, "lease_busy", "not_due",
	// "no_model", "no_data", "stopped" (lease lost or shutdown during the
	// training) or "error".
	Reason  string
	Parent  int64 // the champion's version
	Version int64 // the promoted version
	Scores  *registry.Scores
	Steps   int
	// Duration is the round's wall time (lease held).
	Duration time.Duration
	Err      error
}

// Retrainer keeps the registry's model fresh: Run checks the triggers
// every Tick and, when one fires and this instance gets the trainer lease,
// runs one round (RetrainOnce). Counters are this instance's.
type Retrainer struct {
	cfg     RetrainConfig
	reg     *registry.Registry
	data    HistorySource
	fitter  Fitter
	serve   ServeFunc
	inputs  Inputs
	metrics *RetrainMetrics
	log     *slog.Logger
	drift   *Drift

	pending  atomic.Int64 // observations not yet added to the shared counter
	training atomic.Bool  // a training or its evaluation is running
	kick     chan struct{}
	retrains atomic.Int64
	promos   atomic.Int64
	rejects  atomic.Int64

	// test hooks: called after the challenger is stored / before the
	// training starts.
	afterPut  func(v int64)
	beforeFit func()
}

// Deps are a Retrainer's collaborators.
type Deps struct {
	// Registry stores the versions (required).
	Registry *registry.Registry
	// Data reads the series histories (required).
	Data HistorySource
	// Fitter trains (required).
	Fitter Fitter
	// Serve builds the serving form of champion and challenger, which are
	// scored exactly as they are served (default PlainServe).
	Serve ServeFunc
	// Inputs are the per-step message variables and static attributes
	// the training data is built from (as the stream serves them).
	Inputs Inputs
	// Metrics, Drift (the drift trigger) and Log are optional.
	Metrics *RetrainMetrics
	Drift   *Drift
	Log     *slog.Logger
}

// NewRetrainer builds a retrainer.
func NewRetrainer(cfg RetrainConfig, d Deps) (*Retrainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Registry == nil || d.Data == nil || d.Fitter == nil {
		return nil, errors.New("lifecycle: NewRetrainer needs a registry, a history source and a fitter")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Serve == nil {
		d.Serve = PlainServe
	}
	return &Retrainer{cfg: cfg.withDefaults(), reg: d.Registry, data: d.Data, fitter: d.Fitter, serve: d.Serve, inputs: d.Inputs, metrics: d.Metrics, drift: d.Drift, log: d.Log,
		kick: make(chan struct{}, 1)}, nil
}

// Observed reports n newly applied observations (the pipeline calls it
// per batch); they are added to the group's counter at the next tick.
func (r *Retrainer) Observed(n int) { r.pending.Add(int64(n)) }

// Trigger requests a retrain at the next opportunity, regardless of the
// schedule (but still under the lease).
func (r *Retrainer) Trigger() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Counts returns this instance's trainings, promotions and rejections.
func (r *Retrainer) Counts() (retrains, promotions, rejections int64) {
	return r.retrains.Load(), r.promos.Load(), r.rejects.Load()
}

// Training reports whether this instance is training (or scoring the
// challenger) right now.
func (r *Retrainer) Training() bool { return r.training.Load() }

// Run checks the triggers every Tick until ctx ends.
func (r *Retrainer) Run(ctx context.Context) error {
	tick := time.NewTicker(r.cfg.Tick)
	defer tick.Stop()
	for {
		forced := false
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-r.kick:
			forced = true
		}
		if n := r.pending.Swap(0); n > 0 {
			if _, err := r.reg.AddObserved(ctx, n); err != nil {
				r.pending.Add(n)
				if ctx.Err() != nil {
					return nil
				}
				r.log.Warn("retrainer: cannot count observations", "err", err)
			}
		}
		why, err := r.due(ctx, forced)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.log.Warn("retrainer: cannot read the schedule", "err", err)
			continue
		}
		if why == "" {
			continue
		}
		out := r.RetrainOnce(ctx, why, forced)
		if out.Result == "skipped" && out.Reason == "lease_busy" && forced {
			r.Trigger() // retry the manual request later
		}
	}
}

// due returns the trigger that makes a retrain due now ("" if none).
func (r *Retrainer) due(ctx context.Context, forced bool) (string, error) {
	if forced {
		return "manual", nil
	}
	s, err := r.reg.Schedule(ctx)
	if err != nil {
		return "", err
	}
	since := time.Since(s.LastAt)
	if !s.LastAt.IsZero() && since < r.cfg.MinInterval {
		return "", nil
	}
	switch {
	case r.cfg.Every > 0 && (s.LastAt.IsZero() || since >= r.cfg.Every):
		return "every", nil
	case r.cfg.After > 0 && s.Observed-s.LastObserved >= r.cfg.After:
		return "after", nil
	case r.drift != nil && r.drift.Drifted():
		return "drift", nil
	}
	return "", nil
}

// RetrainOnce runs one round under the trainer lease: read the champion
// and the data, train a challenger, compare both on the held-out windows
// and promote the challenger if it wins. why names the trigger (for logs
// and metrics); unless force is set, the schedule is re-checked under the
// lease so that instances racing for the same period train only once.
func (r *Retrainer) RetrainOnce(ctx context.Context, why string, force bool) Outcome {
	var out Outcome
	start := time.Now()
	held, err := r.reg.Hold(ctx, r.cfg.Owner, r.cfg.LeaseTTL, func(ctx context.Context, token int64) error {
		if !force {
			if w, err := r.due(ctx, false); err != nil || w == "" {
				out = Outcome{Result: "skipped", Reason: "not_due", Err: err}
				return nil
			}
		}
		out = r.round(ctx, token, why)
		return nil
	})
	if err != nil && out.Err == nil {
		out.Err = err
	}
	if !held && err == nil {
		out = Outcome{Result: "skipped", Reason: "lease_busy"}
	}
	if out.Result == "" {
		out.Result, out.Reason = "skipped", "error"
	}
	out.Duration = time.Since(start)
	r.account(why, out)
	return out
}

func (r *Retrainer) account(why string, out Outcome) {
	switch out.Result {
	case "promoted":
		r.promos.Add(1)
		r.log.Info("retrainer: challenger promoted", "trigger", why, "version", out.Version, "parent", out.Parent,
			"scores", out.Scores)
	case "rejected":
		r.rejects.Add(1)
		r.log.Info("retrainer: challenger rejected", "trigger", why, "reason", out.Reason, "parent", out.Parent,
			"scores", out.Scores, "err", out.Err)
	case "skipped":
		switch {
		case out.Err == nil:
		case out.Reason == "no_data" || out.Reason == "stopped":
			r.log.Info("retrainer: round skipped", "trigger", why, "reason", out.Reason, "err", out.Err)
		default:
			r.log.Warn("retrainer: round skipped", "trigger", why, "reason", out.Reason, "err", out.Err)
		}
	}
	if r.metrics != nil {
		r.metrics.observe(why, out)
	}
}

// round is one retrain under the lease with token.
func (r *Retrainer) round(ctx context.Context, token int64, why string) Outcome {
	cur, err := r.reg.Current(ctx)
	if errors.Is(err, registry.ErrNotFound) {
		return Outcome{Result: "skipped", Reason: "no_model"}
	}
	if err != nil {
		return Outcome{Result: "skipped", Reason: "no_model", Err: err}
	}
	blob, meta, err := r.reg.Blob(ctx, cur)
	if err != nil {
		return Outcome{Result: "skipped", Reason: "no_model", Parent: cur, Err: err}
	}
	champ, err := model.Decode(blob)
	if err != nil {
		return Outcome{Result: "skipped", Reason: "no_model", Parent: cur, Err: err}
	}
	c := champ.Model.Common()
	champF, err := r.serve(champ.Model, meta.VersionString())
	if err != nil {
		return Outcome{Result: "skipped", Reason: "no_model", Parent: cur, Err: err}
	}
	sched, err := r.reg.Schedule(ctx)
	if err != nil {
		return Outcome{Result: "skipped", Reason: "no_data", Parent: cur, Err: err}
	}
	names, err := r.data.Series(ctx)
	if err != nil {
		return Outcome{Result: "skipped", Reason: "no_data", Parent: cur, Err: err}
	}
	seed := r.cfg.Seed + uint64(cur)
	ds, err := BuildDataset(ctx, r.data, names, r.cfg.MaxSeries, seed, c, champF.InputSize(), r.cfg.Holdout, r.inputs)
	if err != nil {
		return Outcome{Result: "skipped", Reason: "no_data", Parent: cur, Err: err}
	}
	if len(ds.Train) == 0 || len(ds.Inputs) == 0 {
		_ = r.reg.MarkTrained(ctx, time.Now(), sched.Observed, token)
		return Outcome{Result: "skipped", Reason: "no_data", Parent: cur,
			Err: fmt.Errorf("no series holds %d hold-out window(s) and a training window yet (%d values: serving input %d, h %d; %d series)",
				r.cfg.Holdout, max(champF.InputSize(), c.InputSize+c.H)+r.cfg.Holdout*c.H, champF.InputSize(), c.H, len(names))}
	}

	// The champion's hold-out score (before training: a champion that
	// cannot be scored is no reason to train).
	cm, cs, err := Score(champF, ds, c.H)
	if err != nil {
		return Outcome{Result: "skipped", Reason: "error", Parent: cur, Err: fmt.Errorf("scoring the champion: %w", err)}
	}

	r.retrains.Add(1)
	r.training.Store(true)
	defer r.training.Store(false)
	if r.beforeFit != nil {
		r.beforeFit()
	}
	meta2 := registry.Meta{Parent: cur, FromScratch: r.cfg.FromScratch, Steps: r.cfg.Steps, DataFrom: ds.From, DataTo: ds.To,
		Series: len(ds.Train), Trainer: r.cfg.Owner, Note: "retrain (" + why + ")"}
	mj, _ := json.Marshal(meta2)
	fctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	res, err := r.fitter.Fit(fctx, &FitRequest{Blob: blob, FromScratch: r.cfg.FromScratch, Series: ds.Train,
		Steps: r.cfg.Steps, LearningRate: r.cfg.LearningRate, BatchSize: r.cfg.BatchSize, WindowsBatchSize: r.cfg.WindowsBatchSize,
		GradClipNorm: r.cfg.GradClipNorm, Seed: seed, MaxGradNorm: r.cfg.MaxGradNorm, MaxLossRatio: r.cfg.MaxLossRatio, Meta: mj})
	cancel()
	if err != nil {
		if ctx.Err() != nil { // lease lost or shutting down: nobody's fault, nothing recorded
			return Outcome{Result: "skipped", Reason: "stopped", Parent: cur, Err: err}
		}
		return r.reject(ctx, token, cur, sched.Observed, failureReason(err), nil, 0, err)
	}

	// Champion and challenger on the same held-out windows.
	chal, err := model.Decode(res.Blob)
	if err != nil {
		return r.reject(ctx, token, cur, sched.Observed, "error", nil, res.Steps, err)
	}
	chalF, err := r.serve(chal.Model, "challenger")
	if err != nil {
		return r.reject(ctx, token, cur, sched.Observed, "error", nil, res.Steps, err)
	}
	nm, ns, err := Score(chalF, ds, c.H)
	if err != nil || !finite(nm) || !finite(ns) {
		return r.reject(ctx, token, cur, sched.Observed, "diverged", nil, res.Steps, fmt.Errorf("challenger forecasts: MAE %v sMAPE %v: %v", nm, ns, err))
	}
	sc := &registry.Scores{MAE: nm, SMAPE: ns, ParentMAE: cm, ParentSMAPE: cs, Windows: len(ds.Inputs)}
	champScore, chalScore := cm, nm
	if r.cfg.Metric == "smape" {
		champScore, chalScore = cs, ns
	}
	if r.metrics != nil {
		r.metrics.last(sc)
	}
	if !(chalScore < (1-r.cfg.Margin)*champScore) {
		return r.reject(ctx, token, cur, sched.Observed, "worse", sc, res.Steps,
			fmt.Errorf("challenger %s %.6g is not below (1 − %g) × champion's %.6g", r.cfg.Metric, chalScore, r.cfg.Margin, champScore))
	}

	meta2.Scores, meta2.TrainLoss, meta2.Steps = sc, res.TrainLoss, res.Steps
	stored, err := r.reg.Put(ctx, res.Blob, meta2, token)
	if err != nil {
		return r.reject(ctx, token, cur, sched.Observed, putReason(err), sc, res.Steps, err)
	}
	if r.afterPut != nil {
		r.afterPut(stored.Version)
	}
	if _, err := r.reg.Promote(ctx, stored.Version, registry.Expect(token, cur)); err != nil {
		return r.reject(ctx, token, cur, sched.Observed, putReason(err), sc, res.Steps, err)
	}
	_ = r.reg.MarkTrained(ctx, time.Now(), sched.Observed, token)
	if removed, err := r.reg.Prune(ctx, r.cfg.Keep); err != nil {
		r.log.Warn("retrainer: prune failed", "err", err)
	} else if len(removed) > 0 {
		r.log.Debug("retrainer: pruned versions", "versions", removed)
	}
	return Outcome{Result: "promoted", Parent: cur, Version: stored.Version, Scores: sc, Steps: res.Steps}
}

func failureReason(err error) string {
	switch {
	case errors.Is(err, ErrDiverged), errors.Is(err, train.ErrDiverged):
		return "diverged"
	case errors.Is(err, ErrExploding):
		return "exploding"
	case errors.Is(err, ErrTimeout):
		return "timeout"
	}
	return "error"
}

func putReason(err error) string {
	if errors.Is(err, registry.ErrConflict) || errors.Is(err, registry.ErrFenced) {
		return "conflict"
	}
	return "error"
}

// reject records a rejected challenger (best effort) and marks the attempt.
func (r *Retrainer) reject(ctx context.Context, token, parent, observed int64, reason string, sc *registry.Scores, steps int, err error) Outcome {
	detail := ""
	if err != nil {
		detail = err.Error()
	}
	if rerr := r.reg.RecordRejection(ctx, registry.Rejection{At: time.Now().UTC(), Parent: parent, Reason: reason, Detail: detail,
		Steps: steps, Scores: sc, Trainer: r.cfg.Owner}); rerr != nil {
		r.log.Warn("retrainer: cannot record the rejection", "err", rerr)
	}
	_ = r.reg.MarkTrained(ctx, time.Now(), observed, token)
	return Outcome{Result: "rejected", Reason: reason, Parent: parent, Scores: sc, Steps: steps, Err: err}
}

// Score forecasts every hold-out window of ds with f (ForecastAt for a
// forecast.WindowForecaster) and returns the point forecasts' MAE
// and the sMAPE (percent) over all windows and steps:
//
//	MAE = (1/(W·H)) Σ_w Σ_j |y_wj − ŷ_wj|,   sMAPE = (1/(W·H)) Σ_w Σ_j 200|y_wj − ŷ_wj| / (|y_wj| + |ŷ_wj|).
func Score(f forecast.Forecaster, ds *Dataset, h int) (mae, smape float64, err error) {
	const chunk = 256
	dst := make([]float64, chunk*h)
	var sumAbs, sumS float64
	n := 0
	for i := 0; i < len(ds.Inputs); i += chunk {
		in := ds.Inputs[i:min(i+chunk, len(ds.Inputs))]
		out := dst[:len(in)*h]
		if tf, ok := f.(forecast.WindowForecaster); ok {
			w := ds.Windows.Slice(i, i+len(in))
			err = tf.ForecastAt(out, nil, &w, h)
		} else {
			err = f.Forecast(out, in, h)
		}
		if err != nil {
			return 0, 0, err
		}
		ys := ds.Targets[i*h : i*h+len(out)]
		for j, y := range ys {
			fc := out[j]
			d := math.Abs(y - fc)
			sumAbs += d
			if den := math.Abs(y) + math.Abs(fc); den > 0 {
				sumS += 200 * d / den
			}
		}
		n += len(out)
	}
	if n == 0 {
		return 0, 0, errors.New("lifecycle: no hold-out windows")
	}
	return sumAbs / float64(n), sumS / float64(n), nil
}
