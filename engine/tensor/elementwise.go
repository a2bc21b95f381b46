package tensor

import "fmt"

// Add returns a + b for tensors of identical shape.
//
// Backward: ∂L/∂a += ∂L/∂out, ∂L/∂b += ∂L/∂out.
func Add(tp *Tape, a, b *Tensor) *Tensor {
	if !SameShape(a, b) {
		panic(fmt.Sprintf("tensor: Add shapes %v and %v", a.Shape, b.Shape))
	}
	out := tp.Result(a.Shape, a, b)
	for i := range out.Data {
		out.Data[i] = a.Data[i] + b.Data[i]
	}
	if out.requiresGrad {
		tp.record(func() {
			if a.requiresGrad {
				for i, g := range out.Grad {
					a.Grad[i] += g
				}
			}
			if b.requiresGrad {
				for i, g := range out.Grad {
					b.Grad[i] += g
				}
			}
		})
	}
	return out
}

// ReLU returns max(x, 0) elementwise.
//
// Backward: ∂L/∂x += ∂L/∂out · 1[x > 0].
func ReLU(tp *Tape, x *Tensor) *Tensor {
	out := tp.Result(x.Shape, x)
	for i, v := range x.Data {
		if v > 0 {
			out.Data[i] = v
		}
	}
	if out.requiresGrad {
		tp.record(func() {
			for i, v := range x.Data {
				if v > 0 {
					x.Grad[i] += out.Grad[i]
				}
			}
		})
	}
	return out
}

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
