package tensor

import "github.com/streamcast/streamcast/engine/tensor/internal/vec"

// Binary op codes for binaryOp.
const (
	opAdd = iota
	opSub
	opMul
	opDiv
)

var binaryNames = [...]string{"Add", "Sub", "Mul", "Div"}

// Add returns a + b with NumPy/PyTorch broadcasting (see BroadcastShape).
//
// Backward: ∂L/∂a += ∂L/∂out and ∂L/∂b += ∂L/∂out, each summed over the axes
// along which the operand was broadcast.
func Add(tp *Tape, a, b *Tensor) *Tensor { return binaryOp(tp, opAdd, a, b) }

// Sub returns a − b with broadcasting.
//
// Backward: ∂L/∂a += ∂L/∂out, ∂L/∂b −= ∂L/∂out (reduced over broadcast axes).
func Sub(tp *Tape, a, b *Tensor) *Tensor { return binaryOp(tp, opSub, a, b) }

// Mul returns the elementwise product a ⊙ b with broadcasting.
//
// Backward: ∂L/∂a += ∂L/∂out ⊙ b, ∂L/∂b += ∂L/∂out ⊙ a (reduced over broadcast axes).
func Mul(tp *Tape, a, b *Tensor) *Tensor { return binaryOp(tp, opMul, a, b) }

// Div returns the elementwise quotient a / b with broadcasting.
//
// Backward: ∂L/∂a += ∂L/∂out / b, ∂L/∂b −= ∂L/∂out ⊙ a / b² (reduced over
// broadcast axes).
func Div(tp *Tape, a, b *Tensor) *Tensor { return binaryOp(tp, opDiv, a, b) }

func binaryOp(tp *Tape, op int, a, b *Tensor) *Tensor {
	if SameShape(a, b) {
		return binarySame(tp, op, a, b)
	}
	out := broadcastResult(tp, binaryNames[op], a, b)
	p := newBcastPlan(out.Shape, a.Shape, b.Shape)
	n, sa, sb := p.rowLen()
	p.rows(func(o, ia, ib int) {
		binaryRow(op, out.Data[o:o+n], a.Data[ia:], sa, b.Data[ib:], sb)
	})
	if out.requiresGrad {
		tp.record(func() { binaryBackward(op, a, b, out) })
	}
	return out
}

// binarySame is the fast path for operands of identical shape.
func binarySame(tp *Tape, op int, a, b *Tensor) *Tensor {
	out := tp.resultNoZero(a.Shape, a, b)
	binaryRow(op, out.Data, a.Data, 1, b.Data, 1)
	if out.requiresGrad {
		tp.record(func() {
			g := out.Grad
			if a.requiresGrad {
				switch op {
				case opAdd, opSub:
					accumRow(kOne, a.Grad, 1, g, nil, 0, nil)
				case opMul:
					accumRow(kMul, a.Grad, 1, g, b.Data, 1, nil)
				case opDiv:
					accumRow(kDiv, a.Grad, 1, g, b.Data, 1, nil)
				}
			}
			if b.requiresGrad {
				switch op {
				case opAdd:
					accumRow(kOne, b.Grad, 1, g, nil, 0, nil)
				case opSub:
					accumRow(kNeg, b.Grad, 1, g, nil, 0, nil)
				case opMul:
					accumRow(kMul, b.Grad, 1, g, a.Data, 1, nil)
				case opDiv:
					accumRow(kDivB, b.Grad, 1, g, b.Data, 1, out.Data)
				}
			}
		})
	}
	return out
}

