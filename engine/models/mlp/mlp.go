// Package mlp implements NeuralForecast's MLP forecaster: the input window
// goes through num_layers fully connected layers of hidden_size units with
// ReLU, and a final linear layer emits the h forecasts:
//
//	z₁ = ReLU(W₁x + b₁), zₖ = ReLU(Wₖzₖ₋₁ + bₖ), ŷ = W_out z_K + b_out.
//
// Defaults follow NeuralForecast (num_layers = 2, hidden_size = 1024); the
// weights start from PyTorch's nn.Linear initialisation (engine/nn), drawn
// from a seeded PCG stream. The package registers kind "mlp" with
// engine/model.
//
// Exogenous variables enter as in NeuralForecast: the input of the first
// layer is the concatenation of the target window (L), the historical
// variables flattened time-major (L·X), the future-known ones over the
// window and the horizon ((L+H)·F) and the static ones (S). The output
// layer emits H·K values, K = the loss's output channels (quantiles of
// MQLoss, parameters of DistributionLoss).
package mlp

import (
	"fmt"
	"math/rand/v2"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/nn"
	"github.com/streamcast/streamcast/engine/scaler"
	"github.com/streamcast/streamcast/engine/tensor"
)

// Kind is the registry name of the model.
const Kind = "mlp"

// Hyper are the MLP's hyper-parameters.
type Hyper struct {
	model.Common
	// NumLayers is the number of hidden layers (default 2).
	NumLayers int `json:"num_layers"`
	// HiddenSize is the width of every hidden layer (default 1024).
	HiddenSize int `json:"hidden_size"`
	// Seed drives the weight initialisation (NeuralForecast's random_seed,
	// default 1).
	Seed uint64 `json:"random_seed"`
}

// DefaultHyper returns NeuralForecast's defaults for the given window and
// horizon.
func DefaultHyper(inputSize, h int) Hyper {
	return Hyper{Common: model.Common{InputSize: inputSize, H: h, ScalerType: "identity"}, NumLayers: 2, HiddenSize: 1024, Seed: 1}
}

// Validate checks the hyper-parameters, including the model's size.
func (h Hyper) Validate() error {
	if err := h.Common.Validate(); err != nil {
		return err
	}
	if h.NumLayers < 1 || h.NumLayers > 64 {
		return fmt.Errorf("mlp: num_layers %d must be in [1, 64]", h.NumLayers)
	}
	if h.HiddenSize < 1 || h.HiddenSize > 1<<16 {
		return fmt.Errorf("mlp: hidden_size %d must be in [1, 65536]", h.HiddenSize)
	}
	if n := h.NumParams(); n > model.MaxParams {
		return fmt.Errorf("mlp: %d parameters exceed the limit of %d", n, model.MaxParams)
	}
	return nil
}

// NumParams returns the number of trainable values the shape implies.
func (h Hyper) NumParams() int {
	n, in := 0, h.inputWidth()
	for i := 0; i < h.NumLayers; i++ {
		n += (in + 1) * h.HiddenSize
		in = h.HiddenSize
	}
	n += (in + 1) * h.H * h.Outputs()
	if h.ScalerType == "revin" {
		n += 2 // scaler.revin_bias, scaler.revin_weight (one channel)
	}
	return n
}

// inputWidth is the width of the first layer's input.
func (h Hyper) inputWidth() int {
	L := h.InputSize
	return L + L*len(h.HistExog) + (L+h.H)*len(h.FutrExog) + len(h.StatExog)
}

// MLP is the model. Forward is safe for concurrent use by several tapes
// only in no-grad mode (weights are read, never written).
type MLP struct {
	hyper  Hyper
	hidden []*nn.Linear
	out    *nn.Linear
	revin  *scaler.Scaler // scaler_type revin only
	params []model.Param
}

var (
	_ model.ExogModel  = (*MLP)(nil)
	_ model.RevINOwner = (*MLP)(nil)
)

