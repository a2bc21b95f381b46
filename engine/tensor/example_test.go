package tensor_test

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/tensor"
)

// Softmax over the last axis turns each row of scores into probabilities;
// the tape then back-propagates a loss through it.
func ExampleSoftmax() {
	tp := tensor.NewTape()
	scores := tensor.FromSlice([]float32{1, 2, 3, 0, 0, 0}, 2, 3)
	scores.SetRequiresGrad(true)
	p := tensor.Softmax(tp, scores, -1)
	fmt.Printf("%.4f\n", p.Data)

	// L = p[0,2]: ∂L/∂scores[0,:] = p[0,2]·(e₂ − p[0,:]).
	seed := []float32{0, 0, 1, 0, 0, 0}
	tp.BackwardWith(p, seed)
	fmt.Printf("%.4f\n", scores.Grad)
	// Output:
	// [0.0900 0.2447 0.6652 0.3333 0.3333 0.3333]
	// [-0.0599 -0.1628 0.2227 0.0000 0.0000 0.0000]
}