func binaryBackward(op int, a, b, out *Tensor) {
	p := newBcastPlan(out.Shape, a.Shape, b.Shape)
	n, sa, sb := p.rowLen()
	if a.requiresGrad {
		p.rows(func(o, ia, ib int) {
			g := out.Grad[o : o+n]
			switch op {
			case opAdd, opSub:
				accumRow(kOne, a.Grad[ia:], sa, g, nil, 0, nil)
			case opMul:
				accumRow(kMul, a.Grad[ia:], sa, g, b.Data[ib:], sb, nil)
			case opDiv:
				accumRow(kDiv, a.Grad[ia:], sa, g, b.Data[ib:], sb, nil)
			}
		})
	}
	if b.requiresGrad {
		p.rows(func(o, ia, ib int) {
			g := out.Grad[o : o+n]
			switch op {
			case opAdd:
				accumRow(kOne, b.Grad[ib:], sb, g, nil, 0, nil)
			case opSub:
				accumRow(kNeg, b.Grad[ib:], sb, g, nil, 0, nil)
			case opMul:
				accumRow(kMul, b.Grad[ib:], sb, g, a.Data[ia:], sa, nil)
			case opDiv:
				accumRow(kDivB, b.Grad[ib:], sb, g, b.Data[ib:], sb, out.Data[o:o+n])
			}
		})
	}
}

// binaryRow computes one output row o = a ∘ b with operand strides sa, sb.
func binaryRow(op int, o, a []float32, sa int, b []float32, sb int) {
	n := len(o)
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:n], b[:n]
		switch op {
		case opAdd:
			vec.Add(o, a, b)
		case opSub:
			vec.Sub(o, a, b)
		case opMul:
			vec.Mul(o, a, b)
		case opDiv:
			vec.Div(o, a, b)
		}
	case sa == 1 && sb == 0:
		a = a[:n]
		c := b[0]
		switch op {
		case opAdd:
			vec.ScaleShift(o, a, 1, c)
		case opSub:
			vec.ScaleShift(o, a, 1, -c)
		case opMul:
			vec.ScaleShift(o, a, c, 0)
		case opDiv:
			for i := range o {
				o[i] = a[i] / c
			}
		}
	case sa == 0 && sb == 1:
		b = b[:n]
		c := a[0]
		switch op {
		case opAdd:
			vec.ScaleShift(o, b, 1, c)
		case opSub:
			vec.ScaleShift(o, b, -1, c)
		case opMul:
			vec.ScaleShift(o, b, c, 0)
		case opDiv:
			for i := range o {
				o[i] = c / b[i]
			}
		}
	default:
		for i := range o {
			x, y := a[i*sa], b[i*sb]
			switch op {
			case opAdd:
				o[i] = x + y
			case opSub:
				o[i] = x - y
			case opMul:
				o[i] = x * y
			case opDiv:
				o[i] = x / y
			}
		}
	}
}

// AddScalar returns x + c.
//
// Backward: ∂L/∂x += ∂L/∂out.
func AddScalar(tp *Tape, x *Tensor, c float32) *Tensor {
	out := tp.resultNoZero(x.Shape, x)
	vec.ScaleShift(out.Data, x.Data, 1, c)
	if out.requiresGrad {
		tp.record(func() { accumRow(kOne, x.Grad, 1, out.Grad, nil, 0, nil) })
	}
	return out
}

// MulScalar returns c·x.
//
// Backward: ∂L/∂x += c·∂L/∂out.
func MulScalar(tp *Tape, x *Tensor, c float32) *Tensor {
	out := tp.resultNoZero(x.Shape, x)
	vec.ScaleShift(out.Data, x.Data, c, 0)
	if out.requiresGrad {
		tp.record(func() { vec.Axpy(x.Grad, out.Grad, c) })
	}
	return out
}

// Neg returns −x.
//
// Backward: ∂L/∂x −= ∂L/∂out.
func Neg(tp *Tape, x *Tensor) *Tensor {
	out := tp.resultNoZero(x.Shape, x)
	vec.ScaleShift(out.Data, x.Data, -1, 0)
	if out.requiresGrad {
		tp.record(func() { accumRow(kNeg, x.Grad, 1, out.Grad, nil, 0, nil) })
	}
	return out
}
