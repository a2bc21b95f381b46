package tensor

// SumAll returns the sum of every element as a 1-element tensor (shape [1]).
//
// Backward: ∂L/∂x_i += ∂L/∂out.
func SumAll(tp *Tape, x *Tensor) *Tensor {
	out := tp.Result([]int{1}, x)
	var s float64
	for _, v := range x.Data {
		s += float64(v)
	}
	out.Data[0] = float32(s)
	if out.requiresGrad {
		tp.record(func() {
			g := out.Grad[0]
			for i := range x.Grad {
				x.Grad[i] += g
			}
		})
	}
	return out
}
