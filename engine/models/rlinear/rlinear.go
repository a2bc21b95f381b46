// Package rlinear implements RLinear (Li, Qi, Li & Xu, "Revisiting
// Long-term Time Series Forecasting: An Investigation on Linear Mapping",
// 2023; reference code plumprc/RTSF models/RLinear.py). It is not part of
// NeuralForecast. Each window is normalised by reversible instance
// normalisation (RevIN, Kim et al., ICLR 2022) with a learnable affine map,
// passed through dropout and one linear layer, and de-normalised:
//
//	μ = mean(x),  σ = √(var(x) + 10⁻⁵)               (constants, population variance)
//	z = γ·(x − μ)/σ + β
//	u = W·dropout_p(z) + c,                          W ∈ ℝ^{(h·K)×L}
//	ŷ = (u − β)/(γ + 10⁻¹⁰)·σ + μ
//
// where K = Common.Outputs() is the number of output channels per horizon
// step (1 for point losses). The model is univariate with weights shared
// across series (channel-independent, the reference code's
// individual=False); RevIN therefore has one channel, so γ and β are
// scalars (the reference code keeps one pair per variable of a
// multivariate batch). It takes no exogenous variables.
//
// Defaults: dropout 0.1 and MSE loss, as in the reference code; identity
// window scaler (RevIN is part of the network); random_seed 1. Training
// defaults (TrainDefaults) follow NeuralForecast's linear models, since the
// model has none in NeuralForecast. The linear layer starts from PyTorch's
// nn.Linear initialisation, γ = 1 and β = 0. The package registers kind
// "rlinear" with engine/model.
package rlinear

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/nn"
	"github.com/streamcast/streamcast/engine/scaler"
	"github.com/streamcast/streamcast/engine/tensor"
	"github.com/streamcast/streamcast/engine/train"
)

// Kind is the registry name of the model.
const Kind = "rlinear"

// Eps is RevIN's eps: σ = √(var + Eps), and the inverse divides by γ + Eps².
const Eps = 1e-5

// Hyper are RLinear's hyper-parameters.
type Hyper struct {
	model.Common
	// Dropout is the dropout probability on the normalised input (the
	// reference code's drop; default 0.1).
	Dropout float64 `json:"dropout"`
	// Seed drives the weight initialisation and the dropout masks (default 1).
	Seed uint64 `json:"random_seed"`
}

// DefaultHyper returns the reference defaults for the given window and
// horizon: dropout 0.1, MSE loss.
func DefaultHyper(inputSize, h int) Hyper {
	return Hyper{
		Common:  model.Common{InputSize: inputSize, H: h, ScalerType: "identity", Loss: &loss.Config{Name: "MSE"}},
		Dropout: 0.1,
		Seed:    1,
	}
}

// TrainDefaults returns RLinear's training defaults. RLinear is not in
// NeuralForecast, so they are NeuralForecast's settings for its linear
// models (NLinear, DLinear): max_steps 5000, learning_rate 1e-4,
// num_lr_decays −1 (none), batch_size 32, windows_batch_size 1024,
// step_size 1, no early stopping, random_seed 1.
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
	if !(h.Dropout >= 0 && h.Dropout < 1) {
		return fmt.Errorf("rlinear: dropout %g must be in [0, 1)", h.Dropout)
	}
	if n := h.NumParams(); n > model.MaxParams {
		return fmt.Errorf("rlinear: %d parameters exceed the limit of %d", n, model.MaxParams)
	}
	return nil
}

// NumParams returns the number of trainable values the shape implies.
func (h Hyper) NumParams() int {
	return (h.InputSize+1)*h.H*h.Outputs() + 2
}

// RLinear is the model. Forward in no-grad mode (no dropout) is safe for
// concurrent use by several tapes; a recording tape draws dropout masks
// from the model's seeded stream, so training is single-goroutine.
type RLinear struct {
	hyper       Hyper
	linear      *nn.Linear
	gamma, beta *tensor.Tensor // RevIN affine weight and bias, shape [1]
	dropRNG     *rand.Rand
	params      []model.Param
}

var _ model.Model = (*RLinear)(nil)

func init() {
	model.RegisterKind(Kind, func() Hyper { return DefaultHyper(0, 0) },
		func(h Hyper, init bool) model.Model { return build(h, init) })
}

// New returns an RLinear with seeded initial weights.
func New(h Hyper) (*RLinear, error) {
	if err := model.CheckHyper(&h); err != nil {
		return nil, err
	}
	return build(h, true), nil
}

func build(h Hyper, init bool) *RLinear {
	out := h.H * h.Outputs()
	l := &nn.Linear{In: h.InputSize, Out: out, Weight: tensor.NewParam(out, h.InputSize), Bias: tensor.NewParam(out)}
	m := &RLinear{hyper: h, linear: l, gamma: tensor.NewParam(1), beta: tensor.NewParam(1),
		dropRNG: rand.New(rand.NewPCG(h.Seed, 0x64726f70))}
	if init {
		nn.InitLayerDefault(l.Weight, l.Bias, rand.New(rand.NewPCG(h.Seed, 0x726c696e)))
		m.gamma.Data[0] = 1
	}
	// The reference model's state_dict: Linear.{weight,bias},
	// rev.affine_weight, rev.affine_bias.
	m.params = append(nn.Prefixed("Linear", l),
		model.Param{Name: "rev.affine_weight", T: m.gamma},
		model.Param{Name: "rev.affine_bias", T: m.beta})
	return m
}

// Kind implements model.Model.
func (m *RLinear) Kind() string { return Kind }

// Common implements model.Model.
func (m *RLinear) Common() model.Common { return m.hyper.Common }

// Hyper implements model.Model.
func (m *RLinear) Hyper() any { return m.hyper }

// Params implements model.Model: Linear.weight [h·K, L], Linear.bias
// [h·K], rev.affine_weight [1], rev.affine_bias [1].
func (m *RLinear) Params() []model.Param { return m.params }

// TrainDefaults returns the kind's training defaults (the package-level
// TrainDefaults).
func (m *RLinear) TrainDefaults() train.Config { return TrainDefaults() }

// Forward maps x [B, L] to [B, h·K]. Dropout is active only on a recording
// tape (training); an inference tape skips it, as module.eval() does.
func (m *RLinear) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	b, l := x.Shape[0], x.Shape[1]
	mu, sigma := tp.Scratch(b), tp.Scratch(b)
	revinStats(mu, sigma, x.Data, l)
	z := scaler.Scale(tp, x, mu, sigma)
	z = tensor.Add(tp, tensor.Mul(tp, z, m.gamma), m.beta)
	z = tensor.Dropout(tp, z, float32(m.hyper.Dropout), !tp.NoGrad(), m.dropRNG)
	u := m.linear.Forward(tp, z)
	u = tensor.Div(tp, tensor.Sub(tp, u, m.beta), tensor.AddScalar(tp, m.gamma, Eps*Eps))
	return scaler.Inverse(tp, u, mu, sigma)
}

// revinStats writes each row's mean and √(population variance + Eps),
// computed in float64.
func revinStats(mu, sigma, x []float32, l int) {
	for r := range mu {
		row := x[r*l : (r+1)*l]
		var s float64
		for _, v := range row {
			s += float64(v)
		}
		mean := s / float64(l)
		var ss float64
		for _, v := range row {
			d := float64(v) - mean
			ss += d * d
		}
		mu[r] = float32(mean)
		sigma[r] = float32(math.Sqrt(ss/float64(l) + Eps))
	}
}
