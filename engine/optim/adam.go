package optim

import (
	"fmt"
	"math"

	"github.com/streamcast/streamcast/engine/tensor"
)

// AdamConfig holds the hyper-parameters of Adam and AdamW.
type AdamConfig struct {
	LR          float64 // learning rate; PyTorch default 1e-3
	Beta1       float64 // first-moment decay; default 0.9
	Beta2       float64 // second-moment decay; default 0.999
	Eps         float64 // added to the bias-corrected √v; default 1e-8
	WeightDecay float64 // Adam: L2 term added to the gradient (default 0); AdamW: decoupled decay (default 1e-2)
}

// DefaultAdam returns torch.optim.Adam's defaults (lr 1e-3, betas
// (0.9, 0.999), eps 1e-8, weight_decay 0).
func DefaultAdam() AdamConfig {
	return AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// DefaultAdamW returns torch.optim.AdamW's defaults (as Adam, weight_decay 1e-2).
func DefaultAdamW() AdamConfig {
	c := DefaultAdam()
	c.WeightDecay = 1e-2
	return c
}

// Validate checks the ranges PyTorch enforces.
func (c AdamConfig) Validate() error {
	if err := checkLR(c.LR); err != nil {
		return err
	}
	if !(c.Beta1 >= 0 && c.Beta1 < 1) || !(c.Beta2 >= 0 && c.Beta2 < 1) {
		return fmt.Errorf("optim: betas (%g, %g) must lie in [0, 1)", c.Beta1, c.Beta2)
	}
	if !(c.Eps >= 0) {
		return fmt.Errorf("optim: eps %g must be >= 0", c.Eps)
	}
	if !(c.WeightDecay >= 0) {
		return fmt.Errorf("optim: weight decay %g must be >= 0", c.WeightDecay)
	}
	return nil
}

// Adam is torch.optim.Adam (or AdamW when built with NewAdamW), without
// amsgrad. At step t with gradient g (plus λ·θ for Adam's L2 weight decay):
//
//	m ← β₁·m + (1−β₁)·g
//	v ← β₂·v + (1−β₂)·g²
//	θ ← θ − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
//
// AdamW first applies θ ← θ·(1 − lr·λ) and does not add λ·θ to g.
// Bias corrections are computed in float64, element math in float32.
type Adam struct {
	params    []*tensor.Tensor
	cfg       AdamConfig
	decoupled bool
	step      int64
	m, v      [][]float32
}

// NewAdam returns torch.optim.Adam over params (tensors that require gradients).
func NewAdam(params []*tensor.Tensor, cfg AdamConfig) (*Adam, error) {
	return newAdam(params, cfg, false)
}

// NewAdamW returns torch.optim.AdamW (decoupled weight decay) over params.
func NewAdamW(params []*tensor.Tensor, cfg AdamConfig) (*Adam, error) {
	return newAdam(params, cfg, true)
}

func newAdam(params []*tensor.Tensor, cfg AdamConfig, decoupled bool) (*Adam, error) {
	if err := checkParams(params); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Adam{params: append([]*tensor.Tensor(nil), params...), cfg: cfg, decoupled: decoupled}
	a.m = make([][]float32, len(params))
	a.v = make([][]float32, len(params))
	for i, p := range params {
		a.m[i] = make([]float32, len(p.Data))
		a.v[i] = make([]float32, len(p.Data))
	}
	return a, nil
}

func (a *Adam) kind() string {
	if a.decoupled {
		return "adamw"
	}
	return "adam"
}

// Step applies one Adam/AdamW update.
func (a *Adam) Step() {
	a.step++
	t := float64(a.step)
	lr := a.cfg.LR
	bc1 := 1 - math.Pow(a.cfg.Beta1, t)
	bc2 := 1 - math.Pow(a.cfg.Beta2, t)
	stepSize := float32(-lr / bc1)
	invBc2Sqrt := float32(1 / math.Sqrt(bc2))
	b1, b2 := float32(a.cfg.Beta1), float32(a.cfg.Beta2)
	omb1, omb2 := float32(1-a.cfg.Beta1), float32(1-a.cfg.Beta2)
	eps := float32(a.cfg.Eps)
	wd := float32(a.cfg.WeightDecay)
	decay := float32(1 - lr*a.cfg.WeightDecay)
	for i, p := range a.params {
		w := p.Data
		g := p.Grad[:len(w)]
		m := a.m[i][:len(w)]
		v := a.v[i][:len(w)]
		switch {
		case a.decoupled && a.cfg.WeightDecay != 0:
			for j := range w {
				w[j] *= decay
			}
			adamUpdate(w, g, m, v, 0, b1, b2, omb1, omb2, invBc2Sqrt, eps, stepSize)
		case !a.decoupled && a.cfg.WeightDecay != 0:
			adamUpdate(w, g, m, v, wd, b1, b2, omb1, omb2, invBc2Sqrt, eps, stepSize)
		default:
			adamUpdate(w, g, m, v, 0, b1, b2, omb1, omb2, invBc2Sqrt, eps, stepSize)
		}
	}
}

// adamUpdate is the fused element loop. PyTorch divides √v by √(1−β₂ᵗ)
// and then m by the denominator; multiplying by the reciprocal and folding
// the step size into one division saves a division per element and moves
// results by at most an ulp or two (covered by the 1e-6 torch goldens).
func adamUpdate(w, g, m, v []float32, wd, b1, b2, omb1, omb2, invBc2Sqrt, eps, stepSize float32) {
	g = g[:len(w)]
	m = m[:len(w)]
	v = v[:len(w)]
	if wd != 0 { // Adam's L2 term, g + λ·θ (a separate loop keeps the plain one branch-free)
		for j, wj := range w {
			gj := g[j] + wd*wj
			mj := m[j]*b1 + omb1*gj
			vj := v[j]*b2 + omb2*gj*gj
			m[j] = mj
			v[j] = vj
			w[j] = wj + stepSize*mj/(float32(math.Sqrt(float64(vj)))*invBc2Sqrt+eps)
		}
		return
	}
	c := [7]float32{b1, b2, omb1, omb2, invBc2Sqrt, eps, stepSize}
	if n16 := len(w) &^ 15; hasAdamKernel512 && n16 > 0 {
		// AVX-512: the same float32 operations 16 lanes at a time (bit-identical)
		adamKernel512(n16, &w[0], &g[0], &m[0], &v[0], &c)
		w, g, m, v = w[n16:], g[n16:], m[n16:], v[n16:]
	}
	if n8 := len(w) &^ 7; hasAdamKernel && n8 > 0 {
		// AVX2: the same float32 operations 8 lanes at a time (bit-identical)
		adamKernel(n8, &w[0], &g[0], &m[0], &v[0], &c)
		w, g, m, v = w[n8:], g[n8:], m[n8:], v[n8:]
	}
	for j, wj := range w {
		gj := g[j]
		mj := m[j]*b1 + omb1*gj
		vj := v[j]*b2 + omb2*gj*gj
		m[j] = mj
		v[j] = vj
		w[j] = wj + stepSize*mj/(float32(math.Sqrt(float64(vj)))*invBc2Sqrt+eps)
	}
}

// ZeroGrad zeroes every parameter gradient.
func (a *Adam) ZeroGrad() { zeroGrads(a.params) }

// LR returns the learning rate.
func (a *Adam) LR() float64 { return a.cfg.LR }

// SetLR sets the learning rate.
func (a *Adam) SetLR(lr float64) { a.cfg.LR = lr }

// Steps returns the number of updates applied so far.
func (a *Adam) Steps() int64 { return a.step }

// State returns a deep copy of the moments and step count.
func (a *Adam) State() State {
	return State{Kind: a.kind(), Step: a.step, LR: a.cfg.LR, Slots: copySlots([][][]float32{a.m, a.v})}
}

// SetState restores a state taken from an Adam of the same kind and shapes.
func (a *Adam) SetState(s State) error {
	if s.Kind != a.kind() {
		return fmt.Errorf("%w: kind %q, want %q", ErrState, s.Kind, a.kind())
	}
	if s.Step < 0 {
		return fmt.Errorf("%w: negative step %d", ErrState, s.Step)
	}
	if err := checkLR(s.LR); err != nil {
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	if err := loadSlots([][][]float32{a.m, a.v}, s.Slots, a.params, false); err != nil {
		return err
	}
	a.step = s.Step
	a.cfg.LR = s.LR
	return nil
}
