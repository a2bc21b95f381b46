package nhits

import (
	"fmt"
	"slices"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/internal/nfblock"
	"github.com/streamcast/streamcast/engine/train"
)

// Kind is the registry name of the model.
const Kind = "nhits"

// Hyper are NHITS's hyper-parameters, with NeuralForecast's names.
type Hyper struct {
	model.Common
	// StackTypes lists the stacks; NHITS knows only "identity" (default
	// three of them).
	StackTypes []string `json:"stack_types"`
	// NBlocks is the number of blocks of each stack (default [1, 1, 1]).
	NBlocks []int `json:"n_blocks"`
	// MLPUnits are the [in, out] widths of every block's hidden layers
	// (default 3 × [512, 512]); see engine/models/internal/nfblock for
	// NeuralForecast's exact layer layout.
	MLPUnits [][]int `json:"mlp_units"`
	// NPoolKernelSize is each stack's input pooling kernel and stride
	// (default [2, 2, 1]; ceil mode).
	NPoolKernelSize []int `json:"n_pool_kernel_size"`
	// NFreqDownsample is each stack's expressivity ratio r: its blocks emit
	// max(h / r, 1) knots per output channel (default [4, 2, 1]).
	NFreqDownsample []int `json:"n_freq_downsample"`
	// PoolingMode is "MaxPool1d" (default) or "AvgPool1d".
	PoolingMode string `json:"pooling_mode"`
	// InterpolationMode maps knots to the horizon: "linear" (default) or
	// "nearest" (NeuralForecast's "cubic" is not supported).
	InterpolationMode string `json:"interpolation_mode"`
	// DropoutProbTheta is the dropout after every hidden activation
	// (default 0); masks come from a stream seeded by Seed.
	DropoutProbTheta float64 `json:"dropout_prob_theta"`
	// Activation is one of nfblock.Activations (default "ReLU").
	Activation string `json:"activation"`
	// Seed drives the weight initialisation and the dropout masks
	// (random_seed, default 1).
	Seed uint64 `json:"random_seed"`
}

// DefaultHyper returns NeuralForecast's NHITS defaults for the given window
// and horizon.
func DefaultHyper(inputSize, h int) Hyper {
	return Hyper{
		Common:            model.Common{InputSize: inputSize, H: h, ScalerType: "identity"},
		StackTypes:        []string{"identity", "identity", "identity"},
		NBlocks:           []int{1, 1, 1},
		MLPUnits:          [][]int{{512, 512}, {512, 512}, {512, 512}},
		NPoolKernelSize:   []int{2, 2, 1},
		NFreqDownsample:   []int{4, 2, 1},
		PoolingMode:       "MaxPool1d",
		InterpolationMode: "linear",
		Activation:        "ReLU",
		Seed:              1,
	}
}

// DefaultTrainConfig returns NeuralForecast's NHITS training defaults:
// max_steps 1000, learning_rate 1e-3, num_lr_decays 3, batch_size 32,
// windows_batch_size 1024, step_size 1, random_seed 1.
func DefaultTrainConfig() train.Config {
	c := train.DefaultConfig()
	c.MaxSteps, c.LearningRate, c.NumLRDecays = 1000, 1e-3, 3
	c.BatchSize, c.WindowsBatchSize, c.StepSize = 32, 1024, 1
	return c
}

// Validate checks the hyper-parameters, including the model's size.
func (h Hyper) Validate() error {
	if err := h.Common.Validate(); err != nil {
		return err
	}
	n := len(h.StackTypes)
	if n == 0 || n > maxStacks {
		return fmt.Errorf("nhits: stack_types needs 1 to 64 stacks, got %d", n)
	}
	for i, s := range h.StackTypes {
		if s != "identity" {
			return fmt.Errorf("nhits: stack_types[%d] = %q: NHITS stacks are \"identity\"", i, s)
		}
	}
	if len(h.NBlocks) != n || len(h.NPoolKernelSize) != n || len(h.NFreqDownsample) != n {
		return fmt.Errorf("nhits: n_blocks (%d), n_pool_kernel_size (%d) and n_freq_downsample (%d) need one entry per stack (%d)",
			len(h.NBlocks), len(h.NPoolKernelSize), len(h.NFreqDownsample), n)
	}
	for i := range n {
		if h.NBlocks[i] < 1 || h.NBlocks[i] > 64 {
			return fmt.Errorf("nhits: n_blocks[%d] = %d must be in [1, 64]", i, h.NBlocks[i])
		}
		if k := h.NPoolKernelSize[i]; k < 1 || k > h.InputSize {
			return fmt.Errorf("nhits: n_pool_kernel_size[%d] = %d must be in [1, input_size %d]", i, k, h.InputSize)
		}
		if r := h.NFreqDownsample[i]; r < 1 {
			return fmt.Errorf("nhits: n_freq_downsample[%d] = %d must be >= 1", i, r)
		}
	}
	if err := nfblock.CheckMLPUnits(Kind, h.MLPUnits); err != nil {
		return err
	}
	if !slices.Contains([]string{"MaxPool1d", "AvgPool1d"}, h.PoolingMode) {
		return fmt.Errorf("nhits: pooling_mode %q must be MaxPool1d or AvgPool1d", h.PoolingMode)
	}
	if h.InterpolationMode != "linear" && h.InterpolationMode != "nearest" {
		return fmt.Errorf("nhits: interpolation_mode %q must be linear or nearest (cubic is not supported)", h.InterpolationMode)
	}
	if err := nfblock.CheckDropout(Kind, h.DropoutProbTheta); err != nil {
		return err
	}
	if err := nfblock.CheckActivation(Kind, h.Activation); err != nil {
		return err
	}
	if p := h.NumParams(); p > model.MaxParams {
		return fmt.Errorf("nhits: %d parameters exceed the limit of %d", p, model.MaxParams)
	}
	return nil
}

// stackShape returns the MLP input width and theta size of stack i's blocks.
func (h Hyper) stackShape(i int) (in, nTheta, knots int) {
	L, H, k := h.InputSize, h.H, h.NPoolKernelSize[i]
	ph := ceilDiv(L, k)
	pf := ceilDiv(L+H, k)
	in = ph + len(h.HistExog)*ph + len(h.FutrExog)*pf + len(h.StatExog)
	knots = max(H/h.NFreqDownsample[i], 1)
	return in, L + h.Outputs()*knots, knots
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// NumParams returns the number of trainable values the shape implies.
func (h Hyper) NumParams() int {
	n := 0
	for i := range h.StackTypes {
		in, nTheta, _ := h.stackShape(i)
		n += h.NBlocks[i] * nfblock.NumParams(in, h.MLPUnits, nTheta, h.Activation)
	}
	return n
}
