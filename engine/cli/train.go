package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"time"

	"github.com/streamcast/streamcast/engine/model"
	_ "github.com/streamcast/streamcast/engine/models/all" // registers every model kind
	"github.com/streamcast/streamcast/engine/train"
)

// modelFlags are the hyper-parameters shared by the commands that build models.
type modelFlags struct {
	kind                  string
	inputSize, h          int
	hiddenSize, numLayers int
	scaler, hyper         string
	seed                  uint64
}

func (m *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.kind, "model", "mlp", "model kind ("+strings.Join(model.Kinds(), ", ")+")")
	fs.IntVar(&m.inputSize, "input-size", 168, "input window length")
	fs.IntVar(&m.h, "h", 24, "forecast horizon")
	fs.IntVar(&m.hiddenSize, "hidden-size", 1024, "hidden units per layer (mlp)")
	fs.IntVar(&m.numLayers, "num-layers", 2, "hidden layers (mlp)")
	fs.StringVar(&m.scaler, "scaler-type", "identity", "per-window scaler: identity, standard, robust, minmax, minmax1, revin")
	fs.Uint64Var(&m.seed, "seed", 1, "random seed (weight init, sampling)")
	fs.StringVar(&m.hyper, "hyper", "", "extra hyper-parameters as a JSON object (overrides the flags)")
}

func (m *modelFlags) build(set map[string]bool) (model.Model, error) {
	return m.buildWith(set, nil)
}

// buildWith builds the model with extra hyper-parameter fields (the
// --hyper JSON still wins).
func (m *modelFlags) buildWith(set map[string]bool, extra map[string]any) (model.Model, error) {
	f := map[string]any{"input_size": m.inputSize, "h": m.h, "scaler_type": m.scaler, "random_seed": m.seed}
	for k, v := range extra {
		f[k] = v
	}
	if m.kind == "mlp" || set["hidden-size"] {
		f["hidden_size"] = m.hiddenSize
	}
	if m.kind == "mlp" || set["num-layers"] {
		f["num_layers"] = m.numLayers
	}
	hj, err := hyperJSON(f, m.hyper)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, errUsage)
	}
	md, err := model.New(m.kind, hj)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, errUsage)
	}
	return md, nil
}

// buildModel builds the model of the flags for the data: the default
// exogenous inputs (every exogenous column of the data, every static
// variable) apply only to kinds that take exogenous inputs.
func buildModel(mf *modelFlags, ef *exogFlags, set map[string]bool, ds *dataset) (model.Model, error) {
	probe, err := mf.build(set)
	if err != nil {
		return nil, err
	}
	_, exogOK := probe.(model.ExogModel)
	extra, err := ef.hyper(ds.exogNames(), ds.staticNames(), exogOK)
	if err != nil {
		return nil, err
	}
	return mf.buildWith(set, extra)
}

// trainDefaulter is implemented by models whose kind has NeuralForecast
// training defaults of its own (evaluate.TrainDefaulter; NBEATS, NBEATSx
// and NHITS halve the learning rate three times, the linear models train
// 5000 steps at 1e-4).
type trainDefaulter interface{ TrainDefaults() train.Config }

// applyKindDefaults replaces the training settings whose flags were not
// given (set; stride names the window-stride flag) by m's kind defaults.
func applyKindDefaults(c *train.Config, m model.Model, set map[string]bool, stride string) {
	td, ok := m.(trainDefaulter)
	if !ok {
		return
	}
	d := td.TrainDefaults()
	for name, apply := range map[string]func(){
		"max-steps":          func() { c.MaxSteps = d.MaxSteps },
		"learning-rate":      func() { c.LearningRate = d.LearningRate },
		"num-lr-decays":      func() { c.NumLRDecays = d.NumLRDecays },
		"batch-size":         func() { c.BatchSize = d.BatchSize },
		"windows-batch-size": func() { c.WindowsBatchSize = d.WindowsBatchSize },
		stride:               func() { c.StepSize = d.StepSize },
	} {
		if !set[name] {
			apply()
		}
	}
}

func trainFlags(fs *flag.FlagSet, c *train.Config) { trainFlagsStride(fs, c, "step-size") }

