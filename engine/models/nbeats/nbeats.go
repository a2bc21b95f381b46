// Package nbeats implements NeuralForecast's NBEATS (Oreshkin et al.,
// "N-BEATS: Neural basis expansion analysis for interpretable time series
// forecasting", ICLR 2020), kind "nbeats".
//
// The default architecture is NeuralForecast's: an identity, a trend
// (polynomial basis of degree n_basis = 2) and a seasonality (Fourier,
// n_harmonics = 2) stack of one block each, every block an MLP with
// mlp_units 3 × [512, 512] (see engine/models/internal/nfblock for the
// exact layer layout), doubly residual stacking over the time-reversed
// input window, and a forecast that starts at the last observed value.
// engine/models/internal/nbeatsnet documents the mathematics.
//
// The output is [B, h·K] with K = Common.Outputs() channels innermost
// (NeuralForecast's loss.outputsize_multiplier). Weights start from
// PyTorch's default nn.Linear initialisation drawn from a PCG stream
// seeded by random_seed. Parameters are named as NeuralForecast's
// state_dict (blocks.<j>.layers.<i>.{weight,bias}); the frozen basis
// templates (blocks.<j>.basis.backcast_basis, …) are rebuilt from the
// hyper-parameters.
//
// NBEATS takes no exogenous variables (use nbeatsx). Not carried over:
// NeuralForecast multiplies every residual by the window's availability
// mask; streamcast's Model interface passes full windows.
package nbeats

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/internal/nbeatsnet"
	"github.com/streamcast/streamcast/engine/tensor"
	"github.com/streamcast/streamcast/engine/train"
)

// Kind is the registry name of the model.
const Kind = "nbeats"

// Hyper are NBEATS's hyper-parameters, with NeuralForecast's names.
type Hyper struct {
	model.Common
	// NHarmonics sets the seasonality basis (default 2).
	NHarmonics int `json:"n_harmonics"`
	// NPolynomials is deprecated in NeuralForecast and ignored there (and
	// here); the trend basis is set by Basis and NBasis.
	NPolynomials *int `json:"n_polynomials,omitempty"`
	// NBasis is the degree of the trend basis: NBasis+1 functions
	// (default 2).
	NBasis int `json:"n_basis"`
	// Basis is the trend basis family (default "polynomial"; see
	// nbeatsnet.TrendBases).
	Basis string `json:"basis"`
	// StackTypes lists the stacks: "identity", "trend", "seasonality"
	// (default ["identity", "trend", "seasonality"]).
	StackTypes []string `json:"stack_types"`
	// NBlocks is the number of blocks per stack (default [1, 1, 1]).
	NBlocks []int `json:"n_blocks"`
	// MLPUnits are every block's hidden [in, out] widths (default
	// 3 × [512, 512]).
	MLPUnits [][]int `json:"mlp_units"`
	// DropoutProbTheta must be 0: NeuralForecast's NBEATS raises
	// NotImplementedError for dropout (NBEATSx and NHITS support it).
	DropoutProbTheta float64 `json:"dropout_prob_theta"`
	// Activation is one of nfblock.Activations (default "ReLU").
	Activation string `json:"activation"`
	// SharedWeights makes the blocks of a stack share one MLP.
	SharedWeights bool `json:"shared_weights"`
	// Seed drives the weight initialisation (random_seed, default 1).
	Seed uint64 `json:"random_seed"`
}

// DefaultHyper returns NeuralForecast's NBEATS defaults for the given
// window and horizon.
func DefaultHyper(inputSize, h int) Hyper {
	return Hyper{
		Common:     model.Common{InputSize: inputSize, H: h, ScalerType: "identity"},
		NHarmonics: 2,
		NBasis:     2,
		Basis:      "polynomial",
		StackTypes: []string{"identity", "trend", "seasonality"},
		NBlocks:    []int{1, 1, 1},
		MLPUnits:   [][]int{{512, 512}, {512, 512}, {512, 512}},
		Activation: "ReLU",
		Seed:       1,
	}
}

// DefaultTrainConfig returns NeuralForecast's NBEATS training defaults:
// max_steps 1000, learning_rate 1e-3, num_lr_decays 3, batch_size 32,
// windows_batch_size 1024, step_size 1, random_seed 1.
func DefaultTrainConfig() train.Config {
	c := train.DefaultConfig()
	c.MaxSteps, c.LearningRate, c.NumLRDecays = 1000, 1e-3, 3
	c.BatchSize, c.WindowsBatchSize, c.StepSize = 32, 1024, 1
	return c
}

func (h Hyper) net() nbeatsnet.Config {
	return nbeatsnet.Config{
		Kind: Kind, L: h.InputSize, H: h.H, K: h.Outputs(),
		StackTypes: h.StackTypes, NBlocks: h.NBlocks, MLPUnits: h.MLPUnits,
		NHarmonics: h.NHarmonics, TrendBasis: h.Basis, TrendDegree: h.NBasis,
		Activation: h.Activation, SharedWeights: h.SharedWeights, Seed: h.Seed,
	}
}

// Validate checks the hyper-parameters, including the model's size.
func (h Hyper) Validate() error {
	if err := h.Common.Validate(); err != nil {
		return err
	}
	if err := h.Common.NoExog(Kind); err != nil {
		return err
	}
	if h.DropoutProbTheta != 0 {
		return fmt.Errorf("nbeats: dropout_prob_theta %g: NBEATS has no dropout (NeuralForecast raises NotImplementedError); use nbeatsx or nhits", h.DropoutProbTheta)
	}
	return h.net().Check([]string{"identity", "trend", "seasonality"})
}

// NumParams returns the number of trainable values the shape implies.
func (h Hyper) NumParams() int { return h.net().NumParams() }

// NBEATS is the model. Forward is safe for concurrent use by several tapes
// only in no-grad mode.
type NBEATS struct {
	hyper Hyper
	net   *nbeatsnet.Net
}

var _ model.Model = (*NBEATS)(nil)

func init() {
	model.RegisterKind(Kind, func() Hyper { return DefaultHyper(0, 0) },
		func(h Hyper, init bool) model.Model { return &NBEATS{hyper: h, net: nbeatsnet.New(h.net(), init)} })
}

// New returns an NBEATS with seeded initial weights.
func New(h Hyper) (*NBEATS, error) {
	if err := model.CheckHyper(&h); err != nil {
		return nil, err
	}
	return &NBEATS{hyper: h, net: nbeatsnet.New(h.net(), true)}, nil
}

// Kind implements model.Model.
func (m *NBEATS) Kind() string { return Kind }

// Common implements model.Model.
func (m *NBEATS) Common() model.Common { return m.hyper.Common }

// Hyper implements model.Model.
func (m *NBEATS) Hyper() any { return m.hyper }

// Params implements model.Model (state_dict names and order).
func (m *NBEATS) Params() []model.Param { return m.net.Params() }

// Forward maps x [B, input_size] to [B, h·K].
func (m *NBEATS) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	in := model.Inputs{Y: x}
	m.net.Config().CheckInputs(in)
	return m.net.Forward(tp, in)
}

// TrainDefaults returns DefaultTrainConfig(): NeuralForecast's training
// defaults of the kind (for callers holding only a model.Model).
func (m *NBEATS) TrainDefaults() train.Config { return DefaultTrainConfig() }