func init() {
	model.RegisterKind(Kind, func() Hyper { return DefaultHyper(0, 0) },
		func(h Hyper, init bool) model.Model { return build(h, init) })
}

// New returns an MLP with seeded initial weights.
func New(h Hyper) (*MLP, error) {
	if err := model.CheckHyper(&h); err != nil {
		return nil, err
	}
	return build(h, true), nil
}

func build(h Hyper, init bool) *MLP {
	m := &MLP{hyper: h}
	rng := rand.New(rand.NewPCG(h.Seed, 0x6d6c70))
	layer := func(in, out int) *nn.Linear {
		l := &nn.Linear{In: in, Out: out, Weight: tensor.NewParam(out, in), Bias: tensor.NewParam(out)}
		if init {
			nn.InitLayerDefault(l.Weight, l.Bias, rng)
		}
		return l
	}
	in := h.inputWidth()
	mods := make([]nn.Module, h.NumLayers)
	for i := range h.NumLayers {
		m.hidden = append(m.hidden, layer(in, h.HiddenSize))
		mods[i] = m.hidden[i]
		in = h.HiddenSize
	}
	m.out = layer(in, h.H*h.Outputs())
	// NeuralForecast's state_dict names and order: scaler.revin_bias and
	// scaler.revin_weight (TemporalNorm, revin only), mlp.<i>.{weight,bias},
	// out.{weight,bias}.
	if h.ScalerType == "revin" {
		m.revin, _ = scaler.New(scaler.RevIN, 1) // bias 0, weight 1
		m.params = append(m.params, nn.Prefixed("scaler", nn.Params(m.revin.Params()))...)
	}
	m.params = append(m.params, nn.Collect("mlp", mods...)...)
	m.params = append(m.params, nn.Prefixed("out", m.out)...)
	return m
}

// RevIN implements model.RevINOwner: RevIN's affine parameters with
// scaler_type revin, else nil. As in NeuralForecast, a point loss is taken
// on the scaled values, so they receive no gradient and keep their initial
// values (bias 0, weight 1); they enter the inverse transform and are saved
// with the weights.
func (m *MLP) RevIN() *scaler.Scaler { return m.revin }

// Kind implements model.Model.
func (m *MLP) Kind() string { return Kind }

// Common implements model.Model.
func (m *MLP) Common() model.Common { return m.hyper.Common }

// Hyper implements model.Model.
func (m *MLP) Hyper() any { return m.hyper }

// Params implements model.Model: mlp.<i>.weight, mlp.<i>.bias, …,
// out.weight, out.bias (PyTorch layout and names: weight is [out, in]).
func (m *MLP) Params() []model.Param { return m.params }

// Forward maps x [B, input_size] to [B, h·K] (a model without exogenous
// variables).
func (m *MLP) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	return m.ForwardInputs(tp, model.Inputs{Y: x})
}

// ForwardInputs implements model.ExogModel.
func (m *MLP) ForwardInputs(tp *tensor.Tape, in model.Inputs) *tensor.Tensor {
	x := in.Y
	if m.hyper.HasExog() {
		b := x.Shape[0]
		parts := []*tensor.Tensor{x}
		for _, e := range []*tensor.Tensor{in.Hist, in.Futr, in.Stat} {
			if e != nil {
				parts = append(parts, tensor.Reshape(tp, e, b, len(e.Data)/b))
			}
		}
		if w := m.hyper.inputWidth(); sumCols(parts) != w {
			panic(fmt.Sprintf("mlp: inputs of width %d, the model takes %d (check the exogenous tensors)", sumCols(parts), w))
		}
		x = tensor.Concat(tp, 1, parts...)
	}
	for _, l := range m.hidden {
		x = tensor.ReLU(tp, l.Forward(tp, x))
	}
	return m.out.Forward(tp, x)
}

func sumCols(ts []*tensor.Tensor) int {
	n := 0
	for _, t := range ts {
		n += t.Shape[1]
	}
	return n
}
