// Package nbeatsx implements NeuralForecast's NBEATSx (Olivares et al.,
// "Neural basis expansion analysis with exogenous variables: Forecasting
// electricity prices with NBEATSx", IJF 2023), kind "nbeatsx".
//
// It is NBEATS (engine/models/nbeats; mathematics in
// engine/models/internal/nbeatsnet) with exogenous inputs: every block's
// MLP reads [r_b, X_hist (L·X), X_futr ((L+h)·F), x_stat (S)], flattened
// time-major, and an "exogenous" stack type projects its coefficients on
// the future and static variables themselves. The trend basis is the
// polynomial of degree n_polynomials (default 2), dropout_prob_theta adds
// seeded dropout after every hidden activation, and the defaults are
// NeuralForecast's: identity, trend and seasonality stacks of one block,
// mlp_units 3 × [512, 512], n_harmonics 2.
//
// The output is [B, h·K] with K = Common.Outputs() channels innermost.
// Parameters are named as NeuralForecast's state_dict; weights start from
// PyTorch's default initialisation drawn from a PCG stream seeded by
// random_seed. Not carried over: NeuralForecast's availability mask on the
// residuals (streamcast passes full windows).
package nbeatsx

import (
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/internal/nbeatsnet"
	"github.com/streamcast/streamcast/engine/tensor"
	"github.com/streamcast/streamcast/engine/train"
)

// Kind is the registry name of the model.
const Kind = "nbeatsx"

// Hyper are NBEATSx's hyper-parameters, with NeuralForecast's names.
type Hyper struct {
	model.Common
	// NHarmonics sets the seasonality basis (default 2).
	NHarmonics int `json:"n_harmonics"`
	// NPolynomials is the trend polynomial's degree (default 2).
	NPolynomials int `json:"n_polynomials"`
	// StackTypes lists the stacks: "identity", "trend", "seasonality",
	// "exogenous" (default ["identity", "trend", "seasonality"]).
	StackTypes []string `json:"stack_types"`
	// NBlocks is the number of blocks per stack (default [1, 1, 1]).
	NBlocks []int `json:"n_blocks"`
	// MLPUnits are every block's hidden [in, out] widths (default
	// 3 × [512, 512]).
	MLPUnits [][]int `json:"mlp_units"`
	// DropoutProbTheta is the dropout after every hidden activation
	// (default 0), active on training tapes, masks seeded by Seed.
	DropoutProbTheta float64 `json:"dropout_prob_theta"`
	// Activation is one of nfblock.Activations (default "ReLU").
	Activation string `json:"activation"`
	// SharedWeights makes the blocks of a stack share one MLP.
	SharedWeights bool `json:"shared_weights"`
	// Seed drives the weight initialisation and dropout (random_seed,
	// default 1).
	Seed uint64 `json:"random_seed"`
}

// DefaultHyper returns NeuralForecast's NBEATSx defaults for the given
// window and horizon.
func DefaultHyper(inputSize, h int) Hyper {
	return Hyper{
		Common:       model.Common{InputSize: inputSize, H: h, ScalerType: "identity"},
		NHarmonics:   2,
		NPolynomials: 2,
		StackTypes:   []string{"identity", "trend", "seasonality"},
		NBlocks:      []int{1, 1, 1},
		MLPUnits:     [][]int{{512, 512}, {512, 512}, {512, 512}},
		Activation:   "ReLU",
		Seed:         1,
	}
}

// DefaultTrainConfig returns NeuralForecast's NBEATSx training defaults:
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
		Hist: len(h.HistExog), Futr: len(h.FutrExog), Stat: len(h.StatExog),
		StackTypes: h.StackTypes, NBlocks: h.NBlocks, MLPUnits: h.MLPUnits,
		NHarmonics: h.NHarmonics, TrendBasis: "polynomial", TrendDegree: h.NPolynomials,
		Dropout: h.DropoutProbTheta, Activation: h.Activation, SharedWeights: h.SharedWeights, Seed: h.Seed,
	}
}

// Validate checks the hyper-parameters, including the model's size.
func (h Hyper) Validate() error {
	if err := h.Common.Validate(); err != nil {
		return err
	}
	return h.net().Check([]string{"identity", "trend", "seasonality", "exogenous"})
}

// NumParams returns the number of trainable values the shape implies.
func (h Hyper) NumParams() int { return h.net().NumParams() }

// NBEATSx is the model. Forward is safe for concurrent use by several
// tapes only in no-grad mode (dropout off, weights only read).
type NBEATSx struct {
	hyper Hyper
	net   *nbeatsnet.Net
}

var (
	_ model.Model     = (*NBEATSx)(nil)
	_ model.ExogModel = (*NBEATSx)(nil)
)

func init() {
	model.RegisterKind(Kind, func() Hyper { return DefaultHyper(0, 0) },
		func(h Hyper, init bool) model.Model { return &NBEATSx{hyper: h, net: nbeatsnet.New(h.net(), init)} })
}

// New returns an NBEATSx with seeded initial weights.
func New(h Hyper) (*NBEATSx, error) {
	if err := model.CheckHyper(&h); err != nil {
		return nil, err
	}
	return &NBEATSx{hyper: h, net: nbeatsnet.New(h.net(), true)}, nil
}

// Kind implements model.Model.
func (m *NBEATSx) Kind() string { return Kind }

// Common implements model.Model.
func (m *NBEATSx) Common() model.Common { return m.hyper.Common }

// Hyper implements model.Model.
func (m *NBEATSx) Hyper() any { return m.hyper }

// Params implements model.Model (state_dict names and order).
func (m *NBEATSx) Params() []model.Param { return m.net.Params() }

// SetTrainMode(true) applies dropout on every forward pass, like a PyTorch
// module in train mode under torch.no_grad(); by default dropout is active
// exactly on gradient-recording tapes (training steps).
func (m *NBEATSx) SetTrainMode(on bool) { m.net.SetTrainMode(on) }

// SeedDropout restarts the dropout mask stream (tests replay masks).
func (m *NBEATSx) SeedDropout(seed uint64) { m.net.SeedDropout(seed) }

// Forward maps x [B, input_size] to [B, h·K]; a model configured with
// exogenous variables needs ForwardInputs.
func (m *NBEATSx) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	return m.ForwardInputs(tp, model.Inputs{Y: x})
}

// ForwardInputs implements model.ExogModel: in.Y [B, L], in.Hist [B, L, X],
// in.Futr [B, L+h, F], in.Stat [B, S] (each present exactly when its list is
// configured) to [B, h·K].
func (m *NBEATSx) ForwardInputs(tp *tensor.Tape, in model.Inputs) *tensor.Tensor {
	m.net.Config().CheckInputs(in)
	return m.net.Forward(tp, in)
}

// TrainDefaults returns DefaultTrainConfig(): NeuralForecast's training
// defaults of the kind (for callers holding only a model.Model).
func (m *NBEATSx) TrainDefaults() train.Config { return DefaultTrainConfig() }
