package tensor

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/tensor/internal/vec"
)

// normAxis resolves a possibly negative axis against rank, panicking when it
// is out of range (a programmer error).
func normAxis(op string, axis, rank int) int {
	if axis < 0 {
		axis += rank
	}
	if axis < 0 || axis >= rank {
		panic(fmt.Sprintf("tensor: %s axis out of range for rank %d", op, rank))
	}
	return axis
}

// AxisSplit returns the sizes of the axes before, at and after axis of shape,
// so that a row-major tensor is viewed as an (outer, n, inner) block: element
// (o, k, i) sits at (o·n + k)·inner + i. A negative axis counts from the end.
func AxisSplit(shape []int, axis int) (outer, n, inner int) {
	axis = normAxis("AxisSplit", axis, len(shape))
	outer, inner = 1, 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	return outer, shape[axis], inner
}

// reducedResult returns the output of a reduction over axis.
func reducedResult(tp *Tape, op string, x *Tensor, axis int, keepdim bool) (*Tensor, int, int, int) {
	axis = normAxis(op, axis, len(x.Shape))
	var shape [MaxDims]int
	nd := 0
	for i, d := range x.Shape {
		switch {
		case i != axis:
			shape[nd] = d
			nd++
		case keepdim:
			shape[nd] = 1
			nd++
		}
	}
	outer, n, inner := AxisSplit(x.Shape, axis)
	return tp.Result(shape[:nd], x), outer, n, inner
}

// sumAxis writes Σ_k x[o,k,i] into dst[o,i].
func sumAxis(dst, x []float32, outer, n, inner int) {
	if inner == 1 {
		for o := 0; o < outer; o++ {
			dst[o] = sum32(x[o*n : (o+1)*n])
		}
		return
	}
	for o := 0; o < outer; o++ {
		d := dst[o*inner : (o+1)*inner]
		for k := 0; k < n; k++ {
			vec.Add(d, d, x[(o*n+k)*inner:(o*n+k+1)*inner])
		}
	}
}

// sum32 sums a float32 slice with several partial accumulators (faster and
// more accurate than a single running sum; eight lanes with AVX2).
func sum32(x []float32) float32 { return vec.Sum(x) }

// spreadAxis adds c·g[o,i] to every dst[o,k,i] (the backward of a sum).
func spreadAxis(dst, g []float32, c float32, outer, n, inner int) {
	if inner == 1 {
		for o, v := range g[:outer] {
			d := dst[o*n : (o+1)*n]
			vec.ScaleShift(d, d, 1, c*v)
		}
		return
	}
	for o := 0; o < outer; o++ {
		gr := g[o*inner : (o+1)*inner]
		for k := 0; k < n; k++ {
			d := dst[(o*n+k)*inner : (o*n+k+1)*inner]
			if c == 1 {
				vec.Add(d, d, gr)
				continue
			}
			vec.Axpy(d, gr, c)
		}
	}
}

// Sum returns Σ over axis; keepdim keeps the axis with size 1 (torch.sum(dim, keepdim)).
//
// Backward: ∂L/∂x[…,k,…] += ∂L/∂out[…].
func Sum(tp *Tape, x *Tensor, axis int, keepdim bool) *Tensor {
	out, outer, n, inner := reducedResult(tp, "Sum", x, axis, keepdim)
	sumAxis(out.Data, x.Data, outer, n, inner)
	if out.requiresGrad {
		tp.record(func() { spreadAxis(x.Grad, out.Grad, 1, outer, n, inner) })
	}
	return out
}

// Mean returns the mean over axis; keepdim keeps the axis with size 1.
//
// Backward: ∂L/∂x[…,k,…] += ∂L/∂out[…] / n, n the size of axis.
func Mean(tp *Tape, x *Tensor, axis int, keepdim bool) *Tensor {
	out, outer, n, inner := reducedResult(tp, "Mean", x, axis, keepdim)
	sumAxis(out.Data, x.Data, outer, n, inner)
	inv := 1 / float32(n)
	for i := range out.Data {
		out.Data[i] *= inv
	}
	if out.requiresGrad {
		tp.record(func() { spreadAxis(x.Grad, out.Grad, inv, outer, n, inner) })
	}
	return out
}

// Max returns the maximum over axis (the values of torch.max(dim, keepdim));
// NaN propagates. The axis must not be empty.
//
// Backward: ∂L/∂out flows to the first position of the maximum (PyTorch's
// returned index) only.
func Max(tp *Tape, x *Tensor, axis int, keepdim bool) *Tensor {
	out, outer, n, inner := reducedResult(tp, "Max", x, axis, keepdim)
	if n == 0 {
		panic("tensor: Max over an empty axis")
	}
	var arg []float32 // argmax per output element, saved for backward
	if out.requiresGrad {
		arg = tp.Scratch(len(out.Data))
	}
	for o := 0; o < outer; o++ {
		if inner == 1 {
			row := x.Data[o*n : (o+1)*n]
			m, mi := row[0], 0
			for k, v := range row {
				if v > m || (v != v && m == m) {
					m, mi = v, k
				}
			}
			out.Data[o] = m
			if arg != nil {
				arg[o] = float32(mi)
			}
			continue
		}
		d := out.Data[o*inner : (o+1)*inner]
		copy(d, x.Data[o*n*inner:(o*n+1)*inner])
		var a []float32
		if arg != nil {
			a = arg[o*inner : (o+1)*inner]
		}
		for k := 1; k < n; k++ {
			row := x.Data[(o*n+k)*inner : (o*n+k+1)*inner]
			for i, v := range row {
				if m := d[i]; v > m || (v != v && m == m) {
					d[i] = v
					if a != nil {
						a[i] = float32(k)
					}
				}
			}
		}
	}
	if out.requiresGrad {
		tp.record(func() {
			for o := 0; o < outer; o++ {
				for i := 0; i < inner; i++ {
					j := o*inner + i
					k := int(arg[j])
					x.Grad[(o*n+k)*inner+i] += out.Grad[j]
				}
			}
		})
	}
	return out
}

// SumAll returns the sum of every element as a 1-element tensor (shape [1]),
// accumulated in float64.
//
// Backward: ∂L/∂x_i += ∂L/∂out.
func SumAll(tp *Tape, x *Tensor) *Tensor {
	out := tp.Result([]int{1}, x)
	out.Data[0] = float32(sum64(x.Data))
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

// MeanAll returns the mean of every element as a 1-element tensor (shape [1]),
// accumulated in float64 (NaN for an empty tensor).
//
// Backward: ∂L/∂x_i += ∂L/∂out / numel.
func MeanAll(tp *Tape, x *Tensor) *Tensor {
	out := tp.Result([]int{1}, x)
	n := len(x.Data)
	out.Data[0] = float32(sum64(x.Data) / float64(n))
	if out.requiresGrad {
		tp.record(func() {
			g := out.Grad[0] / float32(n)
			for i := range x.Grad {
				x.Grad[i] += g
			}
		})
	}
	return out
}

func sum64(x []float32) float64 {
	var s0, s1 float64
	i := 0
	for ; i+2 <= len(x); i += 2 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
	}
	if i < len(x) {
		s0 += float64(x[i])
	}
	return s0 + s1
}
