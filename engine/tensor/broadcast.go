package tensor

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/tensor/internal/vec"
)

// BroadcastShape writes into dst the NumPy/PyTorch broadcast of shapes a and
// b and returns its rank. Shapes are aligned on their trailing axes; two
// sizes are compatible when they are equal or one of them is 1, and the
// result takes the larger. ok is false when the shapes are incompatible. It
// does not allocate.
func BroadcastShape(dst *[MaxDims]int, a, b []int) (n int, ok bool) {
	n = max(len(a), len(b))
	if n > MaxDims {
		return 0, false
	}
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			dst[i] = da
		case da == 1:
			dst[i] = db
		default:
			return 0, false
		}
	}
	return n, true
}

// bcastPlan walks an output of the broadcast shape row by row, giving the
// element offsets of the two operands. Axes of size 1 are dropped and
// adjacent axes that are contiguous in both operands are merged, so the
// common cases (same shape, bias over the last axis, per-row scale) become a
// single long inner loop.
type bcastPlan struct {
	nd     int
	shape  [MaxDims]int // collapsed output shape; shape[nd-1] is the row length
	sa, sb [MaxDims]int // element strides of a and b per output axis (0 = broadcast)
	numel  int
}

// newBcastPlan plans out = a ∘ b where out has shape os (a broadcast of as and bs).
func newBcastPlan(os, as, bs []int) bcastPlan {
	var p bcastPlan
	nd := len(os)
	var sa, sb [MaxDims]int
	p.numel = 1
	for _, d := range os {
		p.numel *= d
	}
	stA, stB := 1, 1
	for i := nd - 1; i >= 0; i-- {
		if j := len(as) - nd + i; j >= 0 {
			if as[j] != 1 {
				sa[i] = stA
			}
			stA *= as[j]
		}
		if j := len(bs) - nd + i; j >= 0 {
			if bs[j] != 1 {
				sb[i] = stB
			}
			stB *= bs[j]
		}
	}
	p.collapse(os, sa[:nd], sb[:nd])
	return p
}

// collapse fills the plan from an output shape and per-axis operand strides,
// dropping size-1 axes and merging neighbours that are contiguous in both
// operands.
func (p *bcastPlan) collapse(os, sa, sb []int) {
	k := 0
	for i := range os {
		if os[i] == 1 {
			continue
		}
		if k > 0 && p.sa[k-1] == sa[i]*os[i] && p.sb[k-1] == sb[i]*os[i] {
			p.shape[k-1] *= os[i]
			p.sa[k-1], p.sb[k-1] = sa[i], sb[i]
			continue
		}
		p.shape[k], p.sa[k], p.sb[k] = os[i], sa[i], sb[i]
		k++
	}
	if k == 0 {
		p.shape[0], p.sa[0], p.sb[0] = 1, 1, 1
		k = 1
	}
	p.nd = k
}

// rowLen returns the inner row length and the operands' inner strides.
func (p *bcastPlan) rowLen() (n, sa, sb int) {
	return p.shape[p.nd-1], p.sa[p.nd-1], p.sb[p.nd-1]
}

// rows calls f(o, ia, ib) with the starting offsets of every output row and
// of the matching a and b elements.
func (p *bcastPlan) rows(f func(o, ia, ib int)) { p.blocks(1, f) }

// blocks calls f(o, ia, ib) with the starting offsets of every output block
// spanning the last k collapsed axes (k = 1: rows; k = 2: matrices) and of
// the matching a and b elements. k must not exceed p.nd.
func (p *bcastPlan) blocks(k int, f func(o, ia, ib int)) {
	if p.numel == 0 {
		return
	}
	nd := p.nd
	inner := 1
	for _, d := range p.shape[nd-k : nd] {
		inner *= d
	}
	nblocks := p.numel / inner
	var idx [MaxDims]int
	ia, ib := 0, 0
	for r := 0; r < nblocks; r++ {
		f(r*inner, ia, ib)
		for d := nd - k - 1; d >= 0; d-- {
			idx[d]++
			ia += p.sa[d]
			ib += p.sb[d]
			if idx[d] < p.shape[d] {
				break
			}
			ia -= p.sa[d] * p.shape[d]
			ib -= p.sb[d] * p.shape[d]
			idx[d] = 0
		}
	}
}

// broadcastResult checks broadcast compatibility and returns the output.
func broadcastResult(tp *Tape, name string, a, b *Tensor) *Tensor {
	var shape [MaxDims]int
	nd, ok := BroadcastShape(&shape, a.Shape, b.Shape)
	if !ok {
		panic(fmt.Sprintf("tensor: %s cannot broadcast shapes %v and %v", name, a.Shape, b.Shape))
	}
	return tp.resultNoZero(shape[:nd], a, b) // binary ops write every element
}

