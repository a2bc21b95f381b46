package tensor

import "fmt"

// Tape records the backward steps of the operations applied to tensors that
// require gradients, and owns the arena that backs intermediate tensors.
//
// A Tape is not safe for concurrent use. The usual training step is
//
//	tp.Reset()
//	loss := model.Forward(tp, x) ...
//	tp.Backward(loss)
//	opt.Step()
//
// and the usual inference call is the same forward pass on a tape created
// with NewInferenceTape (no recording), which allocates nothing once the
// arena has seen the graph.
type Tape struct {
	noGrad bool
	ops    []func()
	arena  arena
}

// NewTape returns a tape that records operations for Backward.
func NewTape() *Tape { return &Tape{} }

// NewInferenceTape returns a tape in no-grad mode: nothing is recorded and
// outputs never require gradients.
func NewInferenceTape() *Tape { return &Tape{noGrad: true} }

// NoGrad reports whether the tape is in no-grad (inference) mode.
func (tp *Tape) NoGrad() bool { return tp.noGrad }

// SetNoGrad switches recording off (true) or on (false).
func (tp *Tape) SetNoGrad(b bool) { tp.noGrad = b }

// Reset forgets the recorded operations and recycles every tensor the tape
// handed out since the previous Reset: those tensors must not be used again.
func (tp *Tape) Reset() {
	clear(tp.ops)
	tp.ops = tp.ops[:0]
	tp.arena.reset()
}

// Len returns the number of recorded backward steps.
func (tp *Tape) Len() int { return len(tp.ops) }

// record appends a backward step. Ops call it only when their output requires grad.
func (tp *Tape) record(f func()) { tp.ops = append(tp.ops, f) }

// Backward seeds ∂loss/∂loss = 1 for a single-element loss and runs the
// recorded steps in reverse, accumulating into every Grad.
func (tp *Tape) Backward(loss *Tensor) {
	if loss.Numel() != 1 {
		panic(fmt.Sprintf("tensor: Backward needs a scalar loss, got shape %v", loss.Shape))
	}
	if !loss.requiresGrad {
		return
	}
	loss.Grad[0] = 1
	tp.runBackward()
}

// BackwardWith seeds out.Grad with seed (len = out.Numel()) and runs the
// recorded steps in reverse. It is Backward for non-scalar outputs, i.e. a
// vector-Jacobian product.
func (tp *Tape) BackwardWith(out *Tensor, seed []float32) {
	if len(seed) != len(out.Data) {
		panic(fmt.Sprintf("tensor: seed of %d values for %d outputs", len(seed), len(out.Data)))
	}
	if !out.requiresGrad {
		return
	}
	copy(out.Grad, seed)
	tp.runBackward()
}

func (tp *Tape) runBackward() {
	for i := len(tp.ops) - 1; i >= 0; i-- {
		tp.ops[i]()
	}
}

// Result returns a zeroed tensor of the given shape from the arena. It
// requires gradients (and carries a zeroed Grad) when the tape records and
// any of the inputs requires gradients. Op implementations call it for their
// outputs and must record a backward step exactly when the result requires
// gradients.
func (tp *Tape) Result(shape []int, inputs ...*Tensor) *Tensor {
	return tp.result(shape, true, inputs)
}

// resultNoZero is Result for an op that writes every element of its output:
// the data buffer holds stale values until then (clearing a large recycled
// buffer costs as much as a cheap elementwise op). The gradient buffer is
// still zeroed.
func (tp *Tape) resultNoZero(shape []int, inputs ...*Tensor) *Tensor {
	return tp.result(shape, false, inputs)
}

func (tp *Tape) result(shape []int, zero bool, inputs []*Tensor) *Tensor {
	t := tp.arena.view(shape, nil)
	if zero {
		t.Data = tp.arena.floats(t.Numel())
	} else {
		t.Data = tp.arena.floatsNoZero(t.Numel())
	}
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

// Scratch returns a zeroed float32 buffer of length n from the arena, valid
// until the next Reset. Ops use it for saved intermediates (e.g. masks).
func (tp *Tape) Scratch(n int) []float32 { return tp.arena.floats(n) }

// Record appends a backward step; op implementations outside this package use it.
func (tp *Tape) Record(f func()) { tp.record(f) }

// arena hands out buffers and tensor headers in request order and, after a
// reset, hands the same ones out again when the sizes match. A model that
// repeats its graph therefore reaches zero allocations per step.
type arena struct {
	bufs    [][]float32
	nbuf    int
	tensors []*Tensor
	nten    int
}

func (a *arena) reset() {
	a.nbuf = 0
	a.nten = 0
}

// floats returns a zeroed buffer of length n.
func (a *arena) floats(n int) []float32 {
	b := a.floatsNoZero(n)
	clear(b)
	return b
}

// floatsNoZero returns a buffer of length n whose contents are stale when it
// is recycled (fresh buffers are zero).
func (a *arena) floatsNoZero(n int) []float32 {
	if a.nbuf < len(a.bufs) {
		b := a.bufs[a.nbuf]
		if cap(b) < n {
			b = make([]float32, n)
		}
		b = b[:n]
		a.bufs[a.nbuf] = b
		a.nbuf++
		return b
	}
	b := make([]float32, n)
	a.bufs = append(a.bufs, b)
	a.nbuf++
	return b
}

// view returns a recycled tensor header of the given shape over data.
func (a *arena) view(shape []int, data []float32) *Tensor {
	var t *Tensor
	if a.nten < len(a.tensors) {
		t = a.tensors[a.nten]
	} else {
		t = &Tensor{}
		a.tensors = append(a.tensors, t)
	}
	a.nten++
	t.setShape(shape)
	t.Data = data
	t.Grad = nil
	t.requiresGrad = false
	return t
}
