// Package tensor provides dense float32 tensors and a reverse-mode automatic
// differentiation tape, the numerical core of streamcast's forecasting engine.
//
// Tensors are row-major. Operations are package functions taking the *Tape
// first: when the tape records (training), every operation whose inputs
// require gradients appends its backward step; when the tape is in no-grad
// mode (inference), nothing is recorded. All intermediate tensors come from
// the tape's arena, which replays the same buffers after Reset, so a model
// that runs the same graph every step allocates nothing in steady state.
//
// Linear algebra goes through gonum's blas32 interface, so an OpenBLAS
// implementation can be swapped in with the openblas build tag.
package tensor

import (
	"fmt"
	"strings"
)

// MaxDims is the largest rank a Tensor may have.
const MaxDims = 6

// Tensor is a dense, row-major float32 array.
//
// Data holds the values; Grad, when non-nil, accumulates ∂L/∂Data during
// Tape.Backward. Shape aliases an array inside the Tensor, so copying a
// Tensor value is not supported: pass *Tensor.
type Tensor struct {
	Data  []float32
	Grad  []float32
	Shape []int

	dims         [MaxDims]int
	requiresGrad bool
}

// New returns a zeroed tensor of the given shape that does not require gradients.
func New(shape ...int) *Tensor {
	t := &Tensor{}
	t.setShape(shape)
	t.Data = make([]float32, t.Numel())
	return t
}

// FromSlice returns a tensor of the given shape that uses data as its storage.
// It panics if len(data) does not match the shape (a programmer error).
func FromSlice(data []float32, shape ...int) *Tensor {
	t := &Tensor{}
	t.setShape(shape)
	if len(data) != t.Numel() {
		panic(fmt.Sprintf("tensor: %d values for shape %v", len(data), shape))
	}
	t.Data = data
	return t
}

// NewParam returns a zeroed trainable tensor: it requires gradients and owns
// a gradient buffer that optimisers read and reset.
func NewParam(shape ...int) *Tensor {
	t := New(shape...)
	t.Grad = make([]float32, len(t.Data))
	t.requiresGrad = true
	return t
}

func (t *Tensor) setShape(shape []int) {
	if len(shape) > MaxDims {
		panic(fmt.Sprintf("tensor: rank %d exceeds %d", len(shape), MaxDims))
	}
	for _, d := range shape {
		if d < 0 {
			// Format a copy so that shape itself does not escape to the heap.
			panic("tensor: negative dimension in " + fmt.Sprint(append([]int(nil), shape...)))
		}
	}
	n := copy(t.dims[:], shape)
	t.Shape = t.dims[:n:n]
}

// Numel returns the number of elements implied by the shape.
func (t *Tensor) Numel() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Dim returns the size of axis i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.Shape)
	}
	return t.Shape[i]
}

// RequiresGrad reports whether gradients flow into t.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// SetRequiresGrad marks t as trainable (allocating its gradient buffer) or not.
func (t *Tensor) SetRequiresGrad(b bool) {
	t.requiresGrad = b
	if b && t.Grad == nil {
		t.Grad = make([]float32, len(t.Data))
	}
}

// ZeroGrad sets every gradient entry to zero.
func (t *Tensor) ZeroGrad() {
	clear(t.Grad)
}

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b *Tensor) bool {
	if len(a.Shape) != len(b.Shape) {
		return false
	}
	for i := range a.Shape {
		if a.Shape[i] != b.Shape[i] {
			return false
		}
	}
	return true
}

// String formats the shape and the first values, for debugging.
func (t *Tensor) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Tensor%v[", t.Shape)
	for i, v := range t.Data {
		if i == 8 {
			sb.WriteString(" …")
			break
		}
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%g", v)
	}
	sb.WriteByte(']')
	return sb.String()
}
