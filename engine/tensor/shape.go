package tensor

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/tensor/internal/vec"
)

// Reshape returns x with a new shape of the same number of elements; one
// size may be −1 and is then inferred. The result aliases x: its Data is
// x.Data and, when gradients flow, its Grad is x.Grad, so no copy is made
// and no backward step is recorded (gradients of the view land in x
// directly). Like every op result it must not be written to in place.
func Reshape(tp *Tape, x *Tensor, shape ...int) *Tensor {
	if len(shape) > MaxDims {
		panic(fmt.Sprintf("tensor: Reshape to rank %d exceeds %d", len(shape), MaxDims))
	}
	var s [MaxDims]int
	nd := copy(s[:], shape)
	infer, n := -1, 1
	for i, d := range s[:nd] {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("tensor: Reshape to invalid shape %v", append([]int(nil), s[:nd]...)))
		default:
			n *= d
		}
	}
	total := len(x.Data)
	if infer >= 0 {
		if n == 0 || total%n != 0 {
			panic(fmt.Sprintf("tensor: Reshape %v to %v", x.Shape, append([]int(nil), s[:nd]...)))
		}
		s[infer] = total / n
		n = total
	}
	if n != total {
		panic(fmt.Sprintf("tensor: Reshape %v (%d elements) to %v", x.Shape, total, append([]int(nil), s[:nd]...)))
	}
	out := tp.arena.view(s[:nd], x.Data)
	if !tp.noGrad && x.requiresGrad {
		out.requiresGrad = true
		out.Grad = x.Grad
	}
	return out
}

// Unsqueeze returns x with a new axis of size 1 inserted at position axis
// (0 ≤ axis ≤ rank; negative counts from rank+1), aliasing x like Reshape.
func Unsqueeze(tp *Tape, x *Tensor, axis int) *Tensor {
	r := len(x.Shape)
	if axis < 0 {
		axis += r + 1
	}
	if axis < 0 || axis > r || r >= MaxDims {
		panic(fmt.Sprintf("tensor: Unsqueeze axis %d of shape %v", axis, x.Shape))
	}
	var s [MaxDims]int
	copy(s[:axis], x.Shape[:axis])
	s[axis] = 1
	copy(s[axis+1:], x.Shape[axis:])
	return Reshape(tp, x, s[:r+1]...)
}

// Squeeze returns x without its axis of size 1 at position axis, aliasing x
// like Reshape. It panics if that axis does not have size 1.
func Squeeze(tp *Tape, x *Tensor, axis int) *Tensor {
	r := len(x.Shape)
	axis = normAxis("Squeeze", axis, r)
	if x.Shape[axis] != 1 {
		panic(fmt.Sprintf("tensor: Squeeze axis %d of shape %v", axis, x.Shape))
	}
	var s [MaxDims]int
	copy(s[:axis], x.Shape[:axis])
	copy(s[axis:], x.Shape[axis+1:])
	return Reshape(tp, x, s[:r-1]...)
}

// Transpose returns a contiguous copy of x with axes a0 and a1 swapped
// (x.transpose(a0, a1).contiguous()).
//
// Backward: ∂L/∂x is ∂L/∂out transposed back.
func Transpose(tp *Tape, x *Tensor, a0, a1 int) *Tensor {
	r := len(x.Shape)
	a0, a1 = normAxis("Transpose", a0, r), normAxis("Transpose", a1, r)
	var perm [MaxDims]int
	for i := range perm[:r] {
		perm[i] = i
	}
	perm[a0], perm[a1] = a1, a0
	return Permute(tp, x, perm[:r]...)
}

