package model

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/tensor"
)

// Inputs is one batch of model inputs, NeuralForecast's windows_batch
// split by role. Every tensor is already scaled.
type Inputs struct {
	// Y is the target's input window, [B, L].
	Y *tensor.Tensor
	// Futr holds the future-known exogenous variables over the input window
	// and the horizon, [B, L+H, F] with F = len(Common.FutrExog) (time
	// major, variable innermost, as NeuralForecast's futr_exog after its
	// permute); nil when F = 0.
	Futr *tensor.Tensor
	// Hist holds the historical exogenous variables over the input window,
	// [B, L, X] with X = len(Common.HistExog); nil when X = 0.
	Hist *tensor.Tensor
	// Stat holds the static variables, [B, S] with S = len(Common.StatExog);
	// nil when S = 0.
	Stat *tensor.Tensor
}

// ExogModel is implemented by models that accept exogenous variables
// (NeuralForecast's EXOGENOUS_FUTR / _HIST / _STAT). ForwardInputs maps in
// to [B, H·Outputs] like Forward; Forward(tp, x) must equal
// ForwardInputs(tp, Inputs{Y: x}) for a model configured without
// exogenous variables.
type ExogModel interface {
	Model
	ForwardInputs(tp *tensor.Tape, in Inputs) *tensor.Tensor
}

// Run calls m's ForwardInputs when in carries exogenous tensors and m
// implements ExogModel, and Forward otherwise. It panics when in carries
// exogenous tensors that m cannot take (the hyper-parameters' validation
// rejects such configurations before any forward pass).
func Run(tp *tensor.Tape, m Model, in Inputs) *tensor.Tensor {
	if em, ok := m.(ExogModel); ok {
		return em.ForwardInputs(tp, in)
	}
	if in.Futr != nil || in.Hist != nil || in.Stat != nil {
		panic(fmt.Sprintf("model: %s takes no exogenous variables", m.Kind()))
	}
	return m.Forward(tp, in.Y)
}

// HasExog reports whether any exogenous variable is configured.
func (c Common) HasExog() bool {
	return len(c.FutrExog)+len(c.HistExog)+len(c.StatExog) > 0
}

// NoExog returns a clear error when exogenous variables are configured for
// a model kind that takes none (NLinear, DLinear, NBEATS, …); nil otherwise.
func (c Common) NoExog(kind string) error {
	if !c.HasExog() {
		return nil
	}
	return fmt.Errorf("model: %s takes no exogenous variables (got futr_exog_list %q, hist_exog_list %q, stat_exog_list %q); use a model that does, e.g. mlp, nbeatsx or nhits",
		kind, c.FutrExog, c.HistExog, c.StatExog)
}

// LossFunc builds the configured training loss (MAE when Loss is nil).
func (c Common) LossFunc() (loss.Loss, error) {
	if c.Loss == nil {
		return loss.MAE{}, nil
	}
	l, err := c.Loss.New()
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return l, nil
}

// Outputs is the number of output channels per horizon step: 1 for point
// losses, the number of quantiles for MQLoss, the number of distribution
// parameters for DistributionLoss. An invalid loss (rejected by Validate)
// counts as 1.
func (c Common) Outputs() int {
	l, err := c.LossFunc()
	if err != nil {
		return 1
	}
	return l.Outputs()
}

func (c Common) validateExog() error {
	seen := map[string]string{}
	for _, g := range []struct {
		role  string
		names []string
	}{{"futr_exog_list", c.FutrExog}, {"hist_exog_list", c.HistExog}, {"stat_exog_list", c.StatExog}} {
		if len(g.names) > 4096 {
			return fmt.Errorf("model: %s has %d variables, at most 4096", g.role, len(g.names))
		}
		for _, n := range g.names {
			if n == "" {
				return fmt.Errorf("model: empty variable name in %s", g.role)
			}
			if r, dup := seen[n]; dup {
				return fmt.Errorf("model: exogenous variable %q listed in %s and %s", n, r, g.role)
			}
			seen[n] = g.role
		}
	}
	return nil
}
