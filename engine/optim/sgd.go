package optim

import (
	"errors"
	"fmt"

	"github.com/streamcast/streamcast/engine/tensor"
)

// SGDConfig holds the hyper-parameters of SGD. There is no default learning
// rate (PyTorch requires one).
type SGDConfig struct {
	LR          float64 // learning rate, required
	Momentum    float64 // momentum factor; default 0 (plain SGD)
	Dampening   float64 // dampening of the momentum; default 0
	WeightDecay float64 // L2 term added to the gradient; default 0
	Nesterov    bool    // Nesterov momentum (needs Momentum > 0 and Dampening 0)
}

// Validate checks the ranges PyTorch enforces.
func (c SGDConfig) Validate() error {
	if err := checkLR(c.LR); err != nil {
		return err
	}
	if !(c.Momentum >= 0) || !(c.Dampening >= 0) || !(c.WeightDecay >= 0) {
		return fmt.Errorf("optim: SGD momentum %g, dampening %g and weight decay %g must be >= 0", c.Momentum, c.Dampening, c.WeightDecay)
	}
	if c.Nesterov && (c.Momentum <= 0 || c.Dampening != 0) {
		return errors.New("optim: Nesterov momentum requires momentum > 0 and zero dampening")
	}
	return nil
}

// SGD is torch.optim.SGD. With d = g + λ·θ:
//
//	b ← d on the first step, else μ·b + (1−τ)·d
//	d ← d + μ·b (Nesterov) or d ← b
//	θ ← θ − lr·d
type SGD struct {
	params []*tensor.Tensor
	cfg    SGDConfig
	step   int64
	buf    [][]float32 // nil until the first step
	store  [][]float32 // preallocated backing for buf
}

// NewSGD returns torch.optim.SGD over params.
func NewSGD(params []*tensor.Tensor, cfg SGDConfig) (*SGD, error) {
	if err := checkParams(params); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &SGD{params: append([]*tensor.Tensor(nil), params...), cfg: cfg}
	s.buf = make([][]float32, len(params))
	s.store = make([][]float32, len(params))
	if cfg.Momentum != 0 {
		for i, p := range params {
			s.store[i] = make([]float32, len(p.Data))
		}
	}
	return s, nil
}

// Step applies one SGD update.
func (s *SGD) Step() {
	s.step++
	lr := float32(-s.cfg.LR)
	mu := float32(s.cfg.Momentum)
	omd := float32(1 - s.cfg.Dampening)
	wd := float32(s.cfg.WeightDecay)
	for i, p := range s.params {
		w := p.Data
		g := p.Grad[:len(w)]
		if s.cfg.Momentum == 0 {
			for j, wj := range w {
				d := g[j]
				if wd != 0 {
					d += wd * wj
				}
				w[j] = wj + lr*d
			}
			continue
		}
		first := s.buf[i] == nil
		if first {
			s.buf[i] = s.store[i]
		}
		b := s.buf[i][:len(w)]
		for j, wj := range w {
			d := g[j]
			if wd != 0 {
				d += wd * wj
			}
			var bj float32
			if first {
				bj = d
			} else {
				bj = b[j]*mu + omd*d
			}
			b[j] = bj
			if s.cfg.Nesterov {
				d += mu * bj
			} else {
				d = bj
			}
			w[j] = wj + lr*d
		}
	}
}

// ZeroGrad zeroes every parameter gradient.
func (s *SGD) ZeroGrad() { zeroGrads(s.params) }

// LR returns the learning rate.
func (s *SGD) LR() float64 { return s.cfg.LR }

// SetLR sets the learning rate.
func (s *SGD) SetLR(lr float64) { s.cfg.LR = lr }

// State returns a deep copy of the momentum buffers and step count.
func (s *SGD) State() State {
	return State{Kind: "sgd", Step: s.step, LR: s.cfg.LR, Slots: copySlots([][][]float32{s.buf})}
}

// SetState restores a state taken from an SGD over parameters of the same shapes.
func (s *SGD) SetState(st State) error {
	if st.Kind != "sgd" {
		return fmt.Errorf("%w: kind %q, want \"sgd\"", ErrState, st.Kind)
	}
	if err := checkLR(st.LR); err != nil {
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	if st.Step < 0 {
		return fmt.Errorf("%w: negative step %d", ErrState, st.Step)
	}
	if len(st.Slots) == 1 && s.cfg.Momentum == 0 {
		for _, b := range st.Slots[0] {
			if b != nil {
				return fmt.Errorf("%w: momentum buffers for an SGD without momentum", ErrState)
			}
		}
	}
	// Load into the preallocated storage so Step stays allocation-free.
	tmp := [][][]float32{make([][]float32, len(s.params))}
	for i := range tmp[0] {
		tmp[0][i] = s.store[i]
	}
	if err := loadSlots(tmp, st.Slots, s.params, true); err != nil {
		return err
	}
	for i, b := range tmp[0] {
		s.buf[i] = b
	}
	s.step = st.Step
	s.cfg.LR = st.LR
	return nil
}
