package dlinear_test

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/models/dlinear"
	"github.com/streamcast/streamcast/engine/tensor"
)

// The trend DLinear extracts: a moving average whose ends repeat the first
// and last values.
func ExampleMovingAvg() {
	x := tensor.FromSlice([]float32{1, 2, 3, 4, 5}, 1, 5)
	fmt.Println(dlinear.MovingAvg(tensor.NewInferenceTape(), x, 3).Data)
	// Output: [1.3333334 2 3 4 4.6666665]
}
