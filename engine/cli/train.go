package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/streamcast/streamcast/engine/model"
	_ "github.com/streamcast/streamcast/engine/models/all" // registers every model kind
	"github.com/streamcast/streamcast/engine/train"
	"github.com/streamcast/streamcast/ingest"
)

// dataFlags select the series of a file.
type dataFlags struct {
	path, column, rows string
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.path, "data", "", "series file: long CSV unique_id,ds,y[,exog…] or, with --column, a wide CSV (required)")
	fs.StringVar(&d.column, "column", "", "column of a wide CSV to use as the single series (e.g. OT of ETTh1.csv); empty = long format")
	fs.StringVar(&d.rows, "rows", "", "use only values [start:end) of every series (Go slice syntax, e.g. 0:8640 or :11520)")
}

// load reads the file and applies --rows.
func (d *dataFlags) load() (ids []string, series [][]float64, err error) {
	_, ss, err := d.loadFile()
	if err != nil {
		return nil, nil, err
	}
	for _, s := range ss {
		ids = append(ids, s.ID)
		series = append(series, s.Y)
	}
	return ids, series, nil
}

// loadFile reads the file and applies --rows to every series' values,
// time stamps and exogenous columns.
func (d *dataFlags) loadFile() (*ingest.FileData, []ingest.FileSeries, error) {
	if d.path == "" {
		return nil, nil, fmt.Errorf("--data is required: %w", errUsage)
	}
	lo, hi, err := parseRows(d.rows)
	if err != nil {
		return nil, nil, err
	}
	fd, err := ingest.ReadSeriesFile(d.path, d.column)
	if err != nil {
		return nil, nil, err
	}
	out := make([]ingest.FileSeries, 0, len(fd.Series))
	for _, s := range fd.Series {
		end := len(s.Y)
		if hi >= 0 {
			end = min(hi, end)
		}
		if lo >= end {
			return nil, nil, fmt.Errorf("--rows %s leaves no values of series %q (%d values)", d.rows, s.ID, len(s.Y))
		}
		c := ingest.FileSeries{ID: s.ID, Y: s.Y[lo:end]}
		if s.DS != nil {
			c.DS = s.DS[lo:end]
		}
		for _, x := range s.Exog {
			c.Exog = append(c.Exog, x[lo:end])
		}
		out = append(out, c)
	}
	return fd, out, nil
}

func parseRows(s string) (lo, hi int, err error) {
	if s == "" {
		return 0, -1, nil
	}
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("--rows %q: want start:end: %w", s, errUsage)
	}
	hi = -1
	if a != "" {
		if lo, err = strconv.Atoi(a); err != nil || lo < 0 {
			return 0, 0, fmt.Errorf("--rows %q: bad start: %w", s, errUsage)
		}
	}
	if b != "" {
		if hi, err = strconv.Atoi(b); err != nil || hi <= lo {
			return 0, 0, fmt.Errorf("--rows %q: bad end: %w", s, errUsage)
		}
	}
	return lo, hi, nil
}

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
		return nil, err
	}
	return model.New(m.kind, hj)
}

func trainFlags(fs *flag.FlagSet, c *train.Config) {
	fs.IntVar(&c.MaxSteps, "max-steps", c.MaxSteps, "training steps")
	fs.Float64Var(&c.LearningRate, "learning-rate", c.LearningRate, "Adam learning rate")
	fs.IntVar(&c.NumLRDecays, "num-lr-decays", c.NumLRDecays, "halve the learning rate this many times over the run (-1 = never)")
	fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "series per step")
	fs.IntVar(&c.WindowsBatchSize, "windows-batch-size", c.WindowsBatchSize, "windows sampled per step (<= 0: all)")
	fs.IntVar(&c.StepSize, "step-size", c.StepSize, "stride between training windows")
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
	fs.BoolVar(&quiet, "quiet", false, "no progress logging")
	set, err := parse(fs, args)
	if err != nil {
		return err
	}
	if out == "" {
		return fmt.Errorf("train: --out is required: %w", errUsage)
	}
	cfg.Seed = mf.seed
	if err := cfg.Validate(); err != nil {
		return err
	}
	if threads > 0 {
		runtime.GOMAXPROCS(threads)
	}
	var m model.Model
	prevSteps := 0
	if initFrom != "" {
		l, err := model.Load(initFrom)
		if err != nil {
			return err
		}
		m = l.Model
		var meta struct {
			TrainedSteps int `json:"trained_steps"`
		}
		_ = json.Unmarshal(l.Meta, &meta) // metadata is informative only
		prevSteps = meta.TrainedSteps
	}
	fd, fileSeries, err := data.loadFile()
	if err != nil {
		return err
	}
	if m == nil {
		extra, err := ef.hyper(fd.ExogNames)
		if err != nil {
			return err
		}
		if m, err = mf.buildWith(set, extra); err != nil {
			return err
		}
	} else if set["loss"] || set["hist-exog"] || set["futr-exog"] || set["level"] {
		return fmt.Errorf("train: --init-from continues the saved model with its own loss and inputs; drop --loss/--level/--hist-exog/--futr-exog: %w", errUsage)
	}
	series, err := exogSeries(m.Common(), fd, fileSeries)
	if err != nil {
		return err
	}
	if !quiet {
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	res, err := train.FitSeries(ctx, m, series, cfg)
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