// Permute returns a contiguous copy of x with its axes reordered: axis i of
// the result is axis perm[i] of x (x.permute(perm).contiguous()).
//
// Backward: ∂L/∂x is ∂L/∂out permuted back.
func Permute(tp *Tape, x *Tensor, perm ...int) *Tensor {
	r := len(x.Shape)
	if len(perm) != r {
		panic(fmt.Sprintf("tensor: Permute of shape %v needs %d axes, got %d", x.Shape, r, len(perm)))
	}
	var seen [MaxDims]bool
	var shape, istr [MaxDims]int
	var strides [MaxDims]int
	st := 1
	for i := r - 1; i >= 0; i-- {
		strides[i] = st
		st *= x.Shape[i]
	}
	for i, p := range perm {
		if p < 0 {
			p += r
		}
		if p < 0 || p >= r || seen[p] {
			panic(fmt.Sprintf("tensor: Permute of shape %v with invalid axes", x.Shape))
		}
		seen[p] = true
		shape[i], istr[i] = x.Shape[p], strides[p]
	}
	out := tp.resultNoZero(shape[:r], x)
	pl := permPlan(shape[:r], istr[:r])
	permCopy(&pl, out.Data, x.Data, false)
	if out.requiresGrad {
		// Backward walks x.Grad in order (contiguous writes) and reads
		// out.Grad with the strides of the inverse permutation.
		var ostr [MaxDims]int
		st := 1
		for i := r - 1; i >= 0; i-- {
			ostr[i] = st
			st *= shape[i]
		}
		var gstr [MaxDims]int
		for i, p := range perm {
			if p < 0 {
				p += r
			}
			gstr[p] = ostr[i]
		}
		bp := permPlan(x.Shape, gstr[:r]) // escapes with the closure, training only
		tp.record(func() { permCopy(&bp, x.Grad, out.Grad, true) })
	}
	return out
}

// permPlan plans a copy whose output rows are contiguous and whose input is
// read with the given per-axis strides.
func permPlan(shape, istr []int) bcastPlan {
	var p bcastPlan
	p.numel = 1
	for _, d := range shape {
		p.numel *= d
	}
	var zero [MaxDims]int
	p.collapse(shape, istr, zero[:len(shape)])
	return p
}

// Concat joins tensors along axis (torch.cat): all must have the same rank
// and the same sizes on every other axis.
//
// Backward: each input receives its slab of ∂L/∂out.
func Concat(tp *Tape, axis int, xs ...*Tensor) *Tensor {
	if len(xs) == 0 {
		panic("tensor: Concat of no tensors")
	}
	r := len(xs[0].Shape)
	axis = normAxis("Concat", axis, r)
	var shape [MaxDims]int
	copy(shape[:], xs[0].Shape)
	shape[axis] = 0
	grad := false
	for _, x := range xs {
		if len(x.Shape) != r {
			panic(fmt.Sprintf("tensor: Concat of shapes %v and %v", xs[0].Shape, x.Shape))
		}
		for i, d := range x.Shape {
			if i != axis && d != xs[0].Shape[i] {
				panic(fmt.Sprintf("tensor: Concat of shapes %v and %v along axis %d", xs[0].Shape, x.Shape, axis))
			}
		}
		shape[axis] += x.Shape[axis]
		grad = grad || x.requiresGrad
	}
	outer, total, inner := AxisSplit(shape[:r], axis)
	out := tp.resultNoZero(shape[:r])
	if grad && !tp.noGrad {
		out.requiresGrad = true
		out.Grad = tp.arena.floats(len(out.Data))
	}
	off := 0
	for _, x := range xs {
		w := x.Shape[axis] * inner
		for o := 0; o < outer; o++ {
			copy(out.Data[o*total*inner+off:o*total*inner+off+w], x.Data[o*w:(o+1)*w])
		}
		off += w
	}
	if out.requiresGrad {
		saved := append([]*Tensor(nil), xs...) // xs itself stays on the caller's stack
		tp.record(func() {
			off := 0
			for _, x := range saved {
				w := x.Shape[axis] * inner
				if x.requiresGrad {
					for o := 0; o < outer; o++ {
						accumRow(kOne, x.Grad[o*w:(o+1)*w], 1, out.Grad[o*total*inner+off:o*total*inner+off+w], nil, 0, nil)
					}
				}
				off += w
			}
		})
	}
	return out
}

