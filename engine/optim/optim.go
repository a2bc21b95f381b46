// Package optim implements the optimisers, learning-rate schedule and
// gradient clipping used to train streamcast's neural forecasters, with
// PyTorch's exact update rules (torch.optim.Adam, AdamW, SGD; StepLR;
// torch.nn.utils.clip_grad_norm_) computed in float32 like PyTorch on CPU.
//
// Optimisers update the Data of the parameter tensors they were given from
// their Grad buffers. A training step is
//
//	opt.ZeroGrad()
//	tp.Reset(); loss := ...; tp.Backward(loss)
//	optim.ClipGradNorm(params, 1.0) // optional
//	opt.Step()
//	sched.Step()
//
// Step allocates nothing.
package optim

import (
	"errors"
	"fmt"
	"math"

	"github.com/streamcast/streamcast/engine/tensor"
)

// Optimizer updates a fixed list of parameter tensors from their gradients.
type Optimizer interface {
	// Step applies one update to every parameter from its current Grad.
	Step()
	// ZeroGrad sets every parameter gradient to zero.
	ZeroGrad()
	// LR returns the current learning rate.
	LR() float64
	// SetLR changes the learning rate used by the next Step (schedulers call it).
	SetLR(lr float64)
	// State returns a deep copy of the optimiser state, for checkpoints.
	State() State
	// SetState restores a state returned by State on an optimiser of the
	// same kind over parameters of the same shapes.
	SetState(s State) error
}

// State is the serialisable state of an optimiser.
//
// Slots[k][i] is the k-th per-parameter buffer of parameter i: for Adam and
// AdamW Slots[0] is exp_avg (first moment) and Slots[1] exp_avg_sq (second
// moment); for SGD Slots[0] is the momentum buffer (nil until the first
// step, as in PyTorch).
type State struct {
	Kind  string        `json:"kind"`
	Step  int64         `json:"step"`
	LR    float64       `json:"lr"`
	Slots [][][]float32 `json:"slots"`
}

// ErrState reports a State that does not fit the optimiser.
var ErrState = errors.New("optim: incompatible state")

func zeroGrads(params []*tensor.Tensor) {
	for _, p := range params {
		clear(p.Grad)
	}
}

func checkParams(params []*tensor.Tensor) error {
	if len(params) == 0 {
		return errors.New("optim: no parameters")
	}
	for i, p := range params {
		if p == nil {
			return fmt.Errorf("optim: parameter %d is nil", i)
		}
		if !p.RequiresGrad() || len(p.Grad) != len(p.Data) {
			return fmt.Errorf("optim: parameter %d (shape %v) does not require gradients", i, p.Shape)
		}
	}
	return nil
}

func checkLR(lr float64) error {
	if !(lr >= 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("optim: learning rate %g must be finite and >= 0", lr)
	}
	return nil
}

func copySlots(src [][][]float32) [][][]float32 {
	out := make([][][]float32, len(src))
	for k, slot := range src {
		out[k] = make([][]float32, len(slot))
		for i, b := range slot {
			if b != nil {
				out[k][i] = append([]float32(nil), b...)
			}
		}
	}
	return out
}

// loadSlots copies src into dst after checking the layout; nil entries of
// src are allowed only when allowNil (SGD's lazily created buffers).
func loadSlots(dst [][][]float32, src [][][]float32, params []*tensor.Tensor, allowNil bool) error {
	if len(src) != len(dst) {
		return fmt.Errorf("%w: %d slots, want %d", ErrState, len(src), len(dst))
	}
	for k := range src {
		if len(src[k]) != len(params) {
			return fmt.Errorf("%w: slot %d has %d buffers for %d parameters", ErrState, k, len(src[k]), len(params))
		}
		for i, b := range src[k] {
			if b == nil {
				if !allowNil {
					return fmt.Errorf("%w: slot %d buffer %d missing", ErrState, k, i)
				}
				continue
			}
			if len(b) != len(params[i].Data) {
				return fmt.Errorf("%w: slot %d buffer %d has %d values, parameter has %d", ErrState, k, i, len(b), len(params[i].Data))
			}
		}
	}
	for k := range src {
		for i, b := range src[k] {
			if b == nil {
				dst[k][i] = nil
				continue
			}
			if dst[k][i] == nil {
				dst[k][i] = make([]float32, len(b))
			}
			copy(dst[k][i], b)
		}
	}
	return nil
}
