package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/train"
	"github.com/streamcast/streamcast/features"
)

// demoTraining trains a network for the demo before it streams, on a part
// of the dataset the demo does not replay first: for ETTh1 the rows from
// 8,640 on (the published protocol's validation and test part), so the
// streamed forecasts are out of sample.
type demoTraining struct {
	Kind      string
	Loss      string    // --loss name (engine/loss.ParseFlag)
	Levels    []float64 // prediction-interval levels of multi-output losses
	Steps     int
	InputSize int
	Horizon   int
	Seed      uint64
}

// Inputs every demo network gets when its kind takes exogenous variables:
// the daily and weekly cycle as future-known calendar inputs, and a daily
// rolling mean and a fast EWMA as historical ones.
var (
	demoFutr = []string{"hour_sin", "hour_cos", "dow_sin", "dow_cos"}
	demoHist = []string{"mean_24", "ewma_0.5"}
)

const (
	demoTrainOffset = 8640 // first training row (steps of every series)
	demoTrainRows   = 1500 // training steps per series
	demoTrainSeries = 64   // at most this many series train
)

// hyper returns the JSON hyper-parameters of the demo network; withExog
// adds the demo's exogenous inputs.
func (d demoTraining) hyper(withExog bool) ([]byte, error) {
	lc, err := loss.ParseFlag(d.Loss, d.Levels)
	if err != nil {
		return nil, err
	}
	h := map[string]any{"input_size": d.InputSize, "h": d.Horizon, "scaler_type": "standard", "random_seed": d.Seed, "loss": lc}
	if d.Kind == "mlp" {
		h["hidden_size"] = 256 // trains in seconds; the default 1024 takes a minute here
	}
	if withExog {
		h["futr_exog_list"], h["hist_exog_list"] = demoFutr, demoHist
	}
	return json.Marshal(h)
}

// run trains the network, saves it into dir and returns the file's path.
func (d demoTraining) run(ctx context.Context, ds Dataset, dir string, stderr io.Writer) (string, error) {
	hyper, err := d.hyper(true)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrConfig, err)
	}
	m, err := model.New(d.Kind, hyper)
	exog := err == nil
	if !exog {
		// kinds without exogenous support (NLinear, NBEATS, …) train on the values alone
		if hyper, err = d.hyper(false); err == nil {
			m, err = model.New(d.Kind, hyper)
		}
		if err != nil {
			return "", fmt.Errorf("%w: --model %s: %w", ErrConfig, d.Kind, err)
		}
	}
	c := m.Common()
	n := min(ds.NumSeries(), demoTrainSeries)
	series := make([]train.Series, n)
	for i := range n {
		vals := make([]float64, demoTrainRows)
		times := make([]time.Time, demoTrainRows)
		for t := range vals {
			k := int64(demoTrainOffset+t)*int64(ds.NumSeries()) + int64(i)
			_, times[t], vals[t] = ds.Event(k)
		}
		s := train.Series{Y: vals}
		if exog {
			if s.Hist, s.Futr, err = features.SeriesInputs(c.HistExog, c.FutrExog, vals, times); err != nil {
				return "", err
			}
		}
		series[i] = s
	}
	cfg := train.DefaultConfig()
	cfg.MaxSteps = d.Steps
	cfg.WindowsBatchSize = 256
	cfg.Seed = d.Seed
	// The stream starts from empty histories: train on zero-padded windows
	// too, so that the first forecasts of every series are sensible.
	cfg.StartPaddingEnabled = true
	fmt.Fprintf(stderr, "demo: training %s (loss %s, future inputs %v, historical inputs %v) on %d series × %d steps of %s, %d steps…\n",
		d.Kind, c.Loss.Name, c.FutrExog, c.HistExog, n, demoTrainRows, ds.Name(), d.Steps)
	t0 := time.Now()
	res, err := train.FitSeries(ctx, m, series, cfg)
	if err != nil {
		return "", fmt.Errorf("training the demo model: %w", err)
	}
	fmt.Fprintf(stderr, "demo: trained in %.1fs, last training loss %.4f\n", time.Since(t0).Seconds(), res.TrainLoss)
	meta, _ := json.Marshal(map[string]any{"steps": res.Steps, "train_loss": res.TrainLoss, "dataset": ds.Name(), "trained_by": "streamcast demo"})
	path := filepath.Join(dir, d.Kind+".scm")
	if err := model.Save(path, m, meta); err != nil {
		return "", err
	}
	return path, nil
}

// prepareModel trains the demo network when --model names a model kind
// without --model-file, and returns the file to serve ("" for baselines).
func (h *harness) prepareModel(ctx context.Context, ds Dataset, stderr io.Writer) (path string, cleanup func(), err error) {
	cleanup = func() {}
	if h.ModelFile != "" || !isNeuralKind(h.Model) {
		return h.ModelFile, cleanup, nil
	}
	if h.Model == model.ForecasterName {
		return "", cleanup, fmt.Errorf("%w: --model neural needs --model-file (or give a model kind such as mlp to train one first)", ErrConfig)
	}
	dir, err := os.MkdirTemp("", "streamcast-demo-model-")
	if err != nil {
		return "", cleanup, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	d := demoTraining{Kind: h.Model, Loss: h.Loss, Levels: h.Levels, Steps: h.TrainSteps, InputSize: 168, Horizon: h.Horizon, Seed: h.Seed}
	if path, err = d.run(ctx, ds, dir, stderr); err != nil {
		cleanup()
		return "", func() {}, err
	}
	return path, cleanup, nil
}