// Slice returns the elements start:end:step of x along axis (x[..., start:end:step, ...]
// with Python semantics: negative start/end count from the end and both are
// clamped to [0, size]). step must be positive.
//
// Backward: ∂L/∂out is scattered back to the selected positions.
func Slice(tp *Tape, x *Tensor, axis, start, end, step int) *Tensor {
	axis = normAxis("Slice", axis, len(x.Shape))
	if step < 1 {
		panic(fmt.Sprintf("tensor: Slice step %d must be positive", step))
	}
	outer, n, inner := AxisSplit(x.Shape, axis)
	start, end = clampIndex(start, n), clampIndex(end, n)
	m := 0
	if end > start {
		m = (end - start + step - 1) / step
	}
	var shape [MaxDims]int
	r := copy(shape[:], x.Shape)
	shape[axis] = m
	out := tp.resultNoZero(shape[:r], x)
	for o := 0; o < outer; o++ {
		for k := 0; k < m; k++ {
			src := (o*n + start + k*step) * inner
			copy(out.Data[(o*m+k)*inner:(o*m+k+1)*inner], x.Data[src:src+inner])
		}
	}
	if out.requiresGrad {
		tp.record(func() {
			for o := 0; o < outer; o++ {
				for k := 0; k < m; k++ {
					dst := (o*n + start + k*step) * inner
					accumRow(kOne, x.Grad[dst:dst+inner], 1, out.Grad[(o*m+k)*inner:(o*m+k+1)*inner], nil, 0, nil)
				}
			}
		})
	}
	return out
}

// clampIndex applies Python slice-bound semantics for a sequence of length n.
func clampIndex(i, n int) int {
	if i < 0 {
		i += n
	}
	return min(max(i, 0), n)
}

// permCopy writes (or, with add, accumulates) into the contiguous dst the
// elements of src read with the plan's strides. When the last axis is
// strided but the one before it is contiguous in src (a transpose of the
// two innermost axes), it copies 16×16 tiles so that both sides stay in
// cache lines.
func permCopy(p *bcastPlan, dst, src []float32, add bool) {
	n, s1, _ := p.rowLen()
	if p.nd >= 2 && s1 != 1 && p.sa[p.nd-2] == 1 {
		m := p.shape[p.nd-2]
		p.blocks(2, func(o, is, _ int) { transposeTile(dst[o:o+m*n], src[is:], m, n, s1, add) })
		return
	}
	p.rows(func(o, is, _ int) {
		d := dst[o : o+n]
		switch {
		case s1 == 1 && add:
			vec.Add(d, d, src[is:is+n])
		case s1 == 1:
			copy(d, src[is:is+n])
		case add:
			for i := range d {
				d[i] += src[is+i*s1]
			}
		default:
			for i := range d {
				d[i] = src[is+i*s1]
			}
		}
	})
}

// transposeTile sets (or adds to) dst[i·n + j] = src[i + j·s] for i < m,
// j < n, tile by tile; four rows of dst are filled together so that each
// strided read fetches four adjacent source elements.
func transposeTile(dst, src []float32, m, n, s int, add bool) {
	const tile = 32
	for i0 := 0; i0 < m; i0 += tile {
		i1 := min(i0+tile, m)
		for j0 := 0; j0 < n; j0 += tile {
			j1 := min(j0+tile, n)
			i := i0
			for ; i+4 <= i1; i += 4 {
				d0, d1 := dst[i*n+j0:i*n+j1], dst[(i+1)*n+j0:(i+1)*n+j1]
				d2, d3 := dst[(i+2)*n+j0:(i+2)*n+j1], dst[(i+3)*n+j0:(i+3)*n+j1]
				d1, d2, d3 = d1[:len(d0)], d2[:len(d0)], d3[:len(d0)]
				for j := range d0 {
					q := (j0+j)*s + i
					p := src[q : q+4 : q+4]
					if add {
						d0[j] += p[0]
						d1[j] += p[1]
						d2[j] += p[2]
						d3[j] += p[3]
					} else {
						d0[j] = p[0]
						d1[j] = p[1]
						d2[j] = p[2]
						d3[j] = p[3]
					}
				}
			}
			for ; i < i1; i++ {
				d := dst[i*n+j0 : i*n+j1]
				for j := range d {
					if add {
						d[j] += src[i+(j0+j)*s]
					} else {
						d[j] = src[i+(j0+j)*s]
					}
				}
			}
		}
	}
}
