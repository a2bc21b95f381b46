package optim

import (
	"fmt"
	"math"
)

// StepLR is torch.optim.lr_scheduler.StepLR: after n calls of Step the
// learning rate is base·γ^⌊n/stepSize⌋. NeuralForecast steps it once per
// training step (interval "step"), with γ = 0.5 and stepSize from
// NFDecaySteps.
type StepLR struct {
	opt      Optimizer
	base     float64
	stepSize int
	gamma    float64
	n        int
}

// NewStepLR wraps opt, taking its current learning rate as the base rate.
func NewStepLR(opt Optimizer, stepSize int, gamma float64) (*StepLR, error) {
	if opt == nil {
		return nil, fmt.Errorf("optim: StepLR needs an optimiser")
	}
	if stepSize < 1 {
		return nil, fmt.Errorf("optim: StepLR step size %d must be >= 1", stepSize)
	}
	if !(gamma > 0) || math.IsInf(gamma, 0) {
		return nil, fmt.Errorf("optim: StepLR gamma %g must be finite and > 0", gamma)
	}
	return &StepLR{opt: opt, base: opt.LR(), stepSize: stepSize, gamma: gamma}, nil
}

// NFDecaySteps returns NeuralForecast's StepLR step size for a run of
// maxSteps steps and numLRDecays decays: max(maxSteps/numLRDecays, 1), or
// 1e8 (never decays in practice) when numLRDecays <= 0 (-1 in NeuralForecast).
func NFDecaySteps(maxSteps, numLRDecays int) int {
	if numLRDecays <= 0 {
		return 100_000_000
	}
	return max(maxSteps/numLRDecays, 1)
}

// NewNFStepLR returns NeuralForecast's schedule: StepLR(step_size =
// NFDecaySteps(maxSteps, numLRDecays), gamma = 0.5).
func NewNFStepLR(opt Optimizer, maxSteps, numLRDecays int) (*StepLR, error) {
	return NewStepLR(opt, NFDecaySteps(maxSteps, numLRDecays), 0.5)
}

// Step advances the schedule by one and sets the optimiser's learning rate.
func (s *StepLR) Step() {
	s.n++
	if s.n%s.stepSize == 0 {
		s.opt.SetLR(s.base * math.Pow(s.gamma, float64(s.n/s.stepSize)))
	}
}

// Count returns the number of Step calls so far (PyTorch's last_epoch).
func (s *StepLR) Count() int { return s.n }

// SetCount restores the schedule position (from a checkpoint) and sets the
// optimiser's learning rate accordingly.
func (s *StepLR) SetCount(n int) error {
	if n < 0 {
		return fmt.Errorf("optim: StepLR count %d must be >= 0", n)
	}
	s.n = n
	s.opt.SetLR(s.base * math.Pow(s.gamma, float64(n/s.stepSize)))
	return nil
}
