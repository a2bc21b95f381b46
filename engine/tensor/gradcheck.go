package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// GradCheckOptions tune GradCheck. Zero values take the documented defaults.
type GradCheckOptions struct {
	Eps  float64 // central-difference step; default 1e-2
	ATol float64 // absolute tolerance; default 1e-3
	RTol float64 // relative tolerance; default 2e-2
	Seed uint64  // seed of the random output projection; default 1
}

// GradCheck compares the tape's gradients of f with central finite
// differences. It projects the output on fixed random weights r,
// L = Σ rᵢ·outᵢ, computes ∂L/∂input by Backward, and for every element of
// every input that requires gradients compares it with
// (L(x+ε) − L(x−ε)) / 2ε evaluated in float64. f must be deterministic and
// must build its graph only from the given inputs (it is called many times).
// It returns an error naming the first element out of tolerance.
func GradCheck(f func(tp *Tape, in []*Tensor) *Tensor, inputs []*Tensor, o GradCheckOptions) error {
	if o.Eps == 0 {
		o.Eps = 1e-2
	}
	if o.ATol == 0 {
		o.ATol = 1e-3
	}
	if o.RTol == 0 {
		o.RTol = 2e-2
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	for _, in := range inputs {
		if in.requiresGrad {
			in.ZeroGrad()
		}
	}
	tp := NewTape()
	out := f(tp, inputs)
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	r := make([]float32, len(out.Data))
	for i := range r {
		r[i] = float32(rng.Float64()*2 - 1)
	}
	if !out.requiresGrad {
		return fmt.Errorf("gradcheck: output does not require gradients")
	}
	tp.BackwardWith(out, r)
	analytic := make([][]float32, len(inputs))
	for k, in := range inputs {
		if in.requiresGrad {
			analytic[k] = append([]float32(nil), in.Grad...)
		}
	}
	eval := func() float64 {
		ntp := NewInferenceTape()
		o := f(ntp, inputs)
		var s float64
		for i, v := range o.Data {
			s += float64(v) * float64(r[i])
		}
		return s
	}
	for k, in := range inputs {
		if !in.requiresGrad {
			continue
		}
		for i := range in.Data {
			orig := in.Data[i]
			in.Data[i] = float32(float64(orig) + o.Eps)
			lp := eval()
			in.Data[i] = float32(float64(orig) - o.Eps)
			lm := eval()
			in.Data[i] = orig
			num := (lp - lm) / (2 * o.Eps)
			an := float64(analytic[k][i])
			if math.IsNaN(an) || math.Abs(an-num) > o.ATol+o.RTol*math.Max(math.Abs(an), math.Abs(num)) {
				return fmt.Errorf("gradcheck: input %d element %d: analytic %.6g, numeric %.6g", k, i, an, num)
			}
		}
	}
	return nil
}

// RandN fills a new tensor of the given shape with seeded standard normal
// values; tests and initialisers use it.
func RandN(seed uint64, shape ...int) *Tensor {
	t := New(shape...)
	rng := rand.New(rand.NewPCG(seed, 0x7e57))
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64())
	}
	return t
}
