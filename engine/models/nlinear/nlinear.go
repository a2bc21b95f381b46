// Package nlinear implements NeuralForecast's NLinear (Zeng et al., "Are
// Transformers Effective for Time Series Forecasting?", AAAI 2023): the
// window's last value is subtracted, one linear map produces the forecasts
// and the last value is added back,
//
//	x̃ = x − x_L·1,  ŷ = W x̃ + b + x_L·1,  W ∈ ℝ^{(h·K)×L}, b ∈ ℝ^{h·K},
//
// where K = Common.Outputs() is the number of output channels per horizon
// step (1 for point losses). Like NeuralForecast's, the model is univariate
// with weights shared across series (channel-independent) and takes no
// exogenous variables.
//
// Defaults follow NeuralForecast 3.2 (neuralforecast/models/nlinear.py):
// MAE loss, identity scaler, random_seed 1; training max_steps 5000,
// learning_rate 1e-4, batch_size 32, windows_batch_size 1024, no learning
// rate decay (TrainDefaults). The weights start from PyTorch's nn.Linear
// initialisation drawn from a seeded PCG stream. The package registers
// kind "nlinear" with engine/model.
package nlinear

import (
	"fmt"
	"math/rand/v2"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/nn"
	"github.com/streamcast/streamcast/engine/tensor"
	"github.com/streamcast/streamcast/engine/train"
)

// Kind is the registry name of the model.
const Kind = "nlinear"

// Hyper are NLinear's hyper-parameters.
type Hyper struct {
	model.Common
	// Seed drives the weight initialisation (NeuralForecast's random_seed,
	// default 1).
	Seed uint64 `json:"random_seed"`
}

// DefaultHyper returns NeuralForecast's defaults for the given window and
// horizon.
func DefaultHyper(inputSize, h int) Hyper {
	return Hyper{Common: model.Common{InputSize: inputSize, H: h, ScalerType: "identity"}, Seed: 1}
}

// TrainDefaults returns NeuralForecast's NLinear training defaults:
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

// Validate checks the hyper-parameters.
func (h Hyper) Validate() error {
	if err := h.Common.Validate(); err != nil {
		return err
	}
	if err := h.Common.NoExog(Kind); err != nil {
		return err
	}
	if n := h.NumParams(); n > model.MaxParams {
		return fmt.Errorf("nlinear: %d parameters exceed the limit of %d", n, model.MaxParams)
	}
	return nil
}

// NumParams returns the number of trainable values the shape implies.
func (h Hyper) NumParams() int {
	return (h.InputSize + 1) * h.H * h.Outputs()
}

// NLinear is the model. Forward is safe for concurrent use by several
// tapes only in no-grad mode (weights are read, never written).
type NLinear struct {
	hyper  Hyper
	linear *nn.Linear
	params []model.Param
}

var _ model.Model = (*NLinear)(nil)

func init() {
	model.RegisterKind(Kind, func() Hyper { return DefaultHyper(0, 0) },
		func(h Hyper, init bool) model.Model { return build(h, init) })
}

// New returns an NLinear with seeded initial weights.
func New(h Hyper) (*NLinear, error) {
	if err := model.CheckHyper(&h); err != nil {
		return nil, err
	}
	return build(h, true), nil
}

func build(h Hyper, init bool) *NLinear {
	out := h.H * h.Outputs()
	l := &nn.Linear{In: h.InputSize, Out: out, Weight: tensor.NewParam(out, h.InputSize), Bias: tensor.NewParam(out)}
	if init {
		nn.InitLayerDefault(l.Weight, l.Bias, rand.New(rand.NewPCG(h.Seed, 0x6e6c696e)))
	}
	// NeuralForecast's state_dict: linear.weight, linear.bias.
	return &NLinear{hyper: h, linear: l, params: nn.Prefixed("linear", l)}
}

// Kind implements model.Model.
func (m *NLinear) Kind() string { return Kind }

// Common implements model.Model.
func (m *NLinear) Common() model.Common { return m.hyper.Common }

// Hyper implements model.Model.
func (m *NLinear) Hyper() any { return m.hyper }

// Params implements model.Model: linear.weight [h·K, L], linear.bias [h·K].
func (m *NLinear) Params() []model.Param { return m.params }

// TrainDefaults returns the kind's training defaults (the package-level
// TrainDefaults).
func (m *NLinear) TrainDefaults() train.Config { return TrainDefaults() }

// Forward maps x [B, L] to [B, h·K]: Linear(x − x_L) + x_L.
func (m *NLinear) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	L := m.hyper.InputSize
	last := tensor.Slice(tp, x, 1, L-1, L, 1) // [B, 1]
	return tensor.Add(tp, m.linear.Forward(tp, tensor.Sub(tp, x, last)), last)
}
