// Package dlinear implements NeuralForecast's DLinear (Zeng et al., "Are
// Transformers Effective for Time Series Forecasting?", AAAI 2023): the
// input window is split into a trend, its moving average of window k
// (default 25) with both ends padded by repeating the first and last
// value, and a seasonal remainder, each mapped to the horizon by its own
// linear layer:
//
//	trend = MovingAvg_k(x),  seasonal = x − trend,
//	ŷ = W_t·trend + b_t + W_s·seasonal + b_s,  W_t, W_s ∈ ℝ^{(h·K)×L},
//
// where K = Common.Outputs() is the number of output channels per horizon
// step (1 for point losses). Like NeuralForecast's (and the paper's
// individual=False), the model is univariate with weights shared across
// series and takes no exogenous variables.
//
// Defaults follow NeuralForecast 3.2 (neuralforecast/models/dlinear.py):
// moving_avg_window 25 (must be odd), MAE loss, identity scaler,
// random_seed 1; training max_steps 5000, learning_rate 1e-4, batch_size
// 32, windows_batch_size 1024, no learning-rate decay (TrainDefaults).
// Weights start from PyTorch's nn.Linear initialisation drawn from a
// seeded PCG stream. The package registers kind "dlinear" with
// engine/model.
package dlinear

import (
	"fmt"
	"math/rand/v2"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/nn"
	"github.com/streamcast/streamcast/engine/tensor"
	"github.com/streamcast/streamcast/engine/train"
)

// Kind is the registry name of the model.
const Kind = "dlinear"

// Hyper are DLinear's hyper-parameters.
type Hyper struct {
	model.Common
	// MovingAvgWindow is the trend's moving-average window
	// (moving_avg_window; odd, default 25).
	MovingAvgWindow int `json:"moving_avg_window"`
	// Seed drives the weight initialisation (NeuralForecast's random_seed,
	// default 1).
	Seed uint64 `json:"random_seed"`
}

// DefaultHyper returns NeuralForecast's defaults for the given window and
// horizon.
func DefaultHyper(inputSize, h int) Hyper {
	return Hyper{Common: model.Common{InputSize: inputSize, H: h, ScalerType: "identity"}, MovingAvgWindow: 25, Seed: 1}
}

// TrainDefaults returns NeuralForecast's DLinear training defaults:
// max_steps 5000, learning_rate 1e-4, num_lr_decays −1 (none), batch_size
// 32, windows_batch_size 1024, step_size 1, val_check_steps 100, no early
// stopping, random_seed 1. (NeuralForecast's inference_windows_batch_size,
// 1024, only chunks prediction and does not change results.)
func TrainDefaults() train.Config {
	c := train.DefaultConfig()
	c.MaxSteps = 5000
	c.LearningRate = 1e-4
	c.NumLRDecays = -1
	c.BatchSize = 32
	c.WindowsBatchSize = 1024
	return c
}

// maxWindow bounds moving_avg_window (the padded row must stay addressable).
const maxWindow = 1 << 20

// Validate checks the hyper-parameters.
func (h Hyper) Validate() error {
	if err := h.Common.Validate(); err != nil {
		return err
	}
	if err := h.Common.NoExog(Kind); err != nil {
		return err
	}
	if h.MovingAvgWindow < 1 || h.MovingAvgWindow%2 == 0 || h.MovingAvgWindow > maxWindow {
		return fmt.Errorf("dlinear: moving_avg_window %d must be odd and in [1, %d]", h.MovingAvgWindow, maxWindow)
	}
	if n := h.NumParams(); n > model.MaxParams {
		return fmt.Errorf("dlinear: %d parameters exceed the limit of %d", n, model.MaxParams)
	}
	return nil
}

// NumParams returns the number of trainable values the shape implies.
func (h Hyper) NumParams() int {
	return 2 * (h.InputSize + 1) * h.H * h.Outputs()
}

// DLinear is the model. Forward is safe for concurrent use by several
// tapes only in no-grad mode (weights are read, never written).
type DLinear struct {
	hyper         Hyper
	trend, season *nn.Linear
	params        []model.Param
}

var _ model.Model = (*DLinear)(nil)

func init() {
	model.RegisterKind(Kind, func() Hyper { return DefaultHyper(0, 0) },
		func(h Hyper, init bool) model.Model { return build(h, init) })
}

// New returns a DLinear with seeded initial weights.
func New(h Hyper) (*DLinear, error) {
	if err := model.CheckHyper(&h); err != nil {
		return nil, err
	}
	return build(h, true), nil
}

func build(h Hyper, init bool) *DLinear {
	out := h.H * h.Outputs()
	rng := rand.New(rand.NewPCG(h.Seed, 0x646c696e))
	layer := func() *nn.Linear {
		l := &nn.Linear{In: h.InputSize, Out: out, Weight: tensor.NewParam(out, h.InputSize), Bias: tensor.NewParam(out)}
		if init {
			nn.InitLayerDefault(l.Weight, l.Bias, rng)
		}
		return l
	}
	m := &DLinear{hyper: h}
	// Created (and initialised) in NeuralForecast's order; its state_dict
	// is linear_trend.{weight,bias}, linear_season.{weight,bias}.
	m.trend = layer()
	m.season = layer()
	m.params = append(nn.Prefixed("linear_trend", m.trend), nn.Prefixed("linear_season", m.season)...)
	return m
}

// Kind implements model.Model.
func (m *DLinear) Kind() string { return Kind }

// Common implements model.Model.
func (m *DLinear) Common() model.Common { return m.hyper.Common }

// Hyper implements model.Model.
func (m *DLinear) Hyper() any { return m.hyper }

// Params implements model.Model: linear_trend.weight [h·K, L],
// linear_trend.bias [h·K], linear_season.weight, linear_season.bias.
func (m *DLinear) Params() []model.Param { return m.params }

// TrainDefaults returns the kind's training defaults (the package-level
// TrainDefaults).
func (m *DLinear) TrainDefaults() train.Config { return TrainDefaults() }

// Forward maps x [B, L] to [B, h·K]: Linear_t(trend) + Linear_s(x − trend).
func (m *DLinear) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	trend := MovingAvg(tp, x, m.hyper.MovingAvgWindow)
	seasonal := tensor.Sub(tp, x, trend)
	return tensor.Add(tp, m.trend.Forward(tp, trend), m.season.Forward(tp, seasonal))
}
