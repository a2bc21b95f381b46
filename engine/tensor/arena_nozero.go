package tensor

// Outputs that an op overwrites completely need not be zeroed: clearing a
// large arena buffer costs as much as a cheap elementwise op itself. These
// helpers mirror Tape.Result and arena.floats (tape.go) without the clear and
// request buffers in the same order, so graphs mixing them replay exactly.

// floatsNoZero is arena.floats without clearing a recycled buffer.
func (a *arena) floatsNoZero(n int) []float32 {
	if a.nbuf < len(a.bufs) {
		if b := a.bufs[a.nbuf]; cap(b) >= n {
			b = b[:n]
			a.bufs[a.nbuf] = b
			a.nbuf++
			return b
		}
	}
	return a.floats(n)
}

// resultNoZero is Tape.Result for an op that writes every element of its
// output: the data buffer holds stale values until then (the gradient
// buffer is still zeroed).
func (tp *Tape) resultNoZero(shape []int, inputs ...*Tensor) *Tensor {
	t := tp.arena.view(shape, nil)
	t.Data = tp.arena.floatsNoZero(t.Numel())
	if tp.noGrad {
		return t
	}
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			t.requiresGrad = true
			t.Grad = tp.arena.floats(len(t.Data))
			break
		}
	}
	return t
}
