package scaler_test

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/scaler"
	"github.com/streamcast/streamcast/engine/tensor"
)

func ExampleScaler() {
	// Two windows of 4 points; the last point of each is the horizon and is
	// masked out of the statistics.
	x := []float32{1, 2, 3, 100, 10, 10, 40, -5}
	mask := []float32{1, 1, 1, 0, 1, 1, 1, 0}
	s, err := scaler.New(scaler.Robust, 1)
	if err != nil {
		panic(err)
	}
	loc, scale := make([]float32, 2), make([]float32, 2)
	s.Fit(loc, scale, x, mask, 2, 4)
	fmt.Printf("median %v, MAD %.4f\n", loc, scale)
	z := s.Transform(tensor.NewInferenceTape(), tensor.FromSlice(x, 2, 4), loc, scale)
	fmt.Printf("%.2f\n", z.Data)
	// Output:
	// median [2 10], MAD [1.0000 9.5387]
	// [-1.00 0.00 1.00 98.00 0.00 0.00 3.15 -1.57]
}