// trainFlagsStride is trainFlags with the training-window stride under
// the given flag name (cv uses --step-size for its windows).
func trainFlagsStride(fs *flag.FlagSet, c *train.Config, stride string) {
	fs.IntVar(&c.MaxSteps, "max-steps", c.MaxSteps, "training steps")
	fs.Float64Var(&c.LearningRate, "learning-rate", c.LearningRate, "Adam learning rate")
	fs.IntVar(&c.NumLRDecays, "num-lr-decays", c.NumLRDecays, "halve the learning rate this many times over the run (-1 = never)")
	fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "series per step")
	fs.IntVar(&c.WindowsBatchSize, "windows-batch-size", c.WindowsBatchSize, "windows sampled per step (<= 0: all)")
	fs.IntVar(&c.StepSize, stride, c.StepSize, "stride between training windows")
	fs.BoolVar(&c.StartPaddingEnabled, "start-padding", c.StartPaddingEnabled, "zero-pad series fronts so early values are targets")
	fs.IntVar(&c.ValSize, "val-size", c.ValSize, "hold out the last values of each series for validation")
	fs.IntVar(&c.ValCheckSteps, "val-check-steps", c.ValCheckSteps, "validate every this many steps")
	fs.IntVar(&c.EarlyStopPatienceSteps, "early-stop-patience-steps", c.EarlyStopPatienceSteps, "stop after this many validations without improvement (-1 = off)")
	fs.Float64Var(&c.GradClipNorm, "grad-clip-norm", c.GradClipNorm, "clip the global gradient L2 norm (0 = off)")
}

// TrainMain implements `streamcast train`.
func TrainMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", "Train a model on a series file and save it.", stderr)
	var (
		data     dataFlags
		mf       modelFlags
		ef       exogFlags
		out      string
		initFrom string
		threads  int
		quiet    bool
	)
	cfg := train.DefaultConfig()
	data.register(fs)
	mf.register(fs)
	ef.register(fs)
	trainFlags(fs, &cfg)
	fs.StringVar(&out, "out", "", "model file to write (required)")
	fs.StringVar(&initFrom, "init-from", "", "continue training the model in this file (fresh optimiser; model flags ignored)")
	fs.IntVar(&threads, "threads", 0, "GOMAXPROCS (0 = all CPUs)")
	fs.BoolVar(&quiet, "quiet", false, "no progress output (default: a progress line on a terminal, log lines otherwise)")
	set, err := parse(fs, args)
	if err != nil {
		return err
	}
	if out == "" {
		return fmt.Errorf("train: --out is required: %w", errUsage)
	}
	cfg.Seed = mf.seed
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %w", err, errUsage)
	}
	if threads > 0 {
		runtime.GOMAXPROCS(threads)
	}
	var m model.Model
	prevSteps := 0
	if initFrom != "" {
		l, err := model.Load(initFrom)
		if err != nil {
			return dataErr(err)
		}
		m = l.Model
		var meta struct {
			TrainedSteps int `json:"trained_steps"`
		}
		_ = json.Unmarshal(l.Meta, &meta) // metadata is informative only
		prevSteps = meta.TrainedSteps
	}
	ds, err := data.loadData()
	if err != nil {
		return err
	}
	if m == nil {
		if m, err = buildModel(&mf, &ef, set, ds); err != nil {
			return err
		}
	} else if set["loss"] || set["hist-exog"] || set["futr-exog"] || set["stat-exog"] || set["level"] {
		return fmt.Errorf("train: --init-from continues the saved model with its own loss and inputs; drop --loss/--level/--hist-exog/--futr-exog/--stat-exog: %w", errUsage)
	}
	applyKindDefaults(&cfg, m, set, "step-size")
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %w", err, errUsage)
	}
	series, err := exogSeries(m.Common(), ds)
	if err != nil {
		return err
	}
	var prog *progress
	if !quiet {
		prog = newProgress(stderr, cfg.MaxSteps)
		cfg.Logger = prog.logger()
		if prog.tty {
			cfg.LogEvery = max(1, cfg.MaxSteps/200) // the bar moves smoothly
		}
	}
	res, err := train.FitSeries(ctx, m, series, cfg)
	if prog != nil {
		prog.done()
	}
	if err != nil {
		return err
	}
	summary := map[string]any{
		"model":         m.Kind(),
		"steps":         res.Steps,
		"trained_steps": prevSteps + res.Steps,
		"train_loss":    res.TrainLoss,
		"seconds":       res.Duration.Seconds(),
		"params":        model.NumParams(m),
		"data":          data.path,
		"created":       time.Now().UTC().Format(time.RFC3339),
	}
	if !math.IsNaN(res.BestVal) {
		summary["best_val_loss"] = res.BestVal
		summary["early_stopped"] = res.EarlyStopped
	}
	meta, err := json.Marshal(summary)
	if err != nil {
		return err
	}
	if err := model.Save(out, m, meta); err != nil {
		return err
	}
	summary["out"] = out
	line, _ := json.Marshal(summary)
	fmt.Fprintln(stdout, string(line))
	return nil
}