// ReduceGrad adds src, of shape srcShape, into dst, of shape dstShape, summing
// over the axes along which dstShape was broadcast to srcShape (the leading
// axes srcShape has in excess and the axes where dstShape has size 1). It is
// the backward step of any broadcasting op: ReduceGrad(a.Grad, a.Shape,
// out.Grad, out.Shape). It panics if dstShape does not broadcast to srcShape.
func ReduceGrad(dst []float32, dstShape []int, src []float32, srcShape []int) {
	var shape [MaxDims]int
	nd, ok := BroadcastShape(&shape, dstShape, srcShape)
	if !ok || nd != len(srcShape) || !equalInts(shape[:nd], srcShape) {
		panic(fmt.Sprintf("tensor: ReduceGrad shape %v does not broadcast to %v",
			append([]int(nil), dstShape...), append([]int(nil), srcShape...)))
	}
	p := newBcastPlan(srcShape, dstShape, srcShape)
	n, sd, _ := p.rowLen()
	p.rows(func(o, id, _ int) {
		accumRow(kOne, dst[id:], sd, src[o:o+n], nil, 0, nil)
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BroadcastTo returns x expanded to shape (torch.Tensor.expand followed by a
// copy): x's shape must broadcast to shape.
//
// Backward: ∂L/∂x += ∂L/∂out summed over the broadcast axes.
func BroadcastTo(tp *Tape, x *Tensor, shape ...int) *Tensor {
	var bs [MaxDims]int
	nd, ok := BroadcastShape(&bs, x.Shape, shape)
	if !ok || !equalInts(bs[:nd], shape) {
		panic(fmt.Sprintf("tensor: BroadcastTo %v from %v", append([]int(nil), shape...), x.Shape))
	}
	out := tp.resultNoZero(bs[:nd], x)
	p := newBcastPlan(out.Shape, x.Shape, out.Shape)
	n, sx, _ := p.rowLen()
	p.rows(func(o, ix, _ int) {
		dst := out.Data[o : o+n]
		if sx == 1 {
			copy(dst, x.Data[ix:ix+n])
			return
		}
		for i := range dst {
			dst[i] = x.Data[ix+i*sx]
		}
	})
	if out.requiresGrad {
		tp.record(func() { ReduceGrad(x.Grad, x.Shape, out.Grad, out.Shape) })
	}
	return out
}

// Gradient term kinds for accumRow.
const (
	kOne  = iota // dst += g
	kNeg         // dst -= g
	kMul         // dst += g·v
	kDiv         // dst += g / v
	kDivB        // dst -= g·w / v   (∂(a/b)/∂b with w = a/b)
)

// accumRow accumulates a gradient term over one row of len(g) elements into
// dst with stride sd (0 = reduce into dst[0]); v is read with stride sv and w
// contiguously.
func accumRow(kind int, dst []float32, sd int, g, v []float32, sv int, w []float32) {
	n := len(g)
	if sd == 0 {
		var s float32
		switch kind {
		case kOne:
			s = vec.Sum(g)
		case kNeg:
			s = -vec.Sum(g)
		case kMul:
			switch sv {
			case 0:
				s = vec.Sum(g) * v[0]
			case 1:
				s = vec.Dot(g, v)
			default:
				for i, x := range g {
					s += x * v[i*sv]
				}
			}
		case kDiv:
			if sv == 0 {
				s = vec.Sum(g) / v[0]
			} else {
				for i, x := range g {
					s += x / v[i*sv]
				}
			}
		case kDivB:
			w = w[:n]
			if sv == 0 {
				for i, x := range g {
					s -= x * w[i]
				}
				s /= v[0]
			} else {
				for i, x := range g {
					s -= x * w[i] / v[i*sv]
				}
			}
		}
		dst[0] += s
		return
	}
	if sd == 1 {
		dst = dst[:n]
		switch {
		case kind == kOne:
			vec.Add(dst, dst, g)
			return
		case kind == kNeg:
			vec.Sub(dst, dst, g)
			return
		case sv == 1:
			v = v[:n]
			switch kind {
			case kMul:
				vec.MulAdd(dst, g, v)
			case kDiv:
				for i, x := range g {
					dst[i] += x / v[i]
				}
			case kDivB:
				w = w[:n]
				for i, x := range g {
					dst[i] -= x * w[i] / v[i]
				}
			}
			return
		case sv == 0:
			c := v[0]
			switch kind {
			case kMul:
				vec.Axpy(dst, g, c)
			case kDiv:
				for i, x := range g {
					dst[i] += x / c
				}
			case kDivB:
				w = w[:n]
				for i, x := range g {
					dst[i] -= x * w[i] / c
				}
			}
			return
		}
	}
	// General strides.
	switch kind {
	case kOne:
		for i, x := range g {
			dst[i*sd] += x
		}
	case kNeg:
		for i, x := range g {
			dst[i*sd] -= x
		}
	case kMul:
		for i, x := range g {
			dst[i*sd] += x * v[i*sv]
		}
	case kDiv:
		for i, x := range g {
			dst[i*sd] += x / v[i*sv]
		}
	case kDivB:
		for i, x := range g {
			dst[i*sd] -= x * w[i] / v[i*sv]
		}
	}
}
