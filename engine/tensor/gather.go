package tensor

import "fmt"

// CheckIndices returns an error naming the first index outside [0, n). Ops
// taking indices panic on such input (a programmer error); callers holding
// indices derived from data validate them with CheckIndices first.
func CheckIndices(idx []int, n int) error {
	for i, v := range idx {
		if v < 0 || v >= n {
			return fmt.Errorf("tensor: index %d at position %d out of range [0, %d)", v, i, n)
		}
	}
	return nil
}

func mustIndices(op string, idx []int, n int) {
	if err := CheckIndices(idx, n); err != nil {
		panic(op + ": " + err.Error())
	}
}

// IndexSelect returns the entries idx of x along axis (torch.index_select):
// the result has x's shape with the axis size replaced by len(idx).
// Indices may repeat; idx must stay unchanged until Backward.
//
// Backward: ∂L/∂x[…, idx[k], …] += ∂L/∂out[…, k, …] (scatter-add).
func IndexSelect(tp *Tape, x *Tensor, axis int, idx []int) *Tensor {
	axis = normAxis("IndexSelect", axis, len(x.Shape))
	outer, n, inner := AxisSplit(x.Shape, axis)
	mustIndices("tensor: IndexSelect", idx, n)
	var shape [MaxDims]int
	r := copy(shape[:], x.Shape)
	m := len(idx)
	shape[axis] = m
	out := tp.resultNoZero(shape[:r], x)
	for o := 0; o < outer; o++ {
		for k, j := range idx {
			src := (o*n + j) * inner
			copy(out.Data[(o*m+k)*inner:(o*m+k+1)*inner], x.Data[src:src+inner])
		}
	}
	if out.requiresGrad {
		tp.record(func() {
			for o := 0; o < outer; o++ {
				for k, j := range idx {
					dst := (o*n + j) * inner
					accumRow(kOne, x.Grad[dst:dst+inner], 1, out.Grad[(o*m+k)*inner:(o*m+k+1)*inner], nil, 0, nil)
				}
			}
		})
	}
	return out
}

// Gather returns out[p] = x[p with axis coordinate replaced by index[p]]
// (torch.gather). index holds row-major integers of shape indexShape, which
// has x's rank and sizes no larger than x's on every axis but axis; the
// result has shape indexShape. index must stay unchanged until Backward.
//
// Backward: ∂L/∂x[…, index[p], …] += ∂L/∂out[p] (scatter-add).
func Gather(tp *Tape, x *Tensor, axis int, index []int, indexShape []int) *Tensor {
	r := len(x.Shape)
	axis = normAxis("Gather", axis, r)
	if len(indexShape) != r {
		panic(fmt.Sprintf("tensor: Gather index of rank %d for input %v", len(indexShape), x.Shape))
	}
	numel := 1
	for i, d := range indexShape {
		if d < 0 || (i != axis && d > x.Shape[i]) {
			panic(fmt.Sprintf("tensor: Gather index shape %v for input %v on axis %d",
				append([]int(nil), indexShape...), x.Shape, axis))
		}
		numel *= d
	}
	if len(index) != numel {
		panic(fmt.Sprintf("tensor: Gather got %d indices for index shape %v", len(index), append([]int(nil), indexShape...)))
	}
	mustIndices("tensor: Gather", index, x.Shape[axis])
	out := tp.resultNoZero(indexShape, x)
	gatherWalk(x.Shape, out.Shape, axis, index, func(j, src int) { out.Data[j] = x.Data[src] })
	if out.requiresGrad {
		tp.record(func() {
			gatherWalk(x.Shape, out.Shape, axis, index, func(j, src int) { x.Grad[src] += out.Grad[j] })
		})
	}
	return out
}

// gatherWalk calls f(j, src) for every output position j with its source
// offset in x.
func gatherWalk(xs, os []int, axis int, index []int, f func(j, src int)) {
	if len(index) == 0 {
		return
	}
	r := len(xs)
	var stride [MaxDims]int
	st := 1
	for i := r - 1; i >= 0; i-- {
		stride[i] = st
		st *= xs[i]
	}
	var pos [MaxDims]int
	base := 0 // offset of pos in x, ignoring the axis coordinate
	for j, v := range index {
		f(j, base+v*stride[axis])
		for d := r - 1; d >= 0; d-- {
			pos[d]++
			if d != axis {
				base += stride[d]
			}
			if pos[d] < os[d] {
				break
			}
			if d != axis {
				base -= stride[d] * os[d]
			}
			pos[d] = 0
		}
	}
}

// Embedding looks up rows of the table w (V×D) (torch.nn.functional.embedding):
// the result has shape indexShape + (D), or (len(idx), D) when no
// indexShape is given. idx must stay unchanged until Backward.
//
// Backward: ∂L/∂w[idx[k], :] += ∂L/∂out[k, :] (scatter-add into rows).
func Embedding(tp *Tape, w *Tensor, idx []int, indexShape ...int) *Tensor {
	if len(w.Shape) != 2 {
		panic(fmt.Sprintf("tensor: Embedding table %v, want (V, D)", w.Shape))
	}
	v, d := w.Shape[0], w.Shape[1]
	mustIndices("tensor: Embedding", idx, v)
	var shape [MaxDims]int
	nd := 1
	shape[0] = len(idx)
	if len(indexShape) > 0 {
		if len(indexShape) >= MaxDims {
			panic(fmt.Sprintf("tensor: Embedding index rank %d too large", len(indexShape)))
		}
		nd = copy(shape[:], indexShape)
		n := 1
		for _, s := range shape[:nd] {
			n *= s
		}
		if n != len(idx) {
			panic(fmt.Sprintf("tensor: Embedding got %d indices for index shape %v", len(idx), append([]int(nil), shape[:nd]...)))
		}
	}
	shape[nd] = d
	out := tp.resultNoZero(shape[:nd+1], w)
	for k, j := range idx {
		copy(out.Data[k*d:(k+1)*d], w.Data[j*d:(j+1)*d])
	}
	if out.requiresGrad {
		tp.record(func() {
			for k, j := range idx {
				accumRow(kOne, w.Grad[j*d:(j+1)*d], 1, out.Grad[k*d:(k+1)*d], nil, 0, nil)
			}
		})
	}
	return out
}
