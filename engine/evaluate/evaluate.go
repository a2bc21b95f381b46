// Package evaluate runs published accuracy protocols on the reference
// datasets (shared/data, see its README.md) for any registered model kind:
// it builds the model with the kind's defaults, trains it with train.Fit
// and the kind's training defaults, forecasts the test period and scores
// it the way the literature does.
//
// ETTh1 (Informer / Autoformer / LTSF-Linear convention, multivariate,
// channel-independent): each of the 7 columns is a series, z-scored with
// the mean and population standard deviation of the first 8,640 rows
// (train); validation rows 8,640–11,519 are not used; the test targets are
// rows 11,520–14,399, one window per start hour (2,880 − h + 1 windows per
// column; inputs may reach back into the validation rows), and
//
//	MSE = (1/N) Σ_{w,t,c} (ŷ − y)²,  MAE = (1/N) Σ_{w,t,c} |ŷ − y|,
//
// over every window w, horizon step t and column c, on the normalised
// scale. (The reference code drops the last partial batch of 32 test
// windows; that changes the Repeat baseline by < 0.0001 at h = 96.)
//
// M4 Hourly (Makridakis et al. 2020): 414 series, h = 48, one forecast from
// the end of each training series; sMAPE and MASE (seasonal period 24) per
// series, averaged over the series, and
//
//	OWA = ½ (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2),
//
// with Naive2 (Naive2) computed on the same data.
package evaluate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/train"
)

// Benchmark names accepted by Run.
const (
	ETTh1    = "etth1"
	M4Hourly = "m4-hourly"
)

// Benchmarks lists the benchmark names.
func Benchmarks() []string { return []string{ETTh1, M4Hourly} }

// ErrBenchmark is returned for unknown benchmark names.
var ErrBenchmark = errors.New("evaluate: unknown benchmark")

// TrainDefaulter is implemented by models whose kind has training defaults
// of its own (NeuralForecast sets max_steps, learning_rate, … per model
// class). Other kinds train with train.DefaultConfig (the MLP's defaults).
type TrainDefaulter interface {
	TrainDefaults() train.Config
}

// Options select the model and its training for a benchmark run. Zero
// values take the documented defaults.
type Options struct {
	// Kind is a registered model kind (required), e.g. "dlinear".
	Kind string
	// H is the horizon: ETTh1 default 96 (96, 192, 336, 720 are
	// published); M4 Hourly requires 48 (0 means 48).
	H int
	// InputSize is the input window length: default 336 for ETTh1 (the
	// LTSF-Linear setting) and 2·h = 96 for M4 Hourly.
	InputSize int
	// Hyper holds extra hyper-parameters as a JSON object; its fields
	// override input_size, h and random_seed set from the options.
	Hyper []byte
	// Steps overrides the kind's max_steps when > 0.
	Steps int
	// Seed is the model's random_seed and the training seed (default 1).
	Seed uint64
	// Train, when set, adjusts the training configuration after the
	// defaults, Steps and Seed are applied (tests shorten runs with it).
	Train func(*train.Config)
	// Logger receives training progress (nil: silent).
	Logger *slog.Logger
}

// Result is one benchmark run. MarshalJSON writes the published figures
// only: {"benchmark","model","h","mse","mae"} for ETTh1 and
// {"benchmark","model","smape","mase","owa"} for M4 Hourly.
type Result struct {
	Benchmark string
	Model     string // model kind
	H         int
	InputSize int
	Seed      uint64
	Steps     int           // training steps taken
	TrainTime time.Duration // duration of train.Fit
	Series    int           // series scored
	Windows   int           // test windows per series (ETTh1) or 1 (M4)

	MSE, MAE float64 // ETTh1

	SMAPE, MASE, OWA        float64 // M4 Hourly
	Naive2SMAPE, Naive2MASE float64 // M4 Hourly: the OWA reference
}

// MarshalJSON implements json.Marshaler.
func (r Result) MarshalJSON() ([]byte, error) {
	if r.Benchmark == M4Hourly {
		return json.Marshal(struct {
			Benchmark string  `json:"benchmark"`
			Model     string  `json:"model"`
			SMAPE     float64 `json:"smape"`
			MASE      float64 `json:"mase"`
			OWA       float64 `json:"owa"`
		}{r.Benchmark, r.Model, r.SMAPE, r.MASE, r.OWA})
	}
	return json.Marshal(struct {
		Benchmark string  `json:"benchmark"`
		Model     string  `json:"model"`
		H         int     `json:"h"`
		MSE       float64 `json:"mse"`
		MAE       float64 `json:"mae"`
	}{r.Benchmark, r.Model, r.H, r.MSE, r.MAE})
}

// Run loads the benchmark's data from dataDir (the shared data folder
// holding etth1/ and m4-hourly/, or the benchmark's own folder), trains a
// model as o describes and scores it.
func Run(ctx context.Context, benchmark, dataDir string, o Options) (Result, error) {
	switch benchmark {
	case ETTh1:
		d, err := LoadETTh1(dataDir)
		if err != nil {
			return Result{}, err
		}
		return RunETTh1(ctx, d, o)
	case M4Hourly:
		d, err := LoadM4Hourly(dataDir)
		if err != nil {
			return Result{}, err
		}
		return RunM4Hourly(ctx, d, o)
	}
	return Result{}, fmt.Errorf("%w %q (known: %v)", ErrBenchmark, benchmark, Benchmarks())
}

// NewModel builds a freshly initialised model of kind o.Kind with
// input_size, h and random_seed from o (and o.Hyper's fields on top).
func NewModel(o Options, inputSize, h int) (model.Model, error) {
	fields := map[string]any{"input_size": inputSize, "h": h, "random_seed": o.seed()}
	if len(o.Hyper) > 0 {
		var extra map[string]any
		if err := json.Unmarshal(o.Hyper, &extra); err != nil {
			return nil, fmt.Errorf("evaluate: extra hyper-parameters: %w", err)
		}
		for k, v := range extra {
			fields[k] = v
		}
	}
	hj, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("evaluate: hyper-parameters: %w", err)
	}
	m, err := model.New(o.Kind, hj)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	return m, nil
}

// TrainConfig returns the training configuration of m under o: the kind's
// defaults (TrainDefaulter, else train.DefaultConfig), then o.Steps, o.Seed,
// o.Logger and o.Train.
func TrainConfig(m model.Model, o Options) train.Config {
	cfg := train.DefaultConfig()
	if d, ok := m.(TrainDefaulter); ok {
		cfg = d.TrainDefaults()
	}
	if o.Steps > 0 {
		cfg.MaxSteps = o.Steps
	}
	cfg.Seed = o.seed()
	cfg.Logger = o.Logger
	if o.Train != nil {
		o.Train(&cfg)
	}
	return cfg
}

func (o Options) seed() uint64 {
	if o.Seed == 0 {
		return 1
	}
	return o.Seed
}

// fit trains m on series with the configuration of o.
func fit(ctx context.Context, m model.Model, series [][]float64, o Options) (*train.Result, error) {
	cfg := TrainConfig(m, o)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	res, err := train.Fit(ctx, m, series, cfg)
	if err != nil {
		return nil, fmt.Errorf("evaluate: training %s: %w", m.Kind(), err)
	}
	return res, nil
}
